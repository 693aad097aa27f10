"""Importing needs questionnaires (需求调研): upload, mapping, preview, then a background import in batches.

A file is kept by its SHA-256 (the same file again is the same import: nothing added), each row by a
one-way digest of its cells (the same answers in another file count once). The import runs as an
outbox job, one batch of rows per job and transaction: the import row records how far it has come, so
a job run twice or a worker killed half-way goes on from the last committed batch. Each batch's needs
are classified into the category tree (services/classify) before the batch commits. The file's bytes
are dropped once the import is done; only the mapped facts of each row are kept.
"""

import asyncio
import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue
from ..db import settings_of
from ..domain import surveys as rules
from ..errors import Conflict, InvalidInput, NotFound
from ..models import SurveyFile, SurveyImport, SurveyNeed, User
from ..models.base import utcnow
from . import audit, classify
from .tabular import decode_csv

IMPORT_JOB = "import_survey"
BATCH_ROWS = 2500
MAX_FILE_BYTES = 20_000_000  # ~100,000 rows of a questionnaire
MAX_ROWS = 200_000
MAX_ERRORS = 1000  # faults kept with their reasons (all are counted)
PREVIEW_ROWS = 10


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
    if not headers or not any(rules.clean(h) for h in headers):
        raise InvalidInput("The file has no header row.", field="file")
    return Table("csv", [rules.clean(h) for h in headers], (tuple(r) for r in reader))


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        headers = next(rows, None)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError) as exc:
        raise InvalidInput("The XLSX file could not be read.", field="file") from exc
    if not headers or not any(rules.clean(h) for h in headers):
        raise InvalidInput("The file has no header row.", field="file")
    return Table("xlsx", [rules.clean(h) for h in headers], rows)


def _cell(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return rules.clean(value, fold=False)


def normalise(content: bytes) -> tuple[Table, bytes, int]:
    """The file read once: its header, its rows as plain UTF-8 CSV (what the batches read: an XLSX is
    unzipped and parsed here, not in every batch) and how many rows it has."""
    table = read_table(content)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    total = 0
    for row in table.rows:
        total += 1
        if total > MAX_ROWS:
            raise InvalidInput(f"The file has more than {MAX_ROWS:,} rows: please split it.", field="file")
        writer.writerow([_cell(c) for c in row])
    return table, buffer.getvalue().encode("utf-8"), total


async def upload(db: AsyncSession, curator: User, filename: str, content: bytes) -> tuple[SurveyImport, bool]:
    """Keep an uploaded questionnaire with its guessed mapping. The same file again (by its digest) is the
    import already made: (that import, False)."""
    if not content:
        raise InvalidInput("The file is empty.", field="file")
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_FILE_BYTES:,} bytes.", field="file")
    digest = hashlib.sha256(content).hexdigest()
    found = await _by_digest(db, curator.market_id, digest)
    if found is not None:
        return found, False
    table, rows_csv, total = await asyncio.to_thread(normalise, content)
    if total == 0:
        raise InvalidInput("The file has a header row but no answers.", field="file")
    row = {
        "market_id": curator.market_id,
        "created_by": curator.id,
        "filename": rules.clean(filename)[:200] or "survey",
        "digest": digest,
        "size": len(content),
        "format": table.format,
        "headers": table.headers,
        "mapping": rules.guess_mapping(table.headers),
        "total_rows": total,
    }
    made = await db.execute(insert(SurveyImport).values(**row).on_conflict_do_nothing().returning(SurveyImport.id))
    import_id = made.scalar_one_or_none()
    if import_id is None:  # the same file uploaded at the same moment: the first one holds
        return await _by_digest(db, curator.market_id, digest), False
    db.add(SurveyFile(import_id=import_id, content=rows_csv))
    await audit.record(db, curator, "upload_survey", "survey_import", import_id, rows=total)
    return await db.get(SurveyImport, import_id), True


async def _by_digest(db: AsyncSession, market_id: int, digest: str) -> SurveyImport | None:
    query = sa.select(SurveyImport).where(SurveyImport.market_id == market_id, SurveyImport.digest == digest)
    return (await db.execute(query)).scalar_one_or_none()


async def get_import(db: AsyncSession, market_id: int, import_id: int, *, lock: bool = False) -> SurveyImport:
    found = await db.get(SurveyImport, import_id, with_for_update=lock, populate_existing=lock)
    if found is None or found.market_id != market_id:
        raise NotFound("No such survey import.")
    return found


async def list_imports(db: AsyncSession, market_id: int, limit: int = 50, offset: int = 0) -> tuple[list, int]:
    where = SurveyImport.market_id == market_id
    total = (await db.execute(sa.select(sa.func.count()).where(where))).scalar_one()
    query = sa.select(SurveyImport).where(where).order_by(SurveyImport.id.desc()).limit(limit).offset(offset)
    return list((await db.execute(query)).scalars()), total


