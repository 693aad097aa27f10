"""needs loop: the classifier's suggestion per need, texts filed by curators, the classifier's version;
satisfaction surveys after sign-off and the follow-up cases poor answers open

Revision ID: 2026_11_29_0007
Revises: 2026_11_29_0006
Create Date: 2026-11-29 15:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = "2026_11_29_0007"
down_revision: str | None = "2026_11_29_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "need_classifications",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("runner_up_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("filed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_need_classifications_order_id_orders")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_need_classifications_market_id_markets")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_need_classifications_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["runner_up_id"], ["categories.id"], name=op.f("fk_need_classifications_runner_up_id_categories")
        ),
        sa.ForeignKeyConstraint(["filed_by"], ["users.id"], name=op.f("fk_need_classifications_filed_by_users")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_need_classifications")),
    )
    op.create_index(op.f("ix_need_classifications_market_id"), "need_classifications", ["market_id"])
    op.create_index("ix_need_classifications_queue", "need_classifications", ["market_id", "filed_at", "confidence"])
    op.create_table(
        "need_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_need_labels_market_id_markets")),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"], name=op.f("fk_need_labels_category_id_categories")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_need_labels_order_id_orders")),
        sa.ForeignKeyConstraint(["filed_by"], ["users.id"], name=op.f("fk_need_labels_filed_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_labels")),
        sa.UniqueConstraint("order_id", name=op.f("uq_need_labels_order_id")),
    )
    op.create_index(op.f("ix_need_labels_market_id"), "need_labels", ["market_id"])
    op.create_index(op.f("ix_need_labels_category_id"), "need_labels", ["category_id"])
    op.create_table(
        "classifier_versions",
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_classifier_versions_market_id_markets")),
        sa.PrimaryKeyConstraint("market_id", name=op.f("pk_classifier_versions")),
    )

    op.create_table(
        "satisfaction_surveys",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("as_arranged", sa.Boolean(), nullable=False),
        sa.Column("again", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_satisfaction_surveys_order_id_orders")),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_satisfaction_surveys_market_id_markets")),
        sa.ForeignKeyConstraint(["member_id"], ["users.id"], name=op.f("fk_satisfaction_surveys_member_id_users")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_satisfaction_surveys")),
    )
    op.create_index(op.f("ix_satisfaction_surveys_market_id"), "satisfaction_surveys", ["market_id"])
    op.create_table(
        "follow_up_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contacted_by", sa.Integer(), nullable=True),
        sa.Column("contact_note", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_follow_up_cases_market_id_markets")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_follow_up_cases_order_id_orders")),
        sa.ForeignKeyConstraint(["contacted_by"], ["users.id"], name=op.f("fk_follow_up_cases_contacted_by_users")),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"], name=op.f("fk_follow_up_cases_resolved_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_cases")),
        sa.UniqueConstraint("order_id", name=op.f("uq_follow_up_cases_order_id")),
    )
    op.create_index(op.f("ix_follow_up_cases_market_id"), "follow_up_cases", ["market_id"])
    op.create_index("ix_follow_up_cases_market_state_opened", "follow_up_cases", ["market_id", "state", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_follow_up_cases_market_state_opened", table_name="follow_up_cases")
    op.drop_index(op.f("ix_follow_up_cases_market_id"), table_name="follow_up_cases")
    op.drop_table("follow_up_cases")
    op.drop_index(op.f("ix_satisfaction_surveys_market_id"), table_name="satisfaction_surveys")
    op.drop_table("satisfaction_surveys")
    op.drop_table("classifier_versions")
    op.drop_index(op.f("ix_need_labels_category_id"), table_name="need_labels")
    op.drop_index(op.f("ix_need_labels_market_id"), table_name="need_labels")
    op.drop_table("need_labels")
    op.drop_index("ix_need_classifications_queue", table_name="need_classifications")
    op.drop_index(op.f("ix_need_classifications_market_id"), table_name="need_classifications")
    op.drop_table("need_classifications")
