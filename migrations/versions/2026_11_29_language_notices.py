"""notifications: the notices written before they were kept as messages read in the reader's language

Notices are now written as a message id and its parameters (`data["text"]`, marketplace/texts.py) and put
into words for each reader. This gives the notices written before, in Chinese, the same: each title and body
the old code wrote is matched (a fixed sentence, or one around a listing's title or a number) and its
message recorded beside it. What cannot be read back (a local time without its year) stays as written.
No DDL: the downgrade takes the messages out again (the stored Chinese title and body stay).

Revision ID: 2026_11_29_language_notices
Revises: 2026_11_29_0009
Create Date: 2026-11-29 16:55:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2026_11_29_language_notices"
down_revision: str | None = "2026_11_29_fairseats_lottery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (the old sentence as a PostgreSQL regular expression, the message, the names of its captured parts)
TITLES = [
    (r"^上新场次：(.*)$", "New sessions: %(title)s", ["title"]),
    (r"^上新：(.*)$", "New: %(title)s", ["title"]),
    (r"^请求已转交：(.*)$", "Request passed on: %(title)s", ["title"]),
    (r"^需要人工处理：(.*)$", "Needs a person to handle it: %(title)s", ["title"]),
    (r"^暂未匹配到服务：(.*)$", "No provider found yet: %(title)s", ["title"]),
    (r"^候补名额已失效：(.*)$", "Waiting-list place lapsed: %(title)s", ["title"]),
    (r"^候补未成功：(.*)$", "No place came free: %(title)s", ["title"]),
    (r"^已自动签收：(.*)$", "Signed off for you: %(title)s", ["title"]),
    (r"^请记录服务情况：(.*)$", "Please record the service: %(title)s", ["title"]),
    (r"^候补成功：(.*)$", "A place came free: %(title)s", ["title"]),
    (r"^新的服务请求：(.*)$", "New service request: %(title)s", ["title"]),
    (r"^新报名：(.*)$", "New booking: %(title)s", ["title"]),
    (r"^已接单：(.*)$", "Accepted: %(title)s", ["title"]),
    (r"^未能接单：(.*)$", "Declined: %(title)s", ["title"]),
    (r"^服务安排：(.*)$", "Arranged: %(title)s", ["title"]),
    (r"^请确认签收：(.*)$", "Please sign off: %(title)s", ["title"]),
    (r"^请签收：(.*)$", "Please sign off: %(title)s", ["title"]),
    (r"^争议已处理：(.*)$", "Dispute settled: %(title)s", ["title"]),
    (r"^订单已取消：(.*)$", "Order cancelled: %(title)s", ["title"]),
    (r"^场次取消：(.*)$", "Session cancelled: %(title)s", ["title"]),
    (r"^待您答复：(.*)$", "Waiting for your answer: %(title)s", ["title"]),
    (r"^明天的服务：(.*)$", "Your service tomorrow: %(title)s", ["title"]),
    (r"^服务即将开始：(.*)$", "Your service starts soon: %(title)s", ["title"]),
    (r"^邀请您评价：(.*)$", "Please review: %(title)s", ["title"]),
    (r"^新评价：(.*)$", "New review: %(title)s", ["title"]),
    (r"^「(.*)」已通过审核并上架$", "“%(title)s” is approved and listed", ["title"]),
    (r"^「(.*)」未通过审核$", "“%(title)s” was not approved", ["title"]),
    (r"^每日待办：(\d+) 单需要关注$", "Today's to-do: %(n)s orders need attention", ["n"]),
    (r"^有人多次尝试登录您的账号$", "Someone tried many times to log in to your account", []),
    (r"^您的评价已被隐藏$", "Your review was hidden", []),
]
BODIES = [
    (
        r"^您未在时限内答复，这项服务请求已转给其他劳模工匠。$",
        "You did not answer in time, so this service request went to another provider.",
        [],
    ),
    (
        r"^很抱歉，有效期内没有劳模工匠接单。您的需求已记入待满足需求，工会将据此增设服务。$",
        "Sorry, no provider took your request in time. It is recorded as an unmet need, and the union will plan "
        "services with it.",
        [],
    ),
    (
        r"^活动已开始，未能为您空出名额。欢迎报名其他场次。$",
        "The session has started and no place came free for you. You are welcome to book another session.",
        [],
    ),
    (r"^服务时间已过，请标记已服务或未到场。$", "The service time has passed: please mark it delivered or absent.", []),
    (r"^服务者已接受您的订单。$", "The provider accepted your order.", []),
    (r"^服务已完成，请确认签收并评价。$", "The service is done: please sign it off and review it.", []),
    (
        r"^您的评价能帮助其他职工选择服务，也是对劳模工匠的鼓励。$",
        "Your review helps other workers choose, and encourages the provider.",
        [],
    ),
    (
        r"^无人及时接单，请联系劳模工匠或改派。$",
        "Nobody took it in time: please contact a provider or assign it to another.",
        [],
    ),
    (r"^服务者未在时限内答复。$", "The provider did not answer in time.", []),
    (
        r"^服务时间已过，劳模工匠未记录服务情况，请联系核实。$",
        "The service time has passed and its provider recorded nothing: please check with them.",
        [],
    ),
    (
        r"^服务完成 (\d+) 天内未确认，系统已为您自动签收。欢迎评价。$",
        "The service was not confirmed within %(days)s days of delivery, so it was signed off for you. You are "
        "welcome to review it.",
        ["days"],
    ),
    (
        r"^服务已完成，请确认签收；(\d+) 天内未确认将自动签收。$",
        "The service is done: please sign it off. It is signed off for you after %(days)s days.",
        ["days"],
    ),
    (r"^新增 (\d+) 个场次$", "Sessions added: %(n)s.", ["n"]),
    (
        r"^已邀请 (\d+) 位劳模工匠：(\d+) 位婉拒，(\d+) 位未答复。$",
        "%(n)s providers were asked: %(declined)s declined, %(unanswered)s did not answer.",
        ["n", "declined", "unanswered"],
    ),
    (r"^原因：(.*)$", "Reason: %(reason)s", ["reason"]),
    (
        r"^您的账号刚刚连续多次输错密码，登录已暂时锁定。如果不是您本人操作，请登录后修改密码，并在“我的”页面退出其他设备。$",
        "Your account's password was just entered wrongly several times, so logging in is paused for a while. "
        "If it was not you, log in, change your password and log out your other devices on the Me page.",
        [],
    ),
]


def _record(column: str, pattern: str, message: str, names: list[str]) -> None:
    parts = ", ".join(f"'{name}', (regexp_match({column}, :pattern))[{i}]" for i, name in enumerate(names, 1))
    text = (
        f"jsonb_build_object('m', CAST(:message AS text), 'p', jsonb_build_object({parts}))"
        if names
        else ("jsonb_build_object('m', CAST(:message AS text))")
    )
    op.get_bind().execute(
        sa.text(
            f"""
            UPDATE notifications
            SET data = jsonb_set(data, '{{text}}', coalesce(data -> 'text', '{{}}') || jsonb_build_object('{column}', {text}))
            WHERE {column} ~ :pattern AND NOT coalesce(jsonb_exists(data -> 'text', '{column}'), false)
            """
        ),
        {"pattern": pattern, "message": message},
    )


def upgrade() -> None:
    for pattern, message, names in TITLES:
        _record("title", pattern, message, names)
    for pattern, message, names in BODIES:
        _record("body", pattern, message, names)


def downgrade() -> None:
    op.execute("UPDATE notifications SET data = data - 'text' WHERE jsonb_exists(data, 'text')")
