"""Exports of a market's orders, reviews and audit trail for the union's own analysis (curators only), as
CSV and XLSX, in the reader's language: headers and state names in words, times in the market's zone to the
second. Text anyone can type (names, titles, reviews) never reaches a spreadsheet as a formula.

A use case gives a `Table` (its headers and rows of plain values, read from a server-side cursor as they are
written, so an export's memory does not grow with the market's history); `csv_chunks` streams it as CSV and
`xlsx_chunks` as one sheet (openpyxl's write-only mode, through temporary files).
What the states and actions are called comes from the caller (`Words.label`), who knows the page's words.
"""

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ..domain.confidential import staff_need_member
from ..domain.phones import mask_phone
from ..models import Category, Listing, ListingSession, Order, Review, User
from ..texts import N_, tr
from . import audit_trail
from .categories import confidential_ids

# A cell starting with one of these is run as a formula by spreadsheet programs (and a name or review
# is text anyone can write): such cells get a leading apostrophe, which shows the text as it was typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def neutral_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Words:
    """How an export speaks: its language, the market's zone, and `label(table, code)` — a state, kind or
    action in words (the tables of web/pages/labels.py)."""

    lang: str
    zone: ZoneInfo
    label: Callable[[str, str | None], str]

    def header(self, columns: list[str]) -> list[str]:
        return [tr(self.lang, column) for column in columns]

    def yes_no(self, value: bool | None) -> str:
        return "" if value is None else tr(self.lang, YES if value else NO)

    def local(self, value: datetime | None) -> datetime | None:
        """A moment in the market's zone, to the second, without the zone (as a spreadsheet holds times)."""
        if value is None:
            return None
        try:
            return value.astimezone(self.zone).replace(tzinfo=None, microsecond=0)
        except OverflowError:  # a row from before the input bounds: as stored, in UTC
            return value.replace(tzinfo=None, microsecond=0)


@dataclass
class Table:
    name: str  # the sheet's name and the file's
    headers: list[str]
    rows: AsyncIterable[list]


YES, NO = N_("yes"), N_("no")
KINDS = {"listing": N_("Listed service"), "need": N_("Need")}
CONFIDENTIAL_MEMBER = N_("Confidential member")
ORDER_COLUMNS = [
    N_("Order no."),
    N_("Ordered at"),
    N_("Kind"),
    N_("State"),
    N_("Service"),
    N_("Category"),
    N_("Member no."),
    N_("Member"),
    N_("Member's phone"),
    N_("Provider no."),
    N_("Provider"),
    N_("Session starts"),
    N_("Delivered at"),
    N_("Came"),
    N_("Reorder of"),
]
REVIEW_COLUMNS = [
    N_("Review no."),
    N_("Written at"),
    N_("Order no."),
    N_("Listing no."),
    N_("Service"),
    N_("Provider no."),
    N_("Provider"),
    N_("Stars"),
    N_("Tags"),
    N_("Review"),
    N_("Provider's reply"),
    N_("Hidden"),
    N_("Why hidden"),
]
AUDIT_COLUMNS = [N_("When"), N_("Who"), N_("What"), N_("On what"), N_("No."), N_("Why")]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


ROWS_PER_CHUNK = 1_000  # CSV rows written to the client at a time
FETCH = 2_000  # rows fetched from the server-side cursor at a time


async def csv_chunks(table: Table) -> AsyncIterator[str]:
    """The table as CSV, a few hundred rows at a time, as they are read."""
    out = io.StringIO()
    # A byte-order mark, so spreadsheet programs read the Chinese text as UTF-8.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(table.headers)
    written = 0
    async for row in table.rows:
        writer.writerow([neutral_cell(_text(cell)) for cell in row])
        written += 1
        if written % ROWS_PER_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


XLSX_CHUNK = 64 * 1024  # bytes of the finished workbook sent at a time
XLSX_ROWS = 500  # rows handed to openpyxl's thread at a time
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exports_dir(settings) -> Path:
    """Where workbooks are written before they are sent: the deployment's own disk (as pictures are), not a
    system /tmp that may be a small memory disk."""
    return Path(settings.data_dir) / "exports"


def _xlsx_row(sheet, row: list) -> list:
    """Text cells are written as text, so one starting with "=" is never a formula; times are times."""
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
        cells.append(cell)
    return cells


async def xlsx_chunks(table: Table, directory: Path) -> AsyncIterator[bytes]:
    """The table as one sheet, in constant memory: openpyxl's write-only mode writes each row to its own
    temporary file of the sheet as it is read (strings inline, no shared-strings table), the workbook is
    zipped into a temporary file in `directory`, and that file is sent XLSX_CHUNK at a time. An XLSX is a
    zip whose directory comes last, so nothing can be sent before the last row is written. openpyxl's work
    (tens of microseconds a cell: seconds for a market's orders) runs in a thread, XLSX_ROWS rows at a
    time, so the web process keeps answering meanwhile. Both files are removed when the generator ends —
    finished, failed or closed early (a client that went away)."""
    name = _new_file(directory)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name[:31])
    working = None  # openpyxl's work in its thread: a dropped download lets it finish (a thread cannot be stopped)

    async def in_thread(work, *args):
        nonlocal working
        working = asyncio.ensure_future(asyncio.to_thread(work, *args))
        await asyncio.shield(working)

    try:
        batch = [table.headers]
        async for row in table.rows:
            batch.append(row)
            if len(batch) == XLSX_ROWS:
                await in_thread(_append, sheet, batch)
                batch = []
        await in_thread(_append, sheet, batch)
        await in_thread(book.save, name)
        finished = await asyncio.to_thread(open, name, "rb")
        try:
            while chunk := await asyncio.to_thread(finished.read, XLSX_CHUNK):
                yield chunk
        finally:
            finished.close()
    finally:
        if working is not None and not working.done():  # dropped while it works: removed once it is done
            working.add_done_callback(lambda _: _remove(name, sheet))
        else:
            _remove(name, sheet)


