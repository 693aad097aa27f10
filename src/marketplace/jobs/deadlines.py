"""One job per order that fell due (services/deadlines.py queues them from its scan)."""

from ..services import checkin, deadlines
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
