"""Weekly repeats: N sessions a week apart, and the ones that clash skipped (not refused as a whole)."""

from datetime import UTC, date, datetime, timedelta

from marketplace.domain.listings import split_clashes, weekly, weeks_until

MON_19 = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # Monday 19:00 in Shanghai
HOUR = timedelta(hours=1)


def test_a_session_repeats_once_a_week_with_its_seats():
    made = weekly([(MON_19, MON_19 + HOUR, 12)], 4)
    assert [s for s, _, _ in made] == [MON_19 + timedelta(weeks=k) for k in range(4)]
    assert {c for _, _, c in made} == {12} and all(e - s == HOUR for s, e, _ in made)
    assert weekly([(MON_19, MON_19 + HOUR, 1)], 1) == [(MON_19, MON_19 + HOUR, 1)]


def test_two_rows_repeated_come_in_time_order():
    thu = MON_19 + timedelta(days=3)
    made = weekly([(thu, thu + HOUR, 5), (MON_19, MON_19 + HOUR, 8)], 2)
    assert [c for *_, c in made] == [8, 5, 8, 5]


def test_until_a_date_counts_the_weeks_including_that_day():
    assert weeks_until(MON_19, date(2026, 12, 7)) == 1
    assert weeks_until(MON_19, date(2026, 12, 13)) == 1
    assert weeks_until(MON_19, date(2026, 12, 14)) == 2
    assert weeks_until(MON_19, date(2027, 1, 4)) == 5


def test_clashes_are_skipped_and_touching_sessions_are_not_clashes():
    new = weekly([(MON_19, MON_19 + HOUR, 1)], 3)
    taken = [(MON_19 + timedelta(weeks=1, minutes=30), MON_19 + timedelta(weeks=1, minutes=90))]
    kept, skipped = split_clashes(new, taken)
    assert [s for s, *_ in skipped] == [MON_19 + timedelta(weeks=1)]
    assert [s for s, *_ in kept] == [MON_19, MON_19 + timedelta(weeks=2)]
    touching = [(MON_19 + HOUR, MON_19 + 2 * HOUR)]
    assert split_clashes([(MON_19, MON_19 + HOUR)], touching) == ([(MON_19, MON_19 + HOUR)], [])


def test_two_new_sessions_overlapping_each_other_keep_the_first():
    kept, skipped = split_clashes([(MON_19, MON_19 + 2 * HOUR), (MON_19 + HOUR, MON_19 + 3 * HOUR)], [])
    assert kept == [(MON_19, MON_19 + 2 * HOUR)] and skipped == [(MON_19 + HOUR, MON_19 + 3 * HOUR)]
