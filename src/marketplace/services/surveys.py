"""Importing needs questionnaires (需求调研): upload, mapping, preview, then a background import in batches.

A file is kept by its SHA-256 (the same file again is the same import: nothing added), each row by a
one-way digest of its cells (the same answers in another file count once). The import runs as an
outbox job, one batch of rows per job and transaction: the import row records how far it has come, so
a job run twice or a worker killed half-way goes on from the last committed batch. Each batch's needs
are classified into the category tree (services/classify) before the batch commits. The file's bytes
are dropped once the import is done; only the mapped facts of each row are kept.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import settings_of
from ..domain import surveys as rules
from ..models import SurveyFile, SurveyImport, SurveyNeed, User
from ..models.base import utcnow
from . import classify, tabular

IMPORT_JOB = "import_survey"
BATCH_ROWS = 2500
MAX_FILE_BYTES = 20_000_000  # ~100,000 rows of a questionnaire
MAX_ROWS = 200_000
MAX_ERRORS = tabular.MAX_ERRORS
PREVIEW_ROWS = 10


KIND = tabular.Kind(
    model=SurveyImport,
    file_model=SurveyFile,
    name="survey",
    job=IMPORT_JOB,
    missing="No such survey import.",
    guess=rules.guess_mapping,
    check=rules.check_mapping,
    max_bytes=MAX_FILE_BYTES,
    max_rows=MAX_ROWS,
)


async def upload(db: AsyncSession, curator: User, filename: str, content: bytes) -> tuple[SurveyImport, bool]:
    """Keep an uploaded questionnaire with its guessed mapping. The same file again (by its digest) is the
    import already made: (that import, False)."""
    return await tabular.upload(db, KIND, curator, filename, content)


async def get_import(db: AsyncSession, market_id: int, import_id: int, *, lock: bool = False) -> SurveyImport:
    return await tabular.get_import(db, KIND, market_id, import_id, lock=lock)


async def list_imports(db: AsyncSession, market_id: int, limit: int = 50, offset: int = 0) -> tuple[list, int]:
    return await tabular.list_imports(db, KIND, market_id, limit, offset)


async def set_mapping(db: AsyncSession, curator: User, import_id: int, raw: dict[str, object]) -> SurveyImport:
    return await tabular.set_mapping(db, KIND, curator, import_id, raw)


@dataclass
class PreviewRow:
    row: int
    answer: rules.Answer | None
    fault: str | None


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
    content = await tabular.content_of(db, KIND, found.id)
    if content is None or rules.check_mapping(mapping, len(found.headers)):
        return found, []
    zone, now = _zone(db), utcnow()

    def first() -> list[PreviewRow]:
        rows = []
        for number, cells in tabular.rows_of(content, 0, n * 2):
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
    """Queue the import (once); `in_worker=False`: the caller runs the batches itself (the CLI)."""
    return await tabular.start(db, KIND, curator, import_id, in_worker=in_worker)


async def run_batch(db: AsyncSession, import_id: int, rows: int = BATCH_ROWS, *, chain: bool = True) -> dict:
    """Read, keep and classify the next batch of an import's rows, in the caller's transaction; queue the
    next batch (chain) or finish. Idempotent: the import row, locked, says where to go on from."""
    found = await tabular.lock_for_batch(db, KIND, import_id)
    if found is None:
        return {"skipped": True}
    content = await tabular.content_of(db, KIND, found.id)
    zone, now, start_at = _zone(db), utcnow(), found.processed_rows
    answered_default = found.created_at or now

    def read() -> tuple[list[rules.Answer], list[rules.Fault], int]:
        answers, faults, seen = [], [], 0
        for number, cells in tabular.rows_of(content, start_at, rows):
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
    suggestions = await classify.classify_unique(db, found.market_id, [a.text for a in fresh])
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
                "runner_up_id": s.runner_up_id if s else None,
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
    found.imported_rows += inserted
    found.duplicate_rows += len(answers) - inserted
    found.classified_rows += classified
    tabular.record_faults(found, faults)
    finished = await tabular.end_batch(db, KIND, found, seen, rows, chain=chain)
    return {"import_id": found.id, "rows": seen, "imported": inserted, "bad": len(faults), "done": finished}


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

    async def batch(db: AsyncSession, import_id: int) -> dict:
        return await run_batch(db, import_id, chain=False)

    return await tabular.run_here(session_factory, KIND, curator, filename, content, batch, progress, mapping)


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