def parse_mapping(raw: dict[str, object], columns: int) -> dict[str, int]:
    """A mapping as sent (field → column index, empty or None for none), checked."""
    mapping = {k: v for k, v in raw.items() if v is not None and v != ""}
    try:
        mapping = {k: int(v) for k, v in mapping.items()}
    except (TypeError, ValueError):
        raise InvalidInput("Each field maps to a column number.", field="mapping") from None
    problem = rules.check_mapping(mapping, columns)
    if problem:
        raise InvalidInput(problem, field="mapping")
    return mapping


async def set_mapping(db: AsyncSession, curator: User, import_id: int, raw: dict[str, object]) -> SurveyImport:
    found = await get_import(db, curator.market_id, import_id, lock=True)
    if found.state != "uploaded":
        raise Conflict("This import has started: its mapping can no longer change.", field="mapping")
    found.mapping = parse_mapping(raw, len(found.headers))
    await audit.record(db, curator, "map_survey", "survey_import", found.id, mapping=found.mapping)
    return found


@dataclass
class PreviewRow:
    row: int
    answer: rules.Answer | None
    fault: str | None


async def _content(db: AsyncSession, import_id: int) -> bytes | None:
    return (await db.execute(sa.select(SurveyFile.content).where(SurveyFile.import_id == import_id))).scalar()


def _zone(db: AsyncSession) -> ZoneInfo:
    return ZoneInfo(settings_of(db).time_zone)


def _read(number: int, cells, mapping, zone, now) -> rules.Answer | rules.Fault | None:
    return rules.read_row(number, cells, mapping, zone, now)


async def preview(
    db: AsyncSession, market_id: int, import_id: int, mapping: dict[str, int] | None = None, n: int = PREVIEW_ROWS
) -> tuple[SurveyImport, list[PreviewRow]]:
    """The first rows as the mapping (the import's, or the one given) will read them."""
    found = await get_import(db, market_id, import_id)
    mapping = found.mapping if mapping is None else mapping
    content = await _content(db, found.id)
    if content is None or rules.check_mapping(mapping, len(found.headers)):
        return found, []
    zone, now = _zone(db), utcnow()

    def first() -> list[PreviewRow]:
        rows = []
        for number, cells in enumerate(islice(read_table(content).rows, n * 2), start=2):
            read = _read(number, cells, mapping, zone, now)
            if isinstance(read, rules.Answer):
                rows.append(PreviewRow(number, read, None))
            elif isinstance(read, rules.Fault):
                rows.append(PreviewRow(number, None, read.reason))
            if len(rows) >= n:
                break
        return rows

    return found, await asyncio.to_thread(first)


async def start(db: AsyncSession, curator: User, import_id: int, *, in_worker: bool = True) -> SurveyImport:
    """Queue the import (once: starting a started import changes nothing); `in_worker=False`: the caller
    runs the batches itself (the CLI)."""
    found = await get_import(db, curator.market_id, import_id, lock=True)
    if found.state != "uploaded":
        return found
    problem = rules.check_mapping(found.mapping, len(found.headers))
    if problem:
        raise InvalidInput(problem, field="mapping")
    found.state, found.started_at = "queued", utcnow()
    if in_worker:
        await queue.enqueue(db, IMPORT_JOB, {"import_id": found.id}, dedupe_key=f"survey:{found.id}:0")
    await audit.record(db, curator, "start_survey", "survey_import", found.id)
    return found


