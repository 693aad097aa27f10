"""Sending notices beyond the app (SMS, WeChat template messages) through a configured channel.

The channel itself is the workers' part; here a notice only asks to be delivered.
"""

from sqlalchemy.ext.asyncio import AsyncSession


async def queue_delivery(db: AsyncSession, notification_id: int) -> None:
    """No outbound channel is configured yet: the in-app inbox is the only channel."""
    return None
