"""The batch matcher on a large batch: 10,000 open needs against 300 providers (bench/README.md).

    .venv/bin/python -m bench.matching                     # the default scenario
    .venv/bin/python -m bench.matching --capacity 0        # realistic capacities: most needs wait

Runs the matcher's assignment (marketplace.domain.matching.assign, the code the worker runs),
then the optimal assignment of the same needs to the same free places under the same scores
(scipy.optimize.linear_sum_assignment), and prints the time, the total score and fit of both,
and how evenly the work was spread. Pure: no database, no queue; seeded, so reproducible.

The headline, `share_of_optimum`, is the matcher's total fit as a share of the optimal
assignment's, after charging the matcher any fairness it spends beyond what the optimum spends
(at the scores' own rate): 1 − (optimal total score − our total score) / optimal assignment's fit.
It is 1 exactly when the matcher reaches the optimum of its own objective; total scores
themselves can be negative (fairness outweighs fit at high loads), so their plain ratio means
nothing.
"""

import argparse
import json
import random
import statistics
import time as clock
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import numpy as np
from scipy.optimize import linear_sum_assignment

from marketplace.domain.matching import NeedFacts, ProviderFacts, Window, assign, fit_total, penalty

DOMAINS = 7
LEAVES = 6  # sub-categories per domain
SKILLS = (
    "书法 硬笔 国画 编程 机器人 急救 心肺复苏 体检 心理疏导 劳动仲裁 合同 工伤 "
    "简历 面试 直播 电工 焊接 数据分析 摄影 育儿 营养 普法 消防"
).split()
AREAS = ["南头街道", "南山街道", "沙河街道", "蛇口街道", "招商街道", "粤海街道", "桃源街道", "西丽街道"]
GROUPS = ["new_employment", "migrant", "parent", "youth", "women", "retiree"]


def categories() -> tuple[dict[int, int | None], dict[int, list[int]]]:
    """parent of each category, and the leaves of each domain (domains 1..7, leaves after them)."""
    parent: dict[int, int | None] = {d: None for d in range(1, DOMAINS + 1)}
    leaves: dict[int, list[int]] = {}
    next_id = DOMAINS + 1
    for domain in range(1, DOMAINS + 1):
        leaves[domain] = list(range(next_id, next_id + LEAVES))
        for leaf in leaves[domain]:
            parent[leaf] = domain
        next_id += LEAVES
    return parent, leaves


def make_providers(rng: random.Random, n: int, capacity: int | None, leaves) -> list[ProviderFacts]:
    providers = []
    for pid in range(1, n + 1):
        domain = rng.randint(1, DOMAINS)
        # Experts serve one to three sub-categories of their domain; one in five the whole domain.
        served = set(rng.sample(leaves[domain], k=rng.choice([1, 1, 2, 3])))
        if rng.random() < 0.2:
            served.add(domain)
        count = rng.choice([0, 0, 3, 10, 40])
        providers.append(
            ProviderFacts(
                id=pid,
                categories=frozenset(served),
                skills=tuple(rng.sample(SKILLS, k=rng.randint(1, 4))),
                area=rng.choice(AREAS),
                online=rng.random() < 0.6,
                availability=tuple(
                    Window(day, time(rng.choice([9, 14, 19])), time(21))
                    for day in sorted(rng.sample(range(7), k=rng.randint(2, 5)))
                ),
                rating_score=None if count == 0 else round(rng.uniform(3.4, 4.95), 2),
                capacity=capacity or rng.choice([3, 5, 5, 8]),
                open_load=rng.choice([0, 0, 0, 1, 2]) if capacity is None else 0,
                recent_offers=rng.choice([0, 0, 1, 2, 5]),
                recent_declines=rng.choice([0, 0, 0, 0, 1, 3]),
                groups=frozenset(rng.sample(GROUPS, k=rng.choice([0, 0, 1]))),
            )
        )
    return providers