async def run_batch(db: AsyncSession, import_id: int, rows: int = BATCH_ROWS, *, chain: bool = True) -> dict:
    """Read, keep and classify the next batch of an import's rows, in the caller's transaction; queue the
    next batch (chain) or finish. Idempotent: the import row, locked, says where to go on from."""
    found = await db.get(SurveyImport, import_id, with_for_update=True, populate_existing=True)
    if found is None or found.state not in ("queued", "running"):
        return {"skipped": True}
    found.state = "running"
    content = await _content(db, found.id)
    zone, now, start_at = _zone(db), utcnow(), found.processed_rows
    answered_default = found.created_at or now

    def read() -> tuple[list[rules.Answer], list[rules.Fault], int]:
        answers, faults, seen = [], [], 0
        table_rows = read_table(content).rows if content is not None else iter(())
        for number, cells in enumerate(islice(table_rows, start_at, start_at + rows), start=start_at + 2):
            seen += 1
            got = _read(number, cells, found.mapping, zone, now)
            if isinstance(got, rules.Answer):
                answers.append(got)
            elif isinstance(got, rules.Fault):
                faults.append(got)
        return answers, faults, seen

    answers, faults, seen = await asyncio.to_thread(read)
    # rows kept before (this file's earlier run, or another file) are neither classified nor written again
    digests = [a.digest for a in answers]
    known = set()
    if digests:
        query = sa.select(SurveyNeed.row_digest).where(
            SurveyNeed.market_id == found.market_id, SurveyNeed.row_digest.in_(digests)
        )
        known = set((await db.execute(query)).scalars())
    fresh, seen_digests = [], set(known)
    for a in answers:
        if a.digest not in seen_digests:
            seen_digests.add(a.digest)
            fresh.append(a)
    suggestions = await _classify(db, found.market_id, [a.text for a in fresh])
    inserted = 0
    if fresh:
        values = [
            {
                "market_id": found.market_id,
                "import_id": found.id,
                "row_number": a.row,
                "row_digest": a.digest,
                "text": a.text,
                "group": a.group,
                "district": a.district,
                "age_band": a.age_band,
                "mode": a.mode,
                "times": a.times,
                "answered_at": a.answered_at or answered_default,
                "category_id": s.category_id if s else None,
                "domain_id": s.domain_id if s else None,
                "confidence": s.confidence if s else None,
            }
            for a, s in zip(fresh, suggestions, strict=True)
        ]
        # one statement, many rows; a row another import wrote meanwhile is left as it is
        statement = (
            insert(SurveyNeed.__table__)
            .on_conflict_do_nothing(index_elements=["market_id", "row_digest"])
            .returning(SurveyNeed.__table__.c.id)
        )
        inserted = len((await db.execute(statement, values)).all())
    classified = min(inserted, sum(1 for s in suggestions if s is not None))
    found.processed_rows += seen
    found.imported_rows += inserted
    found.duplicate_rows += len(answers) - inserted
    found.bad_rows += len(faults)
    found.classified_rows += classified
    room = MAX_ERRORS - len(found.errors)
    if faults and room > 0:
        found.errors = [*found.errors, *({"row": f.row, "reason": f.reason} for f in faults[:room])]
    finished = seen < rows or found.processed_rows >= found.total_rows
    if finished:
        found.state, found.finished_at = "done", utcnow()
        found.total_rows = found.processed_rows
        await db.execute(sa.delete(SurveyFile).where(SurveyFile.import_id == found.id))
    elif chain:
        await queue.enqueue(
            db, IMPORT_JOB, {"import_id": found.id}, dedupe_key=f"survey:{found.id}:{found.processed_rows}"
        )
    return {"import_id": found.id, "rows": seen, "imported": inserted, "bad": len(faults), "done": finished}


async def _classify(db: AsyncSession, market_id: int, texts: list[str]) -> list:
    """A suggestion per text (None where the market has no categories); the same text is scored once."""
    if not texts:
        return []
    unique = list(dict.fromkeys(texts))
    found = dict(zip(unique, await classify.classify_texts(db, market_id, unique), strict=True))
    return [found[t] for t in texts]


async def errors_of(db: AsyncSession, market_id: int, import_id: int) -> tuple[SurveyImport, list[dict]]:
    found = await get_import(db, market_id, import_id)
    return found, list(found.errors)


async def import_file(
    session_factory: Callable,
    curator: User,
    filename: str,
    content: bytes,
    progress: Callable[[int, int], None] | None = None,
    mapping: dict[str, int] | None = None,
) -> SurveyImport:
    """Upload, map (guessed unless given) and import a file here and now, one transaction per batch (the CLI
    and the demo data). `session_factory()` opens one unit of work (`async with`)."""
    async with session_factory() as db:
        found, _ = await upload(db, curator, filename, content)
        if found.state == "uploaded":
            if mapping is not None:
                found.mapping = parse_mapping(mapping, len(found.headers))
            found = await start(db, curator, found.id, in_worker=False)
        import_id = found.id
    while True:
        async with session_factory() as db:
            result = await run_batch(db, import_id, chain=False)
            current = await db.get(SurveyImport, import_id)
            if progress is not None:
                progress(current.processed_rows, current.total_rows)
        if result.get("skipped") or result.get("done"):
            break
    async with session_factory() as db:
        return await db.get(SurveyImport, import_id)


def moment_label(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


async def purge_abandoned(db: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget uploads never started within a day: their rows (names and phones among them, before the
    mapping drops them) must not stay in the database. Nothing of them was imported."""
    stale = sa.select(SurveyImport.id).where(
        SurveyImport.state == "uploaded", SurveyImport.created_at < utcnow() - older_than
    )
    await db.execute(sa.delete(SurveyFile).where(SurveyFile.import_id.in_(stale)))
    result = await db.execute(sa.delete(SurveyImport).where(SurveyImport.id.in_(stale)))
    return result.rowcount or 0
