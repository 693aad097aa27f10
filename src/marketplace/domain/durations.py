"""Durations (order → acceptance, order → delivery) kept as a histogram per day, so a period's median is read
from a few hundred bucket sums instead of sorting every order of the period.

A bucket holds the durations whose `ln(1 + minutes) * STEPS` has the same integer part: each bucket is about
5 % wider than the one before (a 3-hour wait shares its bucket with waits from 2.9 to 3.0 hours), fine enough
at every scale from minutes to months. Each bucket keeps its count and the sum of its durations, so the median
is the mean of the bucket holding the middle order (of the two buckets holding the two middle ones): exact when
the bucket holds one value or equal values, otherwise within the bucket's width (≤ 5 %). Pure."""

from collections.abc import Mapping

STEPS = 20  # buckets per factor e of (1 + minutes)
# The same rule in SQL, over a duration in seconds (negative durations, a clock's skew, count as 0).
BUCKET_SQL = f"floor(ln(1 + greatest({{seconds}}, 0) / 60.0) * {STEPS})::int"


def median_hours(buckets: Mapping[int, tuple[int, int]]) -> float | None:
    """The median, in hours, of the durations in `buckets` ({bucket: (count, sum of microseconds)}): the
    mean of the bucket holding the middle one, averaged over the two buckets of the two middle ones when
    the count is even (as `percentile_cont(0.5)` does with the values themselves). None when empty."""
    filled = [(b, n, total) for b, (n, total) in sorted(buckets.items()) if n > 0]
    count = sum(n for _, n, _ in filled)
    if not count:
        return None
    middle = {(count - 1) // 2, count // 2}  # the ranks (from 0) of the middle one or two
    means, seen = [], 0
    for _, n, total in filled:
        means += [total / n for rank in sorted(middle) if seen <= rank < seen + n]
        seen += n
    return sum(means) / len(means) / 3_600_000_000
