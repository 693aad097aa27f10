"""Every benchmark, one after the other (never two at once: they would measure each other), then one
summary table: figure, ceiling measured in the same run, ratio, target, met?

    .venv/bin/python -m bench.run_all [--quick]

--quick runs each with small sizes (a check that the harness works, not figures to quote).
Matching (bench/matching.py) runs in its own process; its headline figures join the table.
"""

import argparse
import json
import subprocess
import sys

from . import menu, orders, reminders, startup
from .common import ROOT, VENV_BIN, machine, run_async
from .report import Row, save, table

QUICK = {
    "orders": ["--members", "300", "--seats", "10", "--duration", "3", "--repeats", "1", "--listings", "6"],
    "menu": ["--duration", "2", "--repeats", "1"],
    "reminders": ["--count", "2000", "--span", "10", "--timeout", "60"],
    "startup": ["--repeats", "1"],
}


def matching_rows(quick: bool) -> list[Row]:
    """bench/matching.py in its own process (one core, nothing else running), as summary rows."""
    size = ["--needs", "2000"] if quick else []
    command = [str(VENV_BIN / "python"), "-m", "bench.matching", "--json", *size]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    f = json.loads(done.stdout)
    print(f, flush=True)
    save("matching" + ("-quick" if quick else ""), [], f)
    scale = f"{f['needs']:,} needs x {f['providers']} providers"
    return [
        Row(
            f"matching {scale}: matcher CPU time",
            f["matcher_cpu_seconds"],
            "s",
            target="< 2 s",
            met=f["matcher_cpu_seconds"] < 2,
        ),
        Row(
            "matching: fit as a share of the optimum (same scores)",
            100 * f["share_of_optimum"],
            "%",
            "scipy optimum",
            100.0,
            "≥ 98 %",
            f["share_of_optimum"] >= 0.98,
        ),
        Row(
            "matching: most loaded provider over the mean load",
            f["max_over_mean"],
            "×",
            target="≤ 2×",
            met=f["max_over_mean"] <= 2,
        ),
        Row(f"matching: one worker batch of {f['batch_size']}, CPU (median)", f["batch_cpu_seconds_median"], "s"),
        Row(f"matching: slowest of the {f['batches']} batches, CPU", f["batch_cpu_seconds_max"], "s"),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", nargs="*", choices=["orders", "menu", "reminders", "startup", "matching"])
    args = p.parse_args()
    wanted = set(args.only or ["orders", "menu", "reminders", "startup", "matching"])
    suffix = "-quick" if args.quick else ""  # quick figures never overwrite real ones
    print(f"machine: {machine()}", flush=True)
    rows: list[Row] = []
    for name, module in (("orders", orders), ("menu", menu), ("reminders", reminders)):
        if name in wanted:
            print(f"\n== {name}", flush=True)
            options = module.parser().parse_args(QUICK[name] if args.quick else [])
            found, details = run_async(module.measure(options))
            save(name + suffix, found, details)
            rows += found
    if "startup" in wanted:
        print("\n== startup", flush=True)
        found, details = startup.measure(startup.parser().parse_args(QUICK["startup"] if args.quick else []))
        save("startup" + suffix, found, details)
        rows += found
    if "matching" in wanted:
        print("\n== matching", flush=True)
        rows += matching_rows(args.quick)
    print("\n" + table(rows))
    print(f"saved {save('summary' + suffix, rows, {'quick': args.quick})}")
    sys.exit(0)


if __name__ == "__main__":
    main()
