"""survey answers in the curators' review queue: runner-up and filing on each answer, labels from answers

Revision ID: 2026_11_30_surveyqueue
Revises: 2026_11_30_menuseats
Create Date: 2026-11-29 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_30_surveyqueue"
down_revision: str | None = "2026_11_30_menuseats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # issue #14, item 2: unsure questionnaire answers go to the review queue, and a filing teaches
    op.add_column("survey_needs", sa.Column("runner_up_id", sa.Integer(), nullable=True))
    op.add_column("survey_needs", sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("survey_needs", sa.Column("filed_by", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_survey_needs_runner_up_id_categories"), "survey_needs", "categories", ["runner_up_id"], ["id"]
    )
    op.create_foreign_key(op.f("fk_survey_needs_filed_by_users"), "survey_needs", "users", ["filed_by"], ["id"])
    op.create_index("ix_survey_needs_queue", "survey_needs", ["market_id", "filed_at", "confidence"])
    op.add_column("need_labels", sa.Column("survey_need_id", sa.Integer(), nullable=True))
    op.create_unique_constraint(op.f("uq_need_labels_survey_need_id"), "need_labels", ["survey_need_id"])
    op.create_foreign_key(
        op.f("fk_need_labels_survey_need_id_survey_needs"),
        "need_labels",
        "survey_needs",
        ["survey_need_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_column("need_labels", "survey_need_id")
    op.drop_index("ix_survey_needs_queue", table_name="survey_needs")
    op.drop_column("survey_needs", "filed_by")
    op.drop_column("survey_needs", "filed_at")
    op.drop_column("survey_needs", "runner_up_id")
