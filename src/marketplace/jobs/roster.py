"""A real-name roster imported in the worker, one batch of rows per job (services/roster.py)."""

from ..services import roster
from .registry import job


@job(roster.IMPORT_JOB)
async def import_roster(db, args: dict) -> dict:
    return await roster.run_batch(db, args["import_id"])
