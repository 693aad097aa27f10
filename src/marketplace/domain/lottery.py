"""抽签: the verifiable draw, as pure rules anyone can recompute.

- When registration opens, the commitment SHA-256(seed) is published; the seed stays secret.
- When registration closes, the entries (order ids, ascending) and their digest
  SHA-256("id1\\nid2\\n…") are published.
- At the draw the seed is revealed; the draw order is the entries sorted by
  HMAC-SHA256(key=seed, message=str(entry id)) as lowercase hex, ascending (ties cannot happen in
  practice; they fall back to the id).
- Extra weight (instead of, or beside, a reserve): a priority entry of a session with weight w holds w
  tickets — HMAC-SHA256(seed, "id"), HMAC-SHA256(seed, "id:2") … HMAC-SHA256(seed, "id:w") — and its
  lowest ticket is its place: w times the tickets, so w times the chance to come before any one ticket.
- Seats: the reserve (seats kept for priority groups) goes first to the priority entries in draw order;
  the remaining seats, and any reserve no priority entry filled, go to everyone left, in draw order.
  Entries no longer registered at the draw (withdrawn) are passed over. The rest wait, in draw order.

`verify-draw` (cli.py) runs these same functions on the published JSON.
"""

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class PriorityGroup(StrEnum):
    """Groups a curator may reserve seats for (优先群体)."""

    new_employment = "new_employment"  # 新就业形态劳动者 (a confirmed member group)
    hardship = "hardship"  # 困难职工 (a confirmed member group)
    first_time = "first_time"  # never served before (no delivered order)


def new_seed() -> str:
    """A fresh secret seed: 32 random bytes as hex."""
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def entries_digest(entry_ids: Iterable[int]) -> str:
    return hashlib.sha256("\n".join(str(i) for i in sorted(entry_ids)).encode()).hexdigest()


MAX_WEIGHT = 10


def ticket(seed: str, entry_id: int, weight: int = 1) -> str:
    """The entry's ticket: HMAC-SHA256(seed, "id"); with weight w, the lowest of those of "id", "id:2" … "id:w"."""
    messages = [str(entry_id)] + [f"{entry_id}:{k}" for k in range(2, weight + 1)]
    return min(hmac.new(seed.encode(), m.encode(), hashlib.sha256).hexdigest() for m in messages)


def draw_order(seed: str, entry_ids: Iterable[int], weights: Mapping[int, int] | None = None) -> list[int]:
    """The entries in draw order: ascending ticket (HMAC-SHA256(seed, str(id)), the lowest of w for weight w)."""
    weights = weights or {}
    return sorted(entry_ids, key=lambda i: (ticket(seed, i, weights.get(i, 1)), i))


def weight_of(priority: bool, priority_weight: int) -> int:
    """An entry's weight: the session's priority weight for a priority entry, else 1."""
    return max(1, priority_weight) if priority else 1


def reserve_seats(capacity: int, share_percent: int) -> int:
    """Seats kept for the priority groups: the share of the capacity, rounded down (20 % of 30 → 6)."""
    return math.floor(capacity * max(0, min(share_percent, 100)) / 100)


@dataclass(frozen=True)
class Allocation:
    winners: list[int]  # in draw order
    reserve_winners: list[int]  # those of the winners seated on the reserve
    waiting: list[int]  # the rest still registered, in draw order


def allocate(
    order: Sequence[int],
    seats: int,
    reserve: int,
    priority: Mapping[int, bool],
    eligible: set[int] | None = None,
) -> Allocation:
    """Who gets the `seats` free seats, walking the draw order: first the `reserve` to priority entries,
    then what is left to everyone. `eligible`: the entries still registered (None: all)."""
    live = [i for i in order if eligible is None or i in eligible]
    reserve = max(0, min(reserve, seats))
    reserve_winners = [i for i in live if priority.get(i)][:reserve]
    chosen = set(reserve_winners)
    general = seats - len(reserve_winners)  # an unfilled reserve is released to everyone
    for i in live:
        if general <= 0:
            break
        if i not in chosen:
            chosen.add(i)
            general -= 1
    winners = [i for i in live if i in chosen]
    return Allocation(winners, reserve_winners, [i for i in live if i not in chosen])


def published_order(published: Mapping) -> list[int]:
    """The draw order of a published draw: its entries, weighted as its results say who had priority."""
    priority = {r["entry"]: bool(r.get("priority")) for r in published.get("results") or []}
    weight = published.get("priority_weight") or 1
    entries = published["entries"]
    return draw_order(published["seed"], entries, {e: weight_of(priority.get(e, False), weight) for e in entries})


def verify(published: Mapping) -> list[str]:
    """What does not add up in a published draw (empty: it checks out). `published` is the public JSON of
    a session's draw (GET /api/v1/sessions/{id}/draw) after the draw."""
    problems: list[str] = []
    seed, entries = published.get("seed"), published.get("entries")
    if not seed or entries is None:
        return ["the draw has not happened yet: no seed or no entries published"]
    if commitment(seed) != published.get("commitment"):
        problems.append("SHA-256(seed) is not the commitment published at opening")
    if entries_digest(entries) != published.get("entries_digest"):
        problems.append("the entries do not match the digest published at closing")
    results = published.get("results") or []
    priority = {r["entry"]: bool(r.get("priority")) for r in results}
    priority_weight = published.get("priority_weight") or 1
    if any(r.get("weight", 1) != weight_of(priority[r["entry"]], priority_weight) for r in results):
        problems.append("an entry's weight is not the session's priority weight (priority entries) or 1 (others)")
    order = published_order(published)
    if [r["entry"] for r in results] != order:
        problems.append("the published order is not the order of HMAC-SHA256(seed, entry id)")
    eligible = {r["entry"] for r in results if r.get("outcome") != "withdrawn"}
    expected = allocate(order, published["seats"], published["reserve_seats"], priority, eligible)
    won = [r["entry"] for r in results if r.get("outcome") == "won"]
    if won != expected.winners:
        problems.append("the winners are not the ones the rules give for this order")
    return problems
