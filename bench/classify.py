"""The classifier of free-text needs on a labelled set of realistic needs (tests/data/needs_labelled.tsv).

    .venv/bin/python -m bench.classify            # accuracy, recall per domain, confusion matrix
    .venv/bin/python -m bench.classify --dev      # the same on the development set (the only one tuned on)
    .venv/bin/python -m bench.classify --speed    # also: POST /api/v1/admin/needs/classify with 500 texts

The market is the demo market as the seeds write it — the category tree with its names, the providers'
skills, the listings' titles, summaries and descriptions — nothing else. Two figures:

- cold: the market as seeded, no need filed by a curator yet;
- taught: 5-fold cross-validation — each fifth of the set is classified by a market whose curators have
  filed the other four fifths (so no text is ever classified by a model that saw it).
"""

import argparse
import asyncio
import time
from collections import Counter, defaultdict
from pathlib import Path

from marketplace.domain.classify import Classifier, Evidence, Source, vocabulary_evidence
from marketplace.domain.segment import features
from marketplace.settings import Settings
from seeds.catalogue import LISTINGS
from seeds.categories import DOMAINS

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FOLDS = 5
REVIEW_BELOW = Settings.model_fields["classify_review_below"].default
SEED_DESCRIPTION = "由劳模工匠志愿提供，职工会员免费参加。请按时到场，如不能参加请提前取消，把名额留给其他会员。"


