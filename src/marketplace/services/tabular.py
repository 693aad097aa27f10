"""Uploaded tables as unions' spreadsheets save them, and the batch import every table import shares.

Reading: CSV in UTF-8 (with or without a BOM) or GB18030 (Excel on Chinese Windows), or XLSX; the file
read once into plain UTF-8 CSV rows (what the batches read). Importing: the file is known by its SHA-256
(the same file again is the same import), and each batch records how far it came, the rows refused
with their reasons (the first MAX_ERRORS), and finishes the import (dropping the file's bytes) once every
row is read. Used by questionnaires (services/surveys.py), the real-name roster (services/roster.py) and
organisations' seat lists (services/organisations.py)."""

import asyncio
import csv
import hashlib
import io
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..domain.cells import clean
from ..errors import InvalidInput
from ..models.base import utcnow

MAX_ERRORS = 1000  # faults kept with their reasons (all are counted)


def decode_csv(content: bytes) -> str | None:
    """The file as text, or None when it is neither encoding (or holds NUL: a binary file)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text
    return None


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: Iterator[tuple]  # the data rows, the header row left out


def read_table(content: bytes) -> Table:
    """The file's header row and an iterator over its data rows (CSV in UTF-8 or GB18030, or XLSX)."""
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    text = decode_csv(content)
    if text is None:
        raise InvalidInput("The file is neither CSV (UTF-8 or GBK) nor XLSX.", field="file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    headers = next(reader, None)
    if not headers or not any(clean(h) for h in headers):
        raise InvalidInput("The file has no header row.", field="file")
    return Table("csv", [clean(h) for h in headers], (tuple(r) for r in reader))


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = next(rows, None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError) as exc:
        raise InvalidInput("The XLSX file could not be read.", field="file") from exc
    if not headers or not any(clean(h) for h in headers):
        raise InvalidInput("The file has no header row.", field="file")
    return Table("xlsx", [clean(h) for h in headers], rows)


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return clean(value, fold=False)


def normalise(content: bytes, max_rows: int) -> tuple[Table, bytes, int]:
    """The file read once: its header, its rows as plain UTF-8 CSV (what the batches read: an XLSX is
    unzipped and parsed here, not in every batch) and how many rows it has."""
    table = read_table(content)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    total = 0
    for row in table.rows:
        total += 1
        if total > max_rows:
            raise InvalidInput(f"The file has more than {max_rows:,} rows: please split it.", field="file")
        writer.writerow([_cell(c) for c in row])
    return table, buffer.getvalue().encode("utf-8"), total


def digest_of(content: bytes, max_bytes: int) -> str:
    """The upload's SHA-256, after refusing an empty or oversized file."""
    if not content:
        raise InvalidInput("The file is empty.", field="file")
    if len(content) > max_bytes:
        raise InvalidInput(f"The file is larger than {max_bytes:,} bytes.", field="file")
    return hashlib.sha256(content).hexdigest()


async def read_upload(content: bytes, max_rows: int) -> tuple[Table, bytes, int]:
    """`normalise` off the event loop, refusing a file with a header and no rows."""
    table, rows_csv, total = await asyncio.to_thread(normalise, content, max_rows)
    if total == 0:
        raise InvalidInput("The file has a header row but no answers.", field="file")
    return table, rows_csv, total


def rows_of(content: bytes | None, start: int, n: int) -> Iterator[tuple[int, tuple]]:
    """(row number in the file — the header is row 1 —, cells) of `n` rows from the `start`-th data row."""
    table_rows = read_table(content).rows if content is not None else iter(())
    return enumerate(islice(table_rows, start, start + n), start=start + 2)


def parse_mapping(raw: dict[str, object], columns: int, check: Callable[[dict[str, int], int], str | None]):
    """A mapping as sent (field → column index, empty or None for none), checked by the import's rules."""
    mapping = {k: v for k, v in raw.items() if v is not None and v != ""}
    try:
        mapping = {k: int(v) for k, v in mapping.items()}
    except (TypeError, ValueError):
        raise InvalidInput("Each field maps to a column number.", field="mapping") from None
    problem = check(mapping, columns)
    if problem:
        raise InvalidInput(problem, field="mapping")
    return mapping


def record_faults(found, faults: list) -> None:
    """Count a batch's refused rows on the import and keep the first MAX_ERRORS with their reasons
    (and values, for a sentence that names one)."""
    found.bad_rows += len(faults)
    room = MAX_ERRORS - len(found.errors)
    if faults and room > 0:
        kept = []
        for f in faults[:room]:
            params = getattr(f, "params", None)
            kept.append({"row": f.row, "reason": f.reason, **({"params": params} if params else {})})
        found.errors = [*found.errors, *kept]


async def end_batch(
    db: AsyncSession, found, seen: int, rows: int, file_model, job: str, key: str, *, chain: bool
) -> bool:
    """After a batch of `seen` rows (of `rows` asked): finish the import (its file dropped) or queue the
    next batch (chain). Whether it finished."""
    found.processed_rows += seen
    finished = seen < rows or found.processed_rows >= found.total_rows
    if finished:
        found.state, found.finished_at = "done", utcnow()
        found.total_rows = found.processed_rows
        await db.execute(sa.delete(file_model).where(file_model.import_id == found.id))
    elif chain:
        await queue.enqueue(db, job, {"import_id": found.id}, dedupe_key=f"{key}:{found.id}:{found.processed_rows}")
    return finished


async def run_here(
    session_factory: Callable,
    model,
    begin: Callable[[AsyncSession], Awaitable[int]],
    batch: Callable[[AsyncSession, int], Awaitable[dict]],
    progress: Callable[[int, int], None] | None = None,
):
    """An import run here and now, one transaction per batch (the CLI and the demo data): `begin` uploads
    and starts it and says its id, `batch` runs one batch. `session_factory()` opens one unit of work."""
    async with session_factory() as db:
        import_id = await begin(db)
    while True:
        async with session_factory() as db:
            result = await batch(db, import_id)
            current = await db.get(model, import_id)
            if progress is not None:
                progress(current.processed_rows, current.total_rows)
        if result.get("skipped") or result.get("done"):
            break
    async with session_factory() as db:
        return await db.get(model, import_id)
