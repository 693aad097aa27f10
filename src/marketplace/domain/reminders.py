"""When reminders fall due. Pure: the caller passes `now` and the market's time zone.

"Tomorrow" is the market's local calendar day, not 24 hours ahead.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .bounds import HORIZON

# The "session tomorrow" reminder goes out at this local time on the day before.
DAY_BEFORE_AT = time(10, 0)
HOUR_BEFORE = timedelta(hours=1)
# An offer still unanswered when this share of its window is left gets a reminder.
OFFER_REMINDER_SHARE = 0.25
# Sign-off request this long after delivery (the delivery notice itself asks at once).
SIGN_OFF_REMINDER_AFTER = timedelta(days=1)
# Review request this long after sign-off, unless the member has reviewed meanwhile.
REVIEW_REQUEST_AFTER = timedelta(hours=2)


def session_reminders(starts_at: datetime, now: datetime, zone: ZoneInfo) -> dict[str, datetime]:
    """{"day_before": due, "hour_before": due} for a session starting at `starts_at`.

    A reminder whose moment has passed is sent at once while it is still true ("tomorrow" only
    while the session is on the next local day); one that no longer makes sense is left out.
    """
    if starts_at <= now or starts_at > now + HORIZON:  # past, or beyond what a session may be (an old row)
        return {}
    planned: dict[str, datetime] = {}
    local_start = starts_at.astimezone(zone)
    day_before = datetime.combine(local_start.date() - timedelta(days=1), DAY_BEFORE_AT, tzinfo=zone)
    if day_before > now:
        planned["day_before"] = day_before.astimezone(starts_at.tzinfo)
    elif now.astimezone(zone).date() == local_start.date() - timedelta(days=1):
        planned["day_before"] = now
    planned["hour_before"] = max(starts_at - HOUR_BEFORE, now)
    return planned


def offer_reminder(opened_at: datetime, deadline_at: datetime | None) -> datetime | None:
    """When to remind a provider of an offer they have not answered."""
    if deadline_at is None or deadline_at <= opened_at:
        return None
    return deadline_at - (deadline_at - opened_at) * OFFER_REMINDER_SHARE


def is_tomorrow(starts_at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    if starts_at > now + HORIZON:  # so far off it cannot even be moved to the zone (an old row)
        return False
    return starts_at.astimezone(zone).date() == now.astimezone(zone).date() + timedelta(days=1)


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """How a moment is shown in notices: 11月23日 19:30 (market time); in UTC when the zone cannot hold it."""
    try:
        local = moment.astimezone(zone)
    except OverflowError:
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{local.month}月{local.day}日 {local:%H:%M}"