def _append(sheet, rows: list[list]) -> None:
    for row in rows:
        sheet.append(_xlsx_row(sheet, row))


def _new_file(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="export-", suffix=".xlsx", dir=directory)
    os.close(handle)
    return name


def _remove(name: str, sheet) -> None:
    """The workbook's file, and the one openpyxl writes a write-only sheet's rows to: saving removes that
    one, so it is left only by a workbook never saved (its rows failed, or the download was dropped)."""
    Path(name).unlink(missing_ok=True)
    rows = sheet._writer  # openpyxl keeps no public handle on it
    if rows is not None and os.path.exists(rows.out):
        sheet.close()
        rows.cleanup()


async def orders_table(db: AsyncSession, market_ids: Sequence[int], words: Words) -> Table:
    """Every order of these markets (a curator's market and those below it), oldest first."""
    member, provider = aliased(User), aliased(User)
    category = Category.name_zh if words.lang == "zh-CN" else Category.name_en
    # Plain columns, not ORM objects, from a server-side cursor: an export reads every order of the market.
    rows = _stream(
        db,
        sa.select(
            Order.id,
            Order.created_at,
            Order.kind,
            Order.state,
            Order.title,
            category,
            member.id,
            member.name,
            member.phone,
            Order.provider_id,
            provider.name,
            ListingSession.starts_at,
            Order.delivered_at,
            Order.attended,
            Order.reorder_of_id,
            Order.category_id,
            Order.escalated_at,
        )
        .join(Category, Category.id == Order.category_id)
        .join(member, member.id == Order.member_id)
        .outerjoin(provider, provider.id == Order.provider_id)
        .outerjoin(ListingSession, ListingSession.id == Order.session_id)
        .where(Order.market_id.in_(market_ids))
        .order_by(Order.id),
    )
    # The member of a confidential order (counselling, legal help) stays out of the file unless the order waits
    # for staff (domain/confidential.py): the union's figures keep the order, not whose it is.
    veiled = await confidential_ids(db, market_ids)
    hidden = tr(words.lang, CONFIDENTIAL_MEMBER)

    def member(category_id, state, escalated_at, member_id, name, phone) -> list:
        if category_id in veiled and not staff_need_member(state, escalated_at is not None):
            return [None, hidden, None]
        return [member_id, name, mask_phone(phone)]

    return Table(
        "orders",
        words.header(ORDER_COLUMNS),
        (
            [
                order_id,
                words.local(created_at),
                tr(words.lang, KINDS[kind]) if kind in KINDS else kind,
                words.label("ORDER_STATES", state),
                title,
                category_name,
                *member(category_id, state, escalated_at, member_id, member_name, phone),
                provider_id,
                provider_name,
                words.local(starts_at),
                words.local(delivered_at),
                words.yes_no(attended),
                reorder_of_id,
            ]
            async for (
                order_id,
                created_at,
                kind,
                state,
                title,
                category_name,
                member_id,
                member_name,
                phone,
                provider_id,
                provider_name,
                starts_at,
                delivered_at,
                attended,
                reorder_of_id,
                category_id,
                escalated_at,
            ) in rows
        ),
    )


async def reviews_table(db: AsyncSession, market_ids: Sequence[int], words: Words) -> Table:
    rows = _stream(
        db,
        sa.select(Review, Listing.title, User.name)
        .outerjoin(Listing, Listing.id == Review.listing_id)
        .join(User, User.id == Review.provider_id)
        .where(Review.market_id.in_(market_ids))
        .order_by(Review.id),
    )
    return Table(
        "reviews",
        words.header(REVIEW_COLUMNS),
        (
            [
                r.id,
                words.local(r.created_at),
                r.order_id,
                r.listing_id,
                title,
                r.provider_id,
                provider_name,
                r.stars,
                "；".join(r.tags) if words.lang == "zh-CN" else "; ".join(r.tags),
                r.text,
                r.reply,
                words.yes_no(r.hidden_at is not None),
                r.hidden_reason,
            ]
            async for r, title, provider_name in rows
        ),
    )


async def audit_table(db: AsyncSession, market_ids: Sequence[int], words: Words) -> Table:
    """The whole audit trail (services/audit_trail.py) of the curator's own market (the first), newest first:
    what the staff of the markets below did is theirs to account for."""
    found = await audit_trail.trail(db, market_ids[0], limit=1_000_000)

    async def rows() -> AsyncIterator[list]:
        for e in found.items:
            yield [
                words.local(e.at),
                e.actor_name,
                words.label("AUDIT_ACTIONS", e.action),
                words.label("AUDIT_TARGETS", e.target_type),
                e.target_id,
                e.why,
            ]

    return Table("audit", words.header(AUDIT_COLUMNS), rows())


async def _stream(db: AsyncSession, query) -> AsyncIterator:
    """The rows of `query` from a server-side cursor, FETCH at a time (awaited per batch, not per row)."""
    result = await db.stream(query.execution_options(yield_per=FETCH))
    async for batch in result.partitions():
        for row in batch:
            yield row