def labelled(name: str) -> list[tuple[str, str]]:
    """(slug, text) rows of a data file; lines starting with # are comments."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            slug, text = line.split("\t", 1)
            rows.append((slug, text.strip()))
    return rows


def seed_market() -> tuple[dict[str, int], dict[int, int | None], dict[int, str], list[Evidence]]:
    """The seeded tree (slug -> id, parents, id -> domain slug) and its evidence, as services.classify reads it."""
    ids: dict[str, int] = {}
    parents: dict[int, int | None] = {}
    domain_slug: dict[int, str] = {}
    evidence: list[Evidence] = []
    names: dict[int, list[str]] = {}
    for slug, zh, en, children in DOMAINS:
        ids[slug] = root = len(ids) + 1
        parents[root] = None
        domain_slug[root] = slug
        evidence += [Evidence(root, zh, Source.name), Evidence(root, en, Source.name)]
        names[root] = [zh, en]
        for child_slug, child_zh, child_en, skills in children:
            ids[child_slug] = child = len(ids) + 1
            parents[child] = root
            domain_slug[child] = slug
            evidence += [Evidence(child, child_zh, Source.name), Evidence(child, child_en, Source.name)]
            names[child] = [child_zh, child_en]
            evidence += [Evidence(child, skill, Source.skill) for skill in skills]
            for title, summary, _, _ in LISTINGS.get(child_slug, []):
                # as seeds/history.py writes a listing's description
                description = f"{summary}。{SEED_DESCRIPTION}"
                evidence.append(Evidence(child, f"{title}\n{summary}\n{description}", Source.listing))
    return ids, parents, domain_slug, evidence + vocabulary_evidence(names, parents)


def evaluate(rows: list[tuple[str, str]], taught: bool) -> tuple[list[tuple[str, str]], list[tuple[str, str, float]]]:
    """(true domain, predicted domain) and (true slug, predicted slug, confidence) per row."""
    ids, parents, domain_slug, base = seed_market()
    slug_of = {v: k for k, v in ids.items()}
    domains, leaves = [], []
    folds = FOLDS if taught else 1
    for fold in range(folds):
        filed = [Evidence(ids[s], t, Source.need) for i, (s, t) in enumerate(rows) if taught and i % folds != fold]
        classifier = Classifier(parents, base + filed, features)
        for i, (slug, text) in enumerate(rows):
            if i % folds != fold:
                continue
            found = classifier.classify(text)
            domains.append((domain_slug[ids[slug]], domain_slug[found.domain_id]))
            leaves.append((slug, slug_of[found.category_id], found.confidence))
    return domains, leaves


def report(title: str, domains: list[tuple[str, str]], leaves: list[tuple[str, str, float]]) -> float:
    accuracy = sum(t == p for t, p in domains) / len(domains)
    leaf_accuracy = sum(t == p for t, p, _ in leaves) / len(leaves)
    print(f"\n## {title}: {len(domains)} needs")
    print(f"top-1 domain accuracy   {accuracy:.1%}")
    print(f"top-1 category accuracy {leaf_accuracy:.1%}")
    names = [slug for slug, _, _, _ in DOMAINS]
    per = defaultdict(Counter)
    for truth, predicted in domains:
        per[truth][predicted] += 1
    print("\nrecall per domain")
    for name in names:
        total = sum(per[name].values())
        print(f"  {name:<10} {per[name][name] / total if total else 0:6.1%}  ({per[name][name]}/{total})")
    print("\nconfusion matrix (rows: true domain, columns: predicted)")
    print(" " * 11 + "".join(f"{n[:8]:>9}" for n in names))
    for name in names:
        print(f"{name:<11}" + "".join(f"{per[name][other]:>9}" for other in names))
    calibration(leaves)
    return accuracy


def calibration(leaves: list[tuple[str, str, float]]) -> None:
    """Whether the confidence means what it says: the share of right categories per band of confidence, and
    what the review queue's threshold (CLASSIFY_REVIEW_BELOW) would hold back."""
    mean = sum(c for _, _, c in leaves) / len(leaves)
    right = sum(t == p for t, p, _ in leaves) / len(leaves)
    print(f"\nconfidence: mean {mean:.2f} against a category accuracy of {right:.2f}")
    print("  band        needs  category right")
    for low, high in ((0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        band = [t == p for t, p, c in leaves if low <= c < high]
        right = f"{sum(band) / len(band):6.1%}" if band else "     -"
        print(f"  {low:.1f}–{min(high, 1):.1f}  {len(band):>8}  {right}")
    below = REVIEW_BELOW
    held = [t == p for t, p, c in leaves if c < below]
    passed = [t == p for t, p, c in leaves if c >= below]
    print(
        f"  review queue (confidence < {below}): {len(held)} needs held ({len(held) / len(leaves):.0%}), "
        f"{sum(held) / max(len(held), 1):.0%} of them right; the {len(passed)} passed are "
        f"{sum(passed) / max(len(passed), 1):.1%} right"
    )


def speed(rows: list[tuple[str, str]]) -> None:
    """The pure classifier alone on 500 texts (the endpoint adds HTTP, JSON and one version query)."""
    _, parents, _, evidence = seed_market()
    texts = [text for _, text in rows]
    texts = (texts * (500 // len(texts) + 1))[:500]
    start = time.perf_counter()
    classifier = Classifier(parents, evidence, features)
    built = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    took = time.perf_counter() - start
    print(f"\nin process: classifier built in {built:.3f} s, 500 texts classified in {took:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", action="store_true", help="the development set instead of the labelled set")
    parser.add_argument("--speed", action="store_true", help="also time the endpoint with 500 texts")
    args = parser.parse_args()
    rows = labelled("needs_dev.tsv" if args.dev else "needs_labelled.tsv")
    start = time.perf_counter()
    features("预热")  # the dictionary loads once, before the clock of the figures below
    print(f"segmenter loaded in {time.perf_counter() - start:.2f} s")
    report("cold (the seeded market, no need filed yet)", *evaluate(rows, taught=False))
    report(f"taught ({FOLDS}-fold: curators filed the other folds)", *evaluate(rows, taught=True))
    speed(rows)
    if args.speed:
        texts = [text for _, text in rows]
        texts = (texts * (500 // len(texts) + 1))[:500]
        from .classify_speed import time_endpoint  # needs the bench group (psutil) and PostgreSQL

        timed = asyncio.run(time_endpoint(texts, repeats=5))
        print("\nPOST /api/v1/admin/needs/classify, 500 texts, on the seeded demo market")
        print(f"  first call (segmenter loads, classifier built): {timed['first_s']:.3f} s")
        print(f"  then: {' '.join(f'{s:.3f}' for s in timed['warm_s'])} s")


if __name__ == "__main__":
    main()
