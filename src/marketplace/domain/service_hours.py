"""Service hours (志愿服务时长): what a provider's delivered orders add up to, per year.

An order counts once it is delivered and stays counted while it is received or reviewed; a disputed one
waits for the union's decision (resolved as received it counts, as cancelled it never does), and a
no-show adds nothing. A group session counts its length once, however many members came: the provider
gave those hours once. An order without a session (on request, a need) counts its agreed length, else an
hour (domain/service_time.py). The year is the one in which the service started, in the market's zone.

Hours are derived from the orders every time, not kept in a ledger: what they depend on — the session's
times, the agreed time and length — no longer changes once an order is delivered, and the one later change
(a dispute resolved as cancelled) must take the hours away again, which a derivation does by itself.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .orders import OrderState
from .service_time import DEFAULT_LENGTH, service_time

COUNTED_STATES = frozenset({OrderState.delivered, OrderState.received, OrderState.reviewed})


@dataclass(frozen=True)
class Delivered:
    """A delivered order as the hours need it."""

    order_id: int
    provider_id: int
    domain_id: int
    title: str
    session_id: int | None
    session_starts_at: datetime | None
    session_ends_at: datetime | None
    arrangement: dict
    arranged: bool
    delivered_at: datetime


@dataclass(frozen=True)
class Entry:
    """One service given: a session (whatever number of orders it held) or one order without a session."""

    provider_id: int
    domain_id: int
    title: str
    starts_at: datetime
    hours: float
    orders: int
    year: int


def entries(rows: list[Delivered], zone: ZoneInfo) -> list[Entry]:
    """The services the rows add up to, oldest first: a session once, an order without one by itself."""
    grouped: dict[tuple, list[Delivered]] = defaultdict(list)
    for row in rows:
        when = service_time(row.session_starts_at, row.session_ends_at, row.arrangement or {}, row.arranged)
        # an agreed time of its own makes an order a service of its own, even within a session
        own = row.session_id is None or when.starts_at != row.session_starts_at
        grouped[("order", row.order_id) if own else ("session", row.provider_id, row.session_id)].append(row)
    found = []
    for group in grouped.values():
        first = min(group, key=lambda r: r.order_id)
        when = service_time(first.session_starts_at, first.session_ends_at, first.arrangement or {}, first.arranged)
        starts_at = when.starts_at or first.delivered_at
        length = (when.ends_at - when.starts_at) if when.known and when.ends_at else DEFAULT_LENGTH
        found.append(
            Entry(
                first.provider_id,
                first.domain_id,
                first.title,
                starts_at,
                round(max(length.total_seconds(), 0) / 3600, 2),
                len(group),
                starts_at.astimezone(zone).year,
            )
        )
    found.sort(key=lambda e: (e.starts_at, e.title))
    return found


@dataclass(frozen=True)
class Total:
    hours: float
    services: int
    orders: int


def totals(found: list[Entry], key) -> dict:
    """Hours, services and orders summed by `key(entry)` (a year, a provider and year, a domain …)."""
    summed: dict = defaultdict(lambda: [0.0, 0, 0])
    for entry in found:
        row = summed[key(entry)]
        row[0] += entry.hours
        row[1] += 1
        row[2] += entry.orders
    return {k: Total(round(h, 2), s, o) for k, (h, s, o) in summed.items()}
