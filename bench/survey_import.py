"""How long a questionnaire of 10,000 rows takes to import: `python -m bench.survey_import [--rows N]`.

A scratch database, migrated, with the demo category tree, its providers' skills and a curator (what the
classifier learns from); then `marketplace import-survey` runs as a user would run it — a new process, so
the time includes Python's start, reading the file, jieba loading its dictionary, building the classifier,
classifying and writing every row — for the example questionnaire (seeds/survey.py) as CSV and as XLSX
(the same answers: the XLSX import would find every row already there, so it is timed on a database of
its own), then the CSV once more (nothing added). Wall time and the import process's CPU time are both
printed, with the load average: on a shared machine the CPU time is the steadier figure.
"""

import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seeds import survey

from .common import ROOT, VENV_BIN, ScratchDb, service_env

SETUP = """
import asyncio
from marketplace.settings import get_settings
from marketplace.standalone import unit_of_work, create_account
from marketplace.domain.roles import Role
from seeds.loader import _seed_categories, _seed_people
from marketplace.services.markets import ensure_market

async def main():
    settings = get_settings()
    async with unit_of_work(settings) as db:
        market = await ensure_market(db, settings.default_market)
        categories = await _seed_categories(db, market)
        await _seed_people(db, settings, market, categories)
    await create_account(settings, "13900009999", "bench", "Bench-pass-2026", [Role.curator])

asyncio.run(main())
"""


async def _fresh(name: str) -> tuple[ScratchDb, dict]:
    db = ScratchDb()
    await db.create()
    env = service_env(db, f"bench-{name}")
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"setup failed: {done.stderr[-800:]}")
    return db, env


def _import(path: Path, env: dict) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "marketplace"), "import-survey", str(path), "--as", "13900009999"],
        env={**env, "COLUMNS": "100"},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr[-800:]}")
    summary = next((line for line in done.stdout.splitlines() if line.startswith("import:")), done.stdout[-200:])
    return seconds, cpu, summary


def _write(folder: str, rows: int) -> tuple[Path, Path]:
    csv_path, xlsx_path = Path(folder, "survey.csv"), Path(folder, "survey.xlsx")
    csv_path.write_bytes(survey.csv_bytes(rows))
    xlsx_path.write_bytes(survey.xlsx_bytes(rows))
    print(f"{rows} rows: CSV {csv_path.stat().st_size:,} bytes, XLSX {xlsx_path.stat().st_size:,} bytes")
    return csv_path, xlsx_path


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        csv_path, xlsx_path = _write(folder, rows)
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for label, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
            db, env = await _fresh(label.lower())
            try:
                seconds, cpu, summary = await asyncio.to_thread(_import, path, env)
                print(f"{label:5} first import: {seconds:5.1f} s wall, {cpu:5.1f} s CPU  {summary}")
                if label == "CSV":
                    seconds, cpu, summary = await asyncio.to_thread(_import, path, env)
                    print(f"{label:5} same file again: {seconds:5.1f} s wall, {cpu:5.1f} s CPU  {summary}")
            finally:
                await db.drop()
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 10_000
    asyncio.run(main(n))
