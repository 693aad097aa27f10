"""Start-up: seconds from `marketplace up` to the first /healthz 200 on a warm install (the embedded
PostgreSQL and Redis already created in DATA_DIR by an earlier, untimed `up`).

    .venv/bin/python -m bench.startup [--repeats 3]

Runs in a data folder of its own under /tmp (removed at the end), on a free port, so it never meets
the project's ./.marketplace or a running `up`.
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .common import ROOT, SECRET_KEY, VENV_BIN, free_port, median, wait_http
from .report import Row, save, table


def up_once(data_dir: Path, extra: list[str], timeout: float = 180) -> float | None:
    """Seconds until /healthz answers 200, then Ctrl-C and wait for a clean stop; None if it never did."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"DATA_DIR": str(data_dir), "PORT": str(port), "QUEUE_NAME": f"bench-up-{secrets.token_hex(4)}"}
    env |= {"SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "WARNING"}
    log = open(data_dir.parent / "up.log", "a")  # noqa: SIM115  (closed below, after the child)
    start = time.monotonic()
    proc = subprocess.Popen(
        [str(VENV_BIN / "marketplace"), "up", *extra], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout)
        return time.monotonic() - start
    except (RuntimeError, TimeoutError) as exc:
        print(f"`marketplace up {' '.join(extra)}` did not become healthy: {exc} (see {log.name})")
        return None
    finally:
        proc.send_signal(signal.SIGINT)  # `up` stops web, worker, Redis and PostgreSQL in that order
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def measure(args) -> tuple[list[Row], dict]:
    base = Path(tempfile.mkdtemp(prefix="bench-up-"))
    os.chmod(base, 0o755)  # the embedded PostgreSQL runs as its own OS user when we are root
    details: dict = {"warm_up_s": None, "up_no_seed": [], "up": []}
    try:
        data_dir = base / "data"
        details["warm_up_s"] = up_once(data_dir, ["--no-seed"], timeout=600)  # creates the servers: not timed
        for _ in range(args.repeats):
            details["up_no_seed"].append(up_once(data_dir, ["--no-seed"]))
            details["up"].append(up_once(data_dir, []))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    rows = []
    for key, label in (("up", "`marketplace up` → /healthz 200, warm"), ("up_no_seed", "same with --no-seed")):
        runs = [t for t in details[key] if t is not None]
        row = Row(label, median(runs) if runs else float("nan"), "s", target="< 5 s")
        row.met = bool(runs) and len(runs) == len(details[key]) and row.value < 5
        rows.append(row)
    return rows, details


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    return p


def main() -> None:
    rows, details = measure(parser().parse_args())
    print(table(rows))
    print(f"saved {save('startup', rows, details)}")


if __name__ == "__main__":
    main()
