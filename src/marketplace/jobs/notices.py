"""Notices sent out through the configured channel (services/outbound.py)."""

from ..services import outbound
from .registry import job


@job(outbound.DELIVER_NOTICE)
async def deliver_notice(db, args: dict) -> str:
    return await outbound.deliver(db, args["notification_id"])
