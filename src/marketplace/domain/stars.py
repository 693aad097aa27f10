"""A provider's star level (1–5), recomputed nightly from what they did. Pure.

Points, added up:
- rating (the small-sample-robust score): ≥4.8 → 2, ≥4.5 → 1.5, ≥4.0 → 1, ≥3.5 → 0.5; none yet → 0.5;
- volume (services delivered): ≥50 → 1.5, ≥20 → 1, ≥5 → 0.5;
- timeliness (offers answered before their deadline; from 3 offers on): ≥90 % → 1, ≥70 % → 0.5;
  fewer offers → 0.5;
- no-shows (accepted orders the provider let fall, i.e. an operator or curator cancelled them
  after acceptance): ≥20 % → −1, ≥10 % → −0.5.

level = 1 + whole points, between 1 and 5. A provider who has delivered nothing yet has
level 0 ("new"), so a level always rests on real work.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderRecord:
    rating_score: float | None
    delivered: int  # orders delivered (and later signed off, reviewed or disputed)
    offers_answered_in_time: int
    offers_total: int  # offers answered or left to time out
    accepted: int  # orders they accepted
    dropped: int  # of those, cancelled by staff after acceptance (the provider did not come)


def _rating_points(score: float | None) -> float:
    if score is None:
        return 0.5
    for floor, points in ((4.8, 2.0), (4.5, 1.5), (4.0, 1.0), (3.5, 0.5)):
        if score >= floor:
            return points
    return 0.0


def _volume_points(delivered: int) -> float:
    for floor, points in ((50, 1.5), (20, 1.0), (5, 0.5)):
        if delivered >= floor:
            return points
    return 0.0


def _timeliness_points(in_time: int, total: int) -> float:
    if total < 3:
        return 0.5
    share = in_time / total
    return 1.0 if share >= 0.9 else 0.5 if share >= 0.7 else 0.0


def _no_show_points(dropped: int, accepted: int) -> float:
    if accepted <= 0:
        return 0.0
    share = dropped / accepted
    return -1.0 if share >= 0.2 else -0.5 if share >= 0.1 else 0.0


def star_level(record: ProviderRecord) -> int:
    if record.delivered <= 0:
        return 0
    points = (
        _rating_points(record.rating_score)
        + _volume_points(record.delivered)
        + _timeliness_points(record.offers_answered_in_time, record.offers_total)
        + _no_show_points(record.dropped, record.accepted)
    )
    return max(1, min(5, 1 + int(points)))
