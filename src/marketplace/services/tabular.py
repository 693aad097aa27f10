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
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..domain.cells import clean
from ..errors import Conflict, InvalidInput, NotFound
from ..models import User
from ..models.base import utcnow
from . import audit

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


@dataclass(frozen=True)
class Kind:
    """One kind of table import: its tables, its name (audit actions `upload_<name>`, `map_<name>`,
    `start_<name>` on `<name>_import`; job keys `<name>:<id>:<rows>`), its job, its rules."""

    model: type  # the import row (models/imports.TabularImport)
    file_model: type  # the uploaded rows until the import is done
    name: str
    job: str
    missing: str  # the sentence for an import not found (in web/pages/messages.py)
    guess: Callable[[list[str]], dict[str, int]]
    check: Callable[[dict[str, int], int], str | None]
    max_bytes: int
    max_rows: int


async def upload(db: AsyncSession, kind: Kind, curator: User, filename: str, content: bytes) -> tuple[object, bool]:
    """Keep an uploaded file with its guessed mapping. The same file again (by its digest) is the import
    already made: (that import, False)."""
    digest = digest_of(content, kind.max_bytes)
    found = await _by_digest(db, kind, curator.market_id, digest)
    if found is not None:
        return found, False
    table, rows_csv, total = await read_upload(content, kind.max_rows)
    row = {
        "market_id": curator.market_id,
        "created_by": curator.id,
        "filename": clean(filename)[:200] or kind.name,
        "digest": digest,
        "size": len(content),
        "format": table.format,
        "headers": table.headers,
        "mapping": kind.guess(table.headers),
        "total_rows": total,
    }
    made = await db.execute(insert(kind.model).values(**row).on_conflict_do_nothing().returning(kind.model.id))
    import_id = made.scalar_one_or_none()
    if import_id is None:  # the same file uploaded at the same moment: the first one holds
        return await _by_digest(db, kind, curator.market_id, digest), False
    db.add(kind.file_model(import_id=import_id, content=rows_csv))
    await audit.record(db, curator, f"upload_{kind.name}", f"{kind.name}_import", import_id, rows=total)
    return await db.get(kind.model, import_id), True


async def _by_digest(db: AsyncSession, kind: Kind, market_id: int, digest: str):
    query = sa.select(kind.model).where(kind.model.market_id == market_id, kind.model.digest == digest)
    return (await db.execute(query)).scalar_one_or_none()


async def get_import(db: AsyncSession, kind: Kind, market_id: int, import_id: int, *, lock: bool = False):
    found = await db.get(kind.model, import_id, with_for_update=lock, populate_existing=lock)
    if found is None or found.market_id != market_id:
        raise NotFound(kind.missing)
    return found


async def list_imports(db: AsyncSession, kind: Kind, market_id: int, limit: int, offset: int) -> tuple[list, int]:
    where = kind.model.market_id == market_id
    total = (await db.execute(sa.select(sa.func.count()).where(where))).scalar_one()
    query = sa.select(kind.model).where(where).order_by(kind.model.id.desc()).limit(limit).offset(offset)
    return list((await db.execute(query)).scalars()), total


async def set_mapping(db: AsyncSession, kind: Kind, curator: User, import_id: int, raw: dict[str, object]):
    found = await get_import(db, kind, curator.market_id, import_id, lock=True)
    if found.state != "uploaded":
        raise Conflict("This import has started: its mapping can no longer change.", field="mapping")
    found.mapping = parse_mapping(raw, len(found.headers), kind.check)
    await audit.record(db, curator, f"map_{kind.name}", f"{kind.name}_import", found.id, mapping=found.mapping)
    return found


async def content_of(db: AsyncSession, kind: Kind, import_id: int) -> bytes | None:
    query = sa.select(kind.file_model.content).where(kind.file_model.import_id == import_id)
    return (await db.execute(query)).scalar()


async def start(db: AsyncSession, kind: Kind, curator: User, import_id: int, *, in_worker: bool = True):
    """Queue the import (once: starting a started import changes nothing); `in_worker=False`: the caller
    runs the batches itself (the CLI, the demo data)."""
    found = await get_import(db, kind, curator.market_id, import_id, lock=True)
    if found.state != "uploaded":
        return found
    problem = kind.check(found.mapping, len(found.headers))
    if problem:
        raise InvalidInput(problem, field="mapping")
    found.state, found.started_at = "queued", utcnow()
    if in_worker:
        await queue.enqueue(db, kind.job, {"import_id": found.id}, dedupe_key=f"{kind.name}:{found.id}:0")
    await audit.record(db, curator, f"start_{kind.name}", f"{kind.name}_import", found.id)
    return found


async def lock_for_batch(db: AsyncSession, kind: Kind, import_id: int):
    """The import row locked for its next batch (marked running), or None when there is nothing to run."""
    found = await db.get(kind.model, import_id, with_for_update=True, populate_existing=True)
    if found is None or found.state not in ("queued", "running"):
        return None
    found.state = "running"
    return found


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


async def end_batch(db: AsyncSession, kind: Kind, found, seen: int, rows: int, *, chain: bool) -> bool:
    """After a batch of `seen` rows (of `rows` asked): finish the import (its file dropped) or queue the
    next batch (chain). Whether it finished."""
    found.processed_rows += seen
    finished = seen < rows or found.processed_rows >= found.total_rows
    if finished:
        found.state, found.finished_at = "done", utcnow()
        found.total_rows = found.processed_rows
        await db.execute(sa.delete(kind.file_model).where(kind.file_model.import_id == found.id))
    elif chain:
        key = f"{kind.name}:{found.id}:{found.processed_rows}"
        await queue.enqueue(db, kind.job, {"import_id": found.id}, dedupe_key=key)
    return finished


async def run_here(
    session_factory: Callable,
    kind: Kind,
    curator: User,
    filename: str,
    content: bytes,
    batch: Callable[[AsyncSession, int], Awaitable[dict]],
    progress: Callable[[int, int], None] | None = None,
    mapping: dict[str, int] | None = None,
):
    """Upload, map (guessed unless given) and import a file here and now, one transaction per batch (the CLI
    and the demo data): `batch` runs one batch. `session_factory()` opens one unit of work (`async with`)."""
    async with session_factory() as db:
        found, _ = await upload(db, kind, curator, filename, content)
        if found.state == "uploaded":
            if mapping is not None:
                found.mapping = parse_mapping(mapping, len(found.headers), kind.check)
            found = await start(db, kind, curator, found.id, in_worker=False)
        import_id = found.id
    while True:
        async with session_factory() as db:
            result = await batch(db, import_id)
            current = await db.get(kind.model, import_id)
            if progress is not None:
                progress(current.processed_rows, current.total_rows)
        if result.get("skipped") or result.get("done"):
            break
    async with session_factory() as db:
        return await db.get(kind.model, import_id)
