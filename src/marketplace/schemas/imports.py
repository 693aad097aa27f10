"""What every table import (questionnaires, the roster) answers about itself over the API."""

from datetime import datetime

from .common import Out


class TableImportOut(Out):
    id: int
    filename: str
    format: str
    size: int
    headers: list[str]
    mapping: dict[str, int]
    state: str  # uploaded | queued | running | done
    total_rows: int
    processed_rows: int
    imported_rows: int
    duplicate_rows: int
    bad_rows: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created: bool = False  # this upload made the import (False: the same file was uploaded before)
