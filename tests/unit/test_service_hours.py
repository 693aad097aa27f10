"""Service hours from delivered orders (domain/service_hours.py), without I/O."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.domain.service_hours import Delivered, entries, totals

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)


def row(order_id, session_id=None, hours=2.0, arrangement=None, provider_id=7, starts=START, delivered=None):
    return Delivered(
        order_id=order_id,
        provider_id=provider_id,
        domain_id=1,
        title="讲座",
        session_id=session_id,
        session_starts_at=starts if session_id else None,
        session_ends_at=starts + timedelta(hours=hours) if session_id else None,
        arrangement=arrangement or {},
        arranged=bool(arrangement),
        delivered_at=delivered or starts + timedelta(hours=3),
    )


def test_a_group_session_counts_its_length_once_however_many_came():
    found = entries([row(1, session_id=5), row(2, session_id=5), row(3, session_id=5)], ZONE)
    assert [(e.hours, e.orders) for e in found] == [(2.0, 3)]


def test_the_same_session_of_two_providers_or_two_sessions_count_apart():
    found = entries([row(1, session_id=5), row(2, session_id=6, hours=1.5), row(3, session_id=5, provider_id=8)], ZONE)
    assert sorted(e.hours for e in found) == [1.5, 2.0, 2.0]


def test_on_request_counts_the_agreed_minutes_else_an_hour():
    agreed = {"starts_at": START.isoformat(), "minutes": 90}
    found = entries([row(1, arrangement=agreed), row(2, arrangement={"place": "文化宫"})], ZONE)
    assert sorted(e.hours for e in found) == [1.0, 1.5]


def test_the_year_is_the_market_zones_year_of_the_service():
    new_year_eve = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 01:00 on 1 January in Shanghai
    found = entries([row(1, session_id=1, starts=new_year_eve), row(2, session_id=2)], ZONE)
    assert {e.year for e in found} == {2026, 2027}
    per_year = totals(found, lambda e: e.year)
    assert per_year[2027].hours == 2.0 and per_year[2026].services == 1
