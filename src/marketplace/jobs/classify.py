"""The review queue scored again after a curator filed a need (services/classify.py)."""

from ..services import classify
from .registry import job


@job(classify.RECLASSIFY_QUEUE)
async def reclassify_needs(db, args: dict) -> dict:
    return await classify.reclassify_queue(db, args["market_id"])
