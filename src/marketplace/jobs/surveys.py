"""A questionnaire imported in the worker, one batch of rows per job (services/surveys.py)."""

from ..services import surveys
from .registry import job


@job(surveys.IMPORT_JOB)
async def import_survey(db, args: dict) -> dict:
    return await surveys.run_batch(db, args["import_id"])
