"""`marketplace import-survey FILE`: a questionnaire imported from the command line, with a progress bar,
bad rows listed by number; the same file again adds nothing; no curator, a broken file: a sentence."""

import asyncio
import os
import subprocess
import sys

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import SurveyImport, SurveyNeed

from .workers.test_survey_import import ROWS, csv_file, seed_tree


def _import(settings, path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "QUEUE_NAME": settings.queue_name,
        "SECRET_KEY": settings.secret_key,
        "LOG_LEVEL": "WARNING",
        "COLUMNS": "100",
    }
    command = [sys.executable, "-m", "marketplace", "import-survey", str(path), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


async def test_the_cli_imports_a_file_reports_bad_rows_and_adds_nothing_the_second_time(settings, factory, tmp_path):
    await seed_tree(factory)
    path = tmp_path / "问卷.csv"
    path.write_bytes(csv_file(ROWS))
    refused = await asyncio.to_thread(_import, settings, path)
    assert refused.returncode == 2 and "no curator" in refused.stderr  # nobody to import as

    curator = await factory.user(Role.curator)
    done = await asyncio.to_thread(_import, settings, path, "--as", curator.phone)
    assert done.returncode == 0, done.stderr
    assert "rows: 5, imported: 3, already imported: 0, bad rows: 2" in done.stdout
    # the progress bar (rich), in its last state: the file's name, the bar full, rows done of all
    bar = next(line for line in done.stdout.splitlines() if line.startswith("问卷.csv"))
    assert "━" in bar and "5/5" in bar, done.stdout
    assert "row 4: The need is empty." in done.stdout and "row 5: The answer time is not a date." in done.stdout
    async with factory.sessionmaker() as db:
        imported = (await db.execute(sa.select(SurveyImport))).scalar_one()
        needs = list((await db.execute(sa.select(SurveyNeed))).scalars())
    assert imported.state == "done" and imported.created_by == curator.id
    assert len(needs) == 3 and all(n.category_id for n in needs)

    again = await asyncio.to_thread(_import, settings, path, "--as", curator.phone)
    assert again.returncode == 0 and "import: 1," in again.stdout
    async with factory.sessionmaker() as db:
        assert (await db.execute(sa.select(sa.func.count()).select_from(SurveyNeed))).scalar() == 3

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    refused = await asyncio.to_thread(_import, settings, broken, "--as", curator.phone)
    assert refused.returncode == 2 and "The XLSX file could not be read." in refused.stderr
