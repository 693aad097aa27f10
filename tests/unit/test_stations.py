"""Station rules: opening hours, walking distance, the search box, coverage and the star rubric."""

from datetime import datetime

import pytest

from marketplace.domain import stations as rules
from marketplace.domain.stations import Box, Opening

WEEKDAYS = [Opening(d, 7 * 60, 22 * 60) for d in range(5)]  # Monday to Friday 07:00–22:00
MONDAY = datetime(2026, 11, 30)  # a Monday


def test_a_station_is_open_inside_its_hours_and_closed_at_the_closing_minute():
    assert rules.is_open(WEEKDAYS, False, MONDAY.replace(hour=7))
    assert rules.is_open(WEEKDAYS, False, MONDAY.replace(hour=21, minute=59))
    assert not rules.is_open(WEEKDAYS, False, MONDAY.replace(hour=22))
    assert not rules.is_open(WEEKDAYS, False, datetime(2026, 12, 5, 12))  # Saturday
    assert rules.is_open([], True, datetime(2026, 12, 5, 3))  # 24 h


def test_the_next_opening_is_later_today_or_on_the_next_open_day():
    assert rules.next_opening(WEEKDAYS, False, MONDAY.replace(hour=6, minute=30)) == MONDAY.replace(hour=7)
    assert rules.next_opening(WEEKDAYS, False, MONDAY.replace(hour=23)) == datetime(2026, 12, 1, 7)
    friday_night = datetime(2026, 12, 4, 23)
    assert rules.next_opening(WEEKDAYS, False, friday_night) == datetime(2026, 12, 7, 7)  # Monday
    assert rules.next_opening(WEEKDAYS, False, MONDAY.replace(hour=12)) is None  # open now
    assert rules.next_opening([], False, MONDAY) is None  # no hours at all
    split = [Opening(0, 6 * 60, 9 * 60), Opening(0, 17 * 60, 20 * 60)]
    assert rules.next_opening(split, False, MONDAY.replace(hour=10)) == MONDAY.replace(hour=17)


def test_a_temporary_closure_closes_whatever_the_hours_until_it_ends():
    noon, wednesday = MONDAY.replace(hour=12), datetime(2026, 12, 2)
    assert rules.open_state(WEEKDAYS, False, noon) == (True, None)
    assert rules.open_state(WEEKDAYS, False, noon, None) == (True, None)
    # closed until Wednesday 00:00: reopens at Wednesday's first opening
    assert rules.open_state(WEEKDAYS, False, noon, wednesday) == (False, wednesday.replace(hour=7))
    # closed until a moment inside the hours: opens right then; a 24-hour station too
    assert rules.open_state(WEEKDAYS, False, noon, wednesday.replace(hour=9)) == (False, wednesday.replace(hour=9))
    assert rules.open_state([], True, noon, wednesday) == (False, wednesday)
    # a closure that ended is no closure
    assert rules.open_state(WEEKDAYS, False, noon, MONDAY.replace(hour=8)) == (True, None)
    assert rules.open_state(WEEKDAYS, False, MONDAY.replace(hour=23), MONDAY) == (False, datetime(2026, 12, 1, 7))
    # closed until a Friday night: the next opening is Monday's
    assert rules.open_state(WEEKDAYS, False, noon, datetime(2026, 12, 4, 23)) == (False, datetime(2026, 12, 7, 7))


def test_an_opening_must_lie_within_one_day():
    for weekday, opens, closes in ((7, 0, 60), (0, 600, 600), (0, 1300, 1500), (0, -1, 60)):
        with pytest.raises(ValueError):
            Opening(weekday, opens, closes)


def test_distance_and_walking_minutes():
    assert rules.distance_m(22.5, 113.9, 23.5, 113.9) == pytest.approx(111_195, rel=1e-3)  # a degree of latitude
    assert rules.distance_m(22.5, 113.9, 22.5, 113.9) == 0
    assert rules.walking_minutes(0) == 1
    assert rules.walking_minutes(75 / 1.3 * 15) == 15
    assert rules.circle_radius_m() == pytest.approx(865.4, abs=0.1)


@pytest.mark.parametrize("lat", [0.0, 22.54, 60.0, -33.9])
def test_the_search_box_holds_every_point_within_the_radius(lat):
    box = rules.box_around(lat, 113.93, 2_000)
    for bearing_lat, bearing_lon in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        # step out until just inside the radius along each axis, then check the box holds the point
        step_lat, step_lon = (box.north - lat) * 0.999 * bearing_lat, (box.east - 113.93) * 0.999 * bearing_lon
        point = (lat + step_lat, 113.93 + step_lon)
        assert rules.distance_m(lat, 113.93, *point) <= 2_000
        assert box.south <= point[0] <= box.north and box.west <= point[1] <= box.east


def test_coverage_marks_squares_beyond_a_fifteen_minute_walk():
    area = Box(22.50, 113.90, 22.56, 113.96)  # about 6.7 × 6.2 km
    cells = rules.coverage(area, [(22.53, 113.93)], rows=10, cols=10)
    assert len(cells) == 100
    centre = [c for c in cells if c.row in (4, 5) and c.col in (4, 5)]
    assert all(c.covered for c in centre)
    corners = [c for c in cells if c.row in (0, 9) and c.col in (0, 9)]
    assert not any(c.covered for c in corners) and all(c.minutes > 15 for c in corners)
    assert all(not c.covered and c.minutes is None for c in rules.coverage(area, [], 2, 2))


def test_the_star_rubric():
    best = rules.rubric_points(10, 168, 5.0, 20)
    assert best == {"facilities": 30, "hours": 25, "ratings": 25, "inspection": 20} and rules.star_level(best) == 5
    assert rules.star_level(rules.rubric_points(0, 0, 1.0, 0)) == 1
    plain = rules.rubric_points(4, rules.weekly_hours(WEEKDAYS, False), None, 12)  # 75 h a week, no ratings yet
    assert plain == {"facilities": 12, "hours": 22, "ratings": 12, "inspection": 12}
    assert rules.star_level(plain) == 2  # 58 of 100
    assert rules.weekly_hours([], True) == 168
