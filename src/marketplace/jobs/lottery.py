"""抽签: closing and drawing a session's draw (services/lottery.py); queued for its times, and again by the
deadline scan when due and not done. Idempotent: a closed draw is not closed again, a drawn one not drawn."""

from ..services import lottery
from .registry import job


@job("draw_lottery")
async def draw_lottery(db, args: dict) -> str:
    return await lottery.run(db, args["session_id"])
