from marketplace.domain.listings import ListingState, next_listing_state
from marketplace.domain.ratings import PRIOR_MEAN, average, bayesian_score, satisfied_share


def test_no_reviews_no_score():
    assert bayesian_score(0, 0) is None
    assert average(0, 0) is None


def test_one_five_star_review_does_not_beat_many_good_ones():
    one_perfect = bayesian_score(5, 1)
    many_good = bayesian_score(4 * 60 + 5 * 40, 100)  # 4.4 average over 100 reviews
    assert PRIOR_MEAN < one_perfect < 5
    assert many_good > one_perfect


def test_score_tends_to_the_real_average_with_volume():
    assert abs(bayesian_score(3 * 1000, 1000) - 3) < 0.01
    assert average(9, 2) == 4.5


def test_satisfaction_is_the_share_of_four_and_five_stars():
    assert satisfied_share([5, 4, 3, 1]) == 0.5
    assert satisfied_share([]) is None


def test_listing_states_follow_their_table():
    assert next_listing_state(ListingState.draft, "submit") == ListingState.submitted
    assert next_listing_state(ListingState.submitted, "reject") == ListingState.draft
    assert next_listing_state(ListingState.published, "submit") is None
    assert next_listing_state(ListingState.archived, "resume") is None
