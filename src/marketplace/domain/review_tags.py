"""Quick tags a member taps on a review (准时, 耐心 …): a fixed list, stored by code with the review,
shown in the reader's language and counted on the provider's profile."""

from enum import StrEnum


class ReviewTag(StrEnum):
    # what went well
    on_time = "on_time"  # 准时
    patient = "patient"  # 耐心
    professional = "professional"  # 专业
    clear = "clear"  # 讲解清楚
    rewarding = "rewarding"  # 收获很大
    # what did not (offered with low stars)
    late = "late"  # 迟到
    rushed = "rushed"  # 敷衍
    unclear = "unclear"  # 讲解不清
    not_as_described = "not_as_described"  # 与描述不符
    unfriendly = "unfriendly"  # 态度不好


POSITIVE = (ReviewTag.on_time, ReviewTag.patient, ReviewTag.professional, ReviewTag.clear, ReviewTag.rewarding)
NEGATIVE = (ReviewTag.late, ReviewTag.rushed, ReviewTag.unclear, ReviewTag.not_as_described, ReviewTag.unfriendly)
# Reviews written before the list (free text) that name one of its tags, by their Chinese words.
FROM_TEXT = {
    "准时": ReviewTag.on_time,
    "耐心": ReviewTag.patient,
    "专业": ReviewTag.professional,
    "讲解清楚": ReviewTag.clear,
    "收获大": ReviewTag.rewarding,
    "收获很大": ReviewTag.rewarding,
}


def distinct(tags: list[ReviewTag]) -> list[str]:
    """The tags as stored: each once, in the list's order."""
    chosen = set(tags)
    return [t.value for t in ReviewTag if t in chosen]


def counted(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Tag counts of a provider's reviews, the list's tags only, most often first (ties in list order)."""
    order = {t.value: i for i, t in enumerate(ReviewTag)}
    found = [(tag, n) for tag, n in rows if tag in order and n > 0]
    return sorted(found, key=lambda row: (-row[1], order[row[0]]))
