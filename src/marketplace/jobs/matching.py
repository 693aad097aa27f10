"""The matcher as a job: queued when a need is placed, declined or times out."""

from ..services import matching
from .registry import job


@job(matching.MATCH_NEEDS)
async def match_needs(db, args: dict) -> dict:
    return (await matching.match_market(db, args["market_id"])).as_dict()
