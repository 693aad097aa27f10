"""免申即享: a campaign's offers past their deadline expire and their places pass on (services/campaigns.py).
Queued by the deadline scan; idempotent: under the campaign's lock, a second run finds nothing due."""

from datetime import datetime

from ..services import campaigns
from .registry import job


@job("campaign_sweep")
async def campaign_sweep(db, args: dict) -> str:
    now = datetime.fromisoformat(args["now"]) if args.get("now") else None
    return await campaigns.sweep(db, args["campaign_id"], now)
