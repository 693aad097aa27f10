"""Planned reminders, sent when due (services/reminders.py plans them)."""

from ..services import reminder_notices
from ..services.reminders import REMIND
from .registry import batch_job, job


@job(REMIND)
async def remind(db, args: dict) -> str:
    return await reminder_notices.send(db, args)


@batch_job(REMIND)
async def remind_many(db, batch: list[dict]) -> list[str]:
    return await reminder_notices.send_many(db, batch)
