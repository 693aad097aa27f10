"""Ratings that stay honest with few votes."""

# A listing with no reviews is taken to be as good as PRIOR_MEAN, worth PRIOR_WEIGHT reviews;
# each real review pulls the score toward what members actually said.
PRIOR_MEAN = 4.0
PRIOR_WEIGHT = 5


def bayesian_score(star_sum: int, count: int, prior_mean: float = PRIOR_MEAN, prior_weight: int = PRIOR_WEIGHT):
    """The Bayesian average of `count` ratings summing to `star_sum`; None when there are none."""
    if count <= 0:
        return None
    return round((prior_mean * prior_weight + star_sum) / (prior_weight + count), 3)


def average(star_sum: int, count: int) -> float | None:
    return round(star_sum / count, 2) if count > 0 else None


def satisfied_share(stars: list[int]) -> float | None:
    """Share of 4–5 star reviews (domain.md: satisfaction)."""
    return round(sum(1 for s in stars if s >= 4) / len(stars), 3) if stars else None
