"""The desk's periods, trend buckets and stage-to-stage conversion."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marketplace.domain.periods import bucket_start, buckets, conversions, period_start

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 2, 30, tzinfo=UTC)  # 10:30 on Sunday 29 November in Shanghai


def test_periods_start_at_local_midnight():
    assert period_start("7d", NOW, SH) == datetime(2026, 11, 23, tzinfo=SH)
    assert period_start("30d", NOW, SH) == datetime(2026, 10, 31, tzinfo=SH)
    assert period_start("year", NOW, SH) == datetime(2026, 1, 1, tzinfo=SH)
    assert period_start("all", NOW, SH) is None
    late = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # already the 29th in Shanghai
    assert period_start("7d", late, SH) == datetime(2026, 11, 23, tzinfo=SH)


def test_buckets_cover_the_period_without_gaps():
    days = buckets(period_start("7d", NOW, SH), NOW, "day", SH)
    assert len(days) == 7 and days[-1] == datetime(2026, 11, 29, tzinfo=SH)
    weeks = buckets(period_start("90d", NOW, SH), NOW, "week", SH)
    assert all(w.weekday() == 0 for w in weeks) and weeks[-1] == datetime(2026, 11, 23, tzinfo=SH)
    assert len(weeks) == 13 and weeks[0] == datetime(2026, 8, 31, tzinfo=SH)  # 1 September is a Tuesday
    months = buckets(period_start("year", NOW, SH), NOW, "month", SH)
    assert [m.month for m in months] == list(range(1, 12))
    assert bucket_start(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), "month", SH) == datetime(2027, 1, 1, tzinfo=SH)


def test_each_stage_is_a_share_of_the_one_before():
    assert conversions([200, 150, 90, 60, 30]) == [None, 0.75, 0.6, 0.667, 0.5]
    assert conversions([0, 0, 0]) == [None, None, None]
    assert conversions([]) == [None]