def make_needs(rng: random.Random, n: int, parent, leaves) -> list[NeedFacts]:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    needs = []
    for nid in range(1, n + 1):
        domain = rng.randint(1, DOMAINS)
        category = domain if rng.random() < 0.15 else rng.choice(leaves[domain])
        path = (category,) if parent[category] is None else (category, parent[category])
        below = frozenset(leaves[domain]) if parent[category] is None else frozenset()  # as services/matching.py
        words = rng.sample(SKILLS, k=2)
        slot = start + timedelta(days=rng.randint(0, 13), hours=rng.choice([1, 6, 11, 12]))
        needs.append(
            NeedFacts(
                id=nid,
                member_id=100_000 + nid,
                category_path=path,
                category_below=below,
                text=f"想找老师帮忙：{words[0]}和{words[1]}，"
                + (rng.choice(AREAS) if rng.random() < 0.5 else "线上也行"),
                mode=rng.choice(["online", "offline", None]),
                groups=frozenset(rng.sample(GROUPS, k=rng.choice([0, 1, 1, 2]))),
                preferred_times=((slot, slot + timedelta(hours=2)),) if rng.random() < 0.6 else (),
            )
        )
    return needs


def optimum(needs: list[NeedFacts], providers: list[ProviderFacts]) -> tuple[float, float, float]:
    """For giving exactly these needs one free place each: the best total score (fit − fairness,
    what the matcher maximises), the total fit of that best assignment, and the best total fit
    any assignment could reach (fairness ignored).

    Each provider's free places are columns, the k-th costing the fairness of a load k higher, as
    in the matcher, so both solve the same problem. It splits into independent parts (needs and
    providers linked by eligibility), each solved by linear_sum_assignment."""
    by_category: dict[int, list[ProviderFacts]] = {}
    for p in providers:
        if p.open_load < p.capacity:
            for c in p.categories:
                by_category.setdefault(c, []).append(p)
    fits: dict[int, dict[int, float]] = {}  # need index -> provider id -> fit
    links = _UnionFind()
    for i, need in enumerate(needs):
        row = fits.setdefault(i, {})
        for c in (*need.category_path, *sorted(need.category_below)):
            for p in by_category.get(c, ()):
                if p.id not in row and (fit := fit_total(need, p)) is not None:
                    row[p.id] = fit
                    links.join(("need", i), ("provider", p.id))
    parts: dict[object, list[int]] = {}
    for i in fits:
        parts.setdefault(links.find(("need", i)), []).append(i)
    by_id = {p.id: p for p in providers}
    total_score = score_fit = total_fit = 0.0
    for rows in parts.values():
        pids = sorted({pid for i in rows for pid in fits[i]})
        column = {pid: j for j, pid in enumerate(pids)}
        fit = np.full((len(rows), len(pids)), np.nan)
        for r, i in enumerate(rows):
            for pid, value in fits[i].items():
                fit[r, column[pid]] = value
        slot_provider, slot_penalty = [], []
        for pid in pids:
            p = by_id[pid]
            for k in range(p.capacity - p.open_load):
                slot_provider.append(column[pid])
                slot_penalty.append(penalty(p.open_load + k, p.capacity, p.recent_offers + k, p.recent_declines))
        slot_fit = fit[:, slot_provider]
        for penalties in (np.array(slot_penalty), 0.0):
            score = np.where(np.isnan(slot_fit), -1e6, slot_fit - penalties)
            chosen_rows, chosen_cols = linear_sum_assignment(score, maximize=True)
            assert len(chosen_rows) == len(rows) and (score[chosen_rows, chosen_cols] > -1e5).all(), "infeasible"
            if isinstance(penalties, np.ndarray):
                total_score += float(score[chosen_rows, chosen_cols].sum())
                score_fit += float(slot_fit[chosen_rows, chosen_cols].sum())
            else:
                total_fit += float(score[chosen_rows, chosen_cols].sum())
    return total_score, score_fit, total_fit


class _UnionFind:
    def __init__(self):
        self.parent: dict[object, object] = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def gini(values: list[int]) -> float:
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if not total:
        return 0.0
    return sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(ordered)) / (n * total)


