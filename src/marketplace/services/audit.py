from sqlalchemy.ext.asyncio import AsyncSession

from ..models import AuditEvent, User


async def record(db: AsyncSession, actor: User, action: str, target_type: str, target_id: int | None, **data) -> None:
    """Keep a trace of a staff action (domain.md: curators' actions are audited)."""
    db.add(
        AuditEvent(
            market_id=actor.market_id,
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=data,
        )
    )
