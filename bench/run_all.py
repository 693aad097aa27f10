"""Every benchmark, one after the other (never two at once: they would measure each other), then one
summary table: figure, ceiling measured in the same run, ratio, target, met?

    .venv/bin/python -m bench.run_all [--quick]

--quick runs each with small sizes (a check that the harness works, not figures to quote).
Matching (bench/matching.py) is run too when it exists.
"""

import argparse
import importlib.util
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
    if "matching" in wanted and importlib.util.find_spec("bench.matching") is not None:
        print("\n== matching (bench/matching.py prints its own figures)", flush=True)
        subprocess.run([str(VENV_BIN / "python"), "-m", "bench.matching"], cwd=ROOT, check=False)
    print("\n" + table(rows))
    print(f"saved {save('summary' + suffix, rows, {'quick': args.quick})}")
    sys.exit(0)


if __name__ == "__main__":
    main()
