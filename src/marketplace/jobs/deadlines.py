"""One job per order that fell due (services/deadlines.py queues them from its scan)."""

from datetime import datetime

from ..services import checkin, deadlines, satisfaction
from .registry import job

for _name in (
    "offer_timeout",
    "escalate_offer",
    "expire_need",
    "confirm_timeout",
    "expire_waitlisted",
    "attendance_overdue",
    "escalate_overdue",
    "auto_receive",
):
    job(_name)(getattr(deadlines, _name))

job("deliver_checked_in")(checkin.deliver_due)
job("mark_absent")(checkin.mark_absent)


@job("escalate_case")
async def escalate_case(db, args: dict) -> str:
    """回访: an overdue follow-up case goes to the curators (services/satisfaction.py), once per state."""
    return await satisfaction.escalate(db, args["case_id"], datetime.fromisoformat(args["now"]))
