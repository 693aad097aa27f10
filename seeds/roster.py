"""The demo union's real-name roster (会员名册): most demo members with their groups in the union's words,
people not registered yet, one phone whose account carries another name, and two rows a curator must fix.
Imported by the demo loader as the demo curator, so the roster page and the verified members are there
from the first start."""

import csv
import io

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from marketplace.models import User

# The union's words for each group (domain/roster.py GROUP_NAMES reads them back).
GROUP_WORDS = {
    "new_employment": "新就业形态劳动者",
    "migrant": "农民工/外来务工人员",
    "parent": "双职工家庭",
    "youth": "青年职工",
    "women": "女职工",
    "retiree": "退休职工",
    "hardship": "困难职工",
}
WORKPLACES = [
    "粤海街道总工会",
    "南头街道总工会",
    "蛇口街道总工会",
    "西丽街道总工会",
    "顺丰南山分部工会",
    "美团南山站工会",
]
HEADERS = ["序号", "姓名", "手机号码", "工会会员卡号", "所在工会", "人员类别"]
ON_ROSTER = 300  # of the 400 demo members (phones 137…), and the demo member


async def roster_bytes(db: AsyncSession, market_id: int, member_phone: str) -> bytes:
    query = (
        sa.select(User.name, User.phone, User.groups)
        .where(User.market_id == market_id, sa.or_(User.phone.like("137%"), User.phone == member_phone))
        .order_by(User.phone)
        .limit(ON_ROSTER + 1)
    )
    people = (await db.execute(query)).all()
    rows = []
    for n, (name, phone, groups) in enumerate(people, start=1):
        if n == 7:
            name = f"{name}（曾用名）"  # the account carries another name: not verified, flagged for a curator
        words = "、".join(GROUP_WORDS[g] for g in groups if g in GROUP_WORDS)
        rows.append([n, name, phone, f"NS{n:06d}", WORKPLACES[n % len(WORKPLACES)], words])
    for k in range(20):  # members of the union who have not registered yet
        n = len(rows) + 1
        rows.append([n, f"未注册会员{k + 1}", f"136{k:08d}", f"NS{n:06d}", WORKPLACES[k % len(WORKPLACES)], ""])
    rows.append([len(rows) + 1, "", "13600009998", "", WORKPLACES[0], ""])  # no name
    rows.append([len(rows) + 1, "号码有误", "1360000", "", WORKPLACES[1], "农民工"])  # not a mobile number
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
