"""The desk's periods (7 / 30 / 90 days, this year, all time), the buckets a trend is drawn in, and
the conversion from one stage of the order cycle to the next. Pure: the clock and the zone are passed in."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PERIODS = ("7d", "30d", "90d", "year", "all")
DEFAULT_PERIOD = "all"
# The unit a period's trend is counted in: a point a day for a week or a month, a week for a quarter.
UNITS = {"7d": "day", "30d": "day", "90d": "week", "year": "month", "all": "month"}
MAX_MONTHS = 24  # "all time" draws at most the last two years


def period_start(period: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Where a period begins (local midnight), or None for all time."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "year":
        return midnight.replace(month=1, day=1)
    if period in ("7d", "30d", "90d"):
        return midnight - timedelta(days=int(period[:-1]) - 1)
    return None


def bucket_start(moment: datetime, unit: str, zone: ZoneInfo) -> datetime:
    """The local start of the day, ISO week (Monday) or month holding `moment`."""
    local = moment.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        return local - timedelta(days=local.weekday())
    if unit == "month":
        return local.replace(day=1)
    return local


def buckets(start: datetime, now: datetime, unit: str, zone: ZoneInfo) -> list[datetime]:
    """Every bucket from the one holding `start` to the one holding `now`, in order (none missing, so a
    quiet week shows as 0, not as a gap the line jumps over)."""
    found = []
    at = bucket_start(start, unit, zone)
    last = bucket_start(now, unit, zone)
    while at <= last:
        found.append(at)
        if unit == "month":
            at = (at.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            at = (at + timedelta(days=7 if unit == "week" else 1)).replace(tzinfo=None).replace(tzinfo=zone)
        if len(found) > 400:  # a guard; no period has more days than this
            break
    return found


def conversions(counts: Sequence[int]) -> list[float | None]:
    """Each stage's share of the stage before it (the first has none; None when the one before is 0)."""
    return [None] + [round(n / before, 3) if before else None for before, n in zip(counts, counts[1:], strict=False)]
