"""限额: how many live orders, and how many of a kind per period, a member may hold.

A quota applies in a market, to a category and everything below it (or to the whole market when it
names none). The counting happens in the order's transaction under a lock per member (services/quotas.py);
these are the pure rules: does one more order fit, and if not, from when may the member order again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class QuotaRule:
    id: int
    max_live: int | None  # live orders at once (None: no limit)
    max_per_period: int | None  # orders placed within the period (None: no limit)
    period_days: int | None


@dataclass(frozen=True)
class Refusal:
    quota_id: int
    kind: str  # "live" | "period"
    limit: int
    again_at: datetime | None  # when the member may order again (None: once a live order ends)


def check(rule: QuotaRule, live: int, in_period: list[datetime], now: datetime) -> Refusal | None:
    """Refuse one more order when it would exceed the rule. `in_period`: when the member's counted orders
    of the period were placed."""
    if rule.max_live is not None and live >= rule.max_live:
        return Refusal(rule.id, "live", rule.max_live, None)
    if rule.max_per_period is not None and rule.period_days:
        start = now - timedelta(days=rule.period_days)
        placed = sorted(t for t in in_period if t > start)
        if len(placed) >= rule.max_per_period:
            # Ordering again is possible once enough of them fall out of the window.
            freeing = placed[len(placed) - rule.max_per_period]
            return Refusal(rule.id, "period", rule.max_per_period, freeing + timedelta(days=rule.period_days))
    return None
