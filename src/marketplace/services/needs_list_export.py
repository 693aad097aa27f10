"""The needs classification list as a file: CSV (UTF-8 with a BOM, so spreadsheet programs read the
Chinese) or XLSX, with Chinese headers and the period in the market's local time."""

import csv
import io
from collections.abc import AsyncIterator, Callable
from zoneinfo import ZoneInfo

from ..domain.surveys import GROUPS
from .exports import Table
from .needs_list import NeedsList

CSV_TYPE = "text/csv; charset=utf-8"
HEADERS = ["领域", "类别", "调研需求", "发布需求", "候补名额", "需求合计"]
TAIL = ["主要街道/单位", "高频词", "典型表述"]


def _escape(cell: object) -> object:
    # A cell starting with = + - @ would run as a formula in a spreadsheet: kept as text
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell


def table(found: NeedsList, group_name: Callable[[str], str], zone: str) -> list[list[object]]:
    tz = ZoneInfo(zone)
    since = found.period.since.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    until = found.period.until.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    groups = [*GROUPS, ""]
    rows: list[list[object]] = [
        ["统计区间", f"{since} 至 {until}（{zone}）"],
        [*HEADERS, *(f"群体：{group_name(g)}" for g in groups), *TAIL],
    ]
    for r in found.rows:
        districts = "、".join(f"{d}({n})" for d, n in r.districts.most_common(3) if d)
        rows.append(
            [
                r.domain_zh,
                r.name_zh,
                r.survey,
                r.posted,
                r.waitlist,
                r.total,
                *(r.groups.get(g, 0) for g in groups),
                districts,
                "、".join(r.words),
                " | ".join(r.typical),
            ]
        )
    return [[_escape(c) for c in row] for row in rows]


def csv_bytes(found: NeedsList, group_name: Callable[[str], str], zone: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table(found, group_name, zone))
    return buffer.getvalue().encode("utf-8-sig")


def sheet(found: NeedsList, group_name: Callable[[str], str], zone: str) -> Table:
    """The same rows as one sheet, for exports.xlsx_chunks (the period's line first, then the headers)."""
    first, *rest = table(found, group_name, zone)

    async def rows() -> AsyncIterator[list]:
        for row in rest:
            yield row

    return Table("需求分类清单", first, rows())
