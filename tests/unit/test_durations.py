import math
import random
import statistics

from marketplace.domain.durations import STEPS, median_hours

HOUR_US = 3_600_000_000


def _buckets(hours: list[float]) -> dict[int, tuple[int, int]]:
    """The histogram the rollups keep (domain/durations.py's BUCKET_SQL, in Python)."""
    found: dict[int, tuple[int, int]] = {}
    for h in hours:
        b = math.floor(math.log(1 + max(h, 0) * 60) * STEPS)
        n, total = found.get(b, (0, 0))
        found[b] = (n + 1, total + round(h * HOUR_US))
    return found


def test_one_value_or_equal_values_give_the_exact_median():
    assert median_hours(_buckets([3.0])) == 3.0
    assert median_hours(_buckets([2.5, 2.5, 2.5])) == 2.5
    assert median_hours({}) is None


def test_an_even_count_averages_the_two_middle_buckets():
    assert median_hours(_buckets([1.0, 10.0])) == 5.5
    assert median_hours(_buckets([1.0, 2.0, 30.0, 40.0])) == 16.0


def test_the_median_is_within_a_bucket_of_the_true_one():
    rng = random.Random(17)
    for _ in range(200):
        hours = [rng.lognormvariate(2, 1.5) for _ in range(rng.randint(1, 400))]
        true = statistics.median(hours)
        assert abs(median_hours(_buckets(hours)) - true) <= 0.052 * true + 1 / 60