def in_batches(needs: list, providers: list, size: int) -> dict:
    """The same needs the way the worker takes them: MATCH_BATCH_SIZE at a time, oldest first, each
    batch seeing the loads and recent offers the batches before it handed out."""
    times, matched = [], 0
    for start in range(0, len(needs), size):
        started = clock.process_time()
        assignments = assign(needs[start : start + size], providers)
        times.append(clock.process_time() - started)
        matched += len(assignments)
        added = Counter(a.provider_id for a in assignments)
        providers = [
            replace(p, open_load=p.open_load + added[p.id], recent_offers=p.recent_offers + added[p.id])
            if added[p.id]
            else p
            for p in providers
        ]
    return {
        "batch_size": size,
        "batches": len(times),
        "batch_cpu_seconds_median": round(statistics.median(times), 3),
        "batch_cpu_seconds_max": round(max(times), 3),
        "batches_cpu_seconds_total": round(sum(times), 2),
        "batches_matched": matched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument(
        "--capacity",
        type=int,
        default=45,
        help="free places per provider (default 45: room for every need); 0: realistic 3–8, some already busy",
    )
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--batch", type=int, default=500, help="the worker's batch (MATCH_BATCH_SIZE), for the per-batch figures"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    parent, leaves = categories()
    providers = make_providers(rng, args.providers, args.capacity or None, leaves)
    needs = make_needs(rng, args.needs, parent, leaves)

    started, cpu = clock.perf_counter(), clock.process_time()
    assignments = assign(needs, providers)
    matcher_seconds = clock.perf_counter() - started
    # CPU time of this process: what the matcher costs on one core even when other work shares it
    matcher_cpu_seconds = clock.process_time() - cpu
    matched_ids = {a.need_id for a in assignments}
    ours_score = sum(a.score.total for a in assignments)
    ours_fit = sum(a.score.fit for a in assignments)

    started = clock.perf_counter()
    best_score, best_score_fit, best_fit = optimum([n for n in needs if n.id in matched_ids], providers)
    optimum_seconds = clock.perf_counter() - started

    added = Counter(a.provider_id for a in assignments)
    loads = [p.open_load + added[p.id] for p in providers]
    mean_load = statistics.fmean(loads)
    figures = {
        "needs": args.needs,
        "providers": args.providers,
        "capacity": args.capacity or "3-8",
        "free_places": sum(p.capacity - p.open_load for p in providers),
        "matched": len(assignments),
        "matcher_seconds": round(matcher_seconds, 2),
        "matcher_cpu_seconds": round(matcher_cpu_seconds, 2),
        "needs_per_second": round(args.needs / matcher_seconds),
        # the target (>= 98 %): fit as a share of the optimal assignment's under the same scores,
        # fairness spent beyond the optimum's charged at the scores' rate (module docstring)
        "share_of_optimum": round(1 - (best_score - ours_score) / best_score_fit, 4),
        "total_score": round(ours_score, 1),
        "optimal_total_score": round(best_score, 1),
        # points per matched need below the optimum of the same objective (a need's fit is at most 10.5)
        "score_gap_per_need": round((best_score - ours_score) / max(len(assignments), 1), 3),
        "total_fit": round(ours_fit, 1),
        "optimum_total_fit": round(best_score_fit, 1),  # the fit of the assignment with the best score
        "max_total_fit": round(best_fit, 1),  # the most fit any assignment reaches, fairness ignored
        # fit against the fairness-blind maximum (this was `fit_vs_optimal`): includes the price of
        # fairness, which the optimum of the same scores pays too (optimum_fit_vs_max_fit)
        "fit_vs_max_fit": round(ours_fit / best_fit, 4),
        "optimum_fit_vs_max_fit": round(best_score_fit / best_fit, 4),
        "optimum_seconds": round(optimum_seconds, 2),
        "load_min": min(loads),
        "load_mean": round(mean_load, 2),
        "load_max": max(loads),
        "load_stdev": round(statistics.pstdev(loads), 2),
        "max_over_mean": round(max(loads) / mean_load, 2),
        "gini": round(gini(loads), 3),
        "providers_with_work": sum(1 for v in loads if v),
    }
    figures |= in_batches(needs, providers, args.batch)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
