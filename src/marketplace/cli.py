"""`marketplace …`: up, serve, worker, migrate, seed, market, create-user, import-survey, check, backup,
restore."""

import asyncio
import contextlib
import getpass
import json
import os
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import typer

from . import embedded
from .domain.roles import Role
from .settings import Settings, get_settings
from .supervise import Supervisor

app = typer.Typer(help="Cloud Market (云集市) service commands.", no_args_is_help=True, add_completion=False)


@contextlib.contextmanager
def _servers(settings: Settings, started: list | None = None) -> Iterator[Settings]:
    """Settings with DATABASE_URL / REDIS_URL, starting the embedded servers when they are unset (put in
    `started`, when given, for `up` to watch)."""
    if settings.database_url and settings.redis_url:
        yield settings
        return
    servers = embedded.start(settings.data_dir, postgres=not settings.database_url, redis=not settings.redis_url)
    if started is not None:
        started.append(servers)
    os.environ["DATABASE_URL"] = settings.database_url or servers.database_url
    os.environ["REDIS_URL"] = settings.redis_url or servers.redis_url
    get_settings.cache_clear()
    try:
        yield get_settings()
    finally:
        servers.stop()


def _seed(settings: Settings) -> dict:
    from seeds.loader import load_demo_data

    return asyncio.run(load_demo_data(settings))


@app.command()
def migrate(revision: str = typer.Option("head", help="Alembic revision to upgrade to.")) -> None:
    """Apply the database migrations."""
    from .migrate import upgrade

    with _servers(get_settings()) as settings:
        upgrade(settings.database_url, revision)
        typer.echo(f"database at {revision}")
        if revision == "head":
            _first_curator(settings)


FIRST_CURATOR_HINT = (
    "No curator yet: nobody can run this market. Create the first one with\n"
    "  marketplace create-user --role curator --phone 13800000000 --name 管理员"
)
DEMO_BANNER = (
    "This is a DEMO market: made-up people, listings and orders, and the logins below share a published\n"
    "password (a curator among them). For a real union start with `up --no-demo`, or take the demo out\n"
    "later with `marketplace demo remove`."
)


def _read_line(label: str, secret: bool = False) -> str | None:
    """A line from the person at the terminal (hidden for a password), or from piped input; None at its end."""
    if sys.stdin is None or sys.stdin.closed:
        return None
    if sys.stdin.isatty():
        try:
            return getpass.getpass(f"{label}: ") if secret else input(f"{label}: ")
        except EOFError:
            return None
    typer.echo(f"{label}: ", nl=False)
    line = sys.stdin.readline()
    typer.echo("")
    return line.strip() if line else None


def _first_curator(settings: Settings) -> None:
    """A market without a curator asks for the first one (phone, name, password), until one is made or the
    input ends; then says how to make one later."""
    from .standalone import create_account, has_curator

    if asyncio.run(has_curator(settings)):
        return
    typer.echo("This market has no curator yet. The first curator (区总工会 staff) runs it:")
    for _ in range(5):
        phone = _read_line("  phone (11 digits)")
        name = _read_line("  name") if phone else None
        password = _read_line("  password (at least 8 characters)", secret=True) if name else None
        if password is None:
            break
        try:
            user_id = asyncio.run(create_account(settings, phone, name, password, [Role.curator]))
        except ValueError as exc:
            typer.echo(f"  refused: {exc}")
            continue
        typer.echo(f"first curator created (user {user_id}): log in with {phone}")
        return
    typer.echo(FIRST_CURATOR_HINT)


@app.command()
def seed() -> None:
    """Load the demo data (idempotent: a second run adds nothing); refused in production."""
    if get_settings().environment == "production":
        typer.echo("refused: the demo data has a published password; production starts without it", err=True)
        raise typer.Exit(2)
    with _servers(get_settings()) as settings:
        typer.echo(f"demo data: {_seed(settings)}")


demo = typer.Typer(help="The demo market's data.", no_args_is_help=True)
app.add_typer(demo, name="demo")


@demo.command("remove")
def demo_remove(yes: bool = typer.Option(False, "--yes", help="do not ask before deleting")) -> None:
    """Delete the demo people (known password, a curator among them), their listings, orders and notices."""
    from seeds.loader import DEMO_LOGINS, DEMO_PASSWORD

    from .standalone import remove_demo

    if not yes:
        typer.confirm("Delete the demo accounts and everything they listed, ordered and reviewed?", abort=True)
    with _servers(get_settings()) as settings:
        removed = asyncio.run(remove_demo(settings, DEMO_LOGINS["curator"][0], DEMO_PASSWORD))
    typer.echo("removed: " + ", ".join(f"{n} {name}" for name, n in removed.items()))


markets = typer.Typer(help="The market tree: province → city → district.", no_args_is_help=True)
app.add_typer(markets, name="market")


def _refused(exc: ValueError) -> typer.Exit:
    typer.echo(f"refused: {exc}", err=True)
    return typer.Exit(2)


@markets.command("add")
def market_add(
    slug: str = typer.Argument(..., help="lower-case letters, digits and hyphens, e.g. futian"),
    name_zh: str = typer.Option(..., "--name-zh", help="the union's name in Chinese, e.g. 福田区总工会"),
    name_en: str = typer.Option(..., "--name-en", help="the union's name in English"),
    parent: str = typer.Option(None, help="the slug of the market above it (a city above a district)"),
) -> None:
    """Add a market, under a parent market if given (at most four levels deep)."""
    from .standalone import add_market

    with _servers(get_settings()) as settings:
        try:
            market_id = asyncio.run(add_market(settings, slug, name_zh, name_en, parent))
        except ValueError as exc:
            raise _refused(exc) from exc
    typer.echo(f"market {slug} added (id {market_id})" + (f" under {parent}" if parent else ""))


@markets.command("move")
def market_move(
    slug: str = typer.Argument(..., help="the market to move"),
    parent: str = typer.Option(None, help="the new parent's slug (left out: the market is at the top)"),
) -> None:
    """Place a market and everything below it under another market (no cycles)."""
    from .standalone import move_market

    with _servers(get_settings()) as settings:
        try:
            asyncio.run(move_market(settings, slug, parent))
        except ValueError as exc:
            raise _refused(exc) from exc
    typer.echo(f"market {slug} is now " + (f"under {parent}" if parent else "at the top"))


@markets.command("list")
def market_list() -> None:
    """The markets as a tree."""
    from .standalone import market_lines

    with _servers(get_settings()) as settings:
        for line in asyncio.run(market_lines(settings)):
            typer.echo(line)


@app.command("create-user")
def create_user(
    phone: str = typer.Option(..., help="11-digit mobile number"),
    name: str = typer.Option(..., help="display name"),
    role: list[str] = typer.Option(["member"], help="member, provider, operator or curator; repeatable"),
    password: str = typer.Option(None, help="asked for when omitted"),
    market: str = typer.Option(None, help="the market's slug (default: the market the app serves)"),
) -> None:
    """Create an account, e.g. the first curator: marketplace create-user --role curator …"""
    from .standalone import create_account

    try:
        roles = [Role(r) for r in role]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from exc
    password = password or getpass.getpass("password: ")
    with _servers(get_settings()) as settings:
        try:
            user_id = asyncio.run(create_account(settings, phone, name, password, roles, market))
        except ValueError as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(2) from exc
    typer.echo(f"created user {user_id} with roles {', '.join(sorted({'member', *role}))}")


@app.command("import-survey")
def import_survey(
    file: Path = typer.Argument(
        ..., help="a questionnaire: CSV (UTF-8 or GBK) or XLSX, a header row first", exists=True
    ),
    curator: str = typer.Option(None, "--as", help="the phone of the curator importing it (default: the first)"),
) -> None:
    """Import a needs questionnaire (需求调研) with the mapping guessed from its headers; the same file twice
    adds nothing. Bad rows are listed by their row number."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .standalone import import_survey as run

    content = file.read_bytes()
    with (
        _servers(get_settings()) as settings,
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as bar,
    ):
        task = bar.add_task(file.name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = asyncio.run(run(settings, content, file.name, curator, progress))
        except ValueError as exc:
            typer.echo(f"refused: {exc}", err=True)
            raise typer.Exit(2) from exc
    errors = result.pop("errors")
    typer.echo(", ".join(f"{k}: {v}" for k, v in result.items()))
    for error in errors:
        typer.echo(f"  row {error['row']}: {error['reason']}")
    if result["bad rows"] > len(errors):
        typer.echo(f"  … and {result['bad rows'] - len(errors)} more")


@app.command()
def serve(
    host: str = typer.Option(None, help="defaults to HOST"),
    port: int = typer.Option(None, help="defaults to PORT"),
    workers: int = typer.Option(1, help="web processes"),
) -> None:
    """Run the web process (needs DATABASE_URL and REDIS_URL)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "marketplace.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Run the background worker (needs DATABASE_URL and REDIS_URL)."""
    from .worker import worker_settings
    from .worker_loop import ResilientWorker

    ResilientWorker(**worker_settings()).run()


@app.command()
def check() -> None:
    """Say whether the database, Redis and a worker are alive; exit 1 when not."""
    from .checks import run_checks

    with _servers(get_settings()) as settings:
        ok, lines = asyncio.run(run_checks(settings))
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if ok else 1)


def _with_backup(what: str, file: Path) -> None:
    from . import backup

    with _servers(get_settings()) as settings:
        try:
            getattr(backup, what)(settings.database_url, file, typer.echo)
        except backup.BackupError as exc:
            typer.echo(f"{what} failed: {exc}", err=True)
            raise typer.Exit(1) from exc


@app.command("sms-key")
def sms_key() -> None:
    """Print the key the SMS gateway checks one-time-code webhooks with (SMS_WEBHOOK_SECRET, or the key
    derived from SECRET_KEY for this use alone)."""
    from .services.sms import webhook_key

    typer.echo(webhook_key(get_settings()))


@app.command("webhook-key")
def webhook_key() -> None:
    """Print the key the notice webhook's receiver checks signatures with (WEBHOOK_SECRET, or the key
    derived from SECRET_KEY for this use alone)."""
    from .services.outbound import webhook_key as key

    typer.echo(key(get_settings()))


@app.command("backup")
def backup_command(file: Path = typer.Argument(..., help="where to write the backup (pg_dump custom format)")) -> None:
    """Back the database up into FILE (pg_dump), saying each table as it goes."""
    _with_backup("backup", file)


@app.command("restore")
def restore_command(file: Path = typer.Argument(..., help="a backup made by `marketplace backup`")) -> None:
    """Replace the database's contents with the backup in FILE (pg_restore, in one transaction).
    Stop the web and worker processes first."""
    _with_backup("restore", file)


def _wait_healthy(url: str, supervisor: Supervisor, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not supervisor.check():
            return False
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        time.sleep(0.1)
    return False


def children(settings) -> dict[str, list[str]]:
    """The processes `up` starts and keeps running: WEB_PROCESSES web processes (one uvicorn sharing the
    port among them) and WORKER_PROCESSES workers on the one queue."""
    command = [sys.executable, "-m", "marketplace"]
    found = {"web process": [*command, "serve", "--workers", str(settings.web_processes)]}
    for n in range(1, settings.worker_processes + 1):
        found["worker" if n == 1 else f"worker {n}"] = [*command, "worker"]
    return found


@app.command()
def up(no_seed: bool = typer.Option(False, "--no-demo", "--no-seed", help="start without the demo data")) -> None:
    """Everything: embedded PostgreSQL + Redis (unless configured), migrations, demo data (not with --no-demo
    nor in production, which ask for the first curator instead), web and worker."""
    from .migrate import upgrade_if_behind

    no_seed = no_seed or get_settings().environment == "production"

    stop_requested = False

    def request_stop(signum, frame) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    embedded_servers: list = []
    with _servers(get_settings(), embedded_servers) as settings:
        upgrade_if_behind(settings.database_url)
        if no_seed:
            _first_curator(settings)
        supervisor = Supervisor(children(settings))
        for servers in embedded_servers:  # the embedded servers this `up` started are restarted too
            if servers.redis_process is not None:
                supervisor.adopt("embedded Redis", servers.redis_command, servers.redis_process)
            if servers.watches_postgres:
                supervisor.watch("embedded PostgreSQL", servers.postgres_alive, servers.restart_postgres)
        supervisor.start()
        base = f"http://{settings.host}:{settings.port}"
        try:
            # The demo data loads while web and worker start (their imports take seconds); on a warm
            # install it only finds the data already there. The web serves what is loaded so far.
            if not no_seed:
                from seeds.loader import DEMO_LOGINS

                _seed(settings)
            if _wait_healthy(f"{base}/healthz", supervisor):
                typer.echo(f"\nCloud Market is running: open {base}/  (API docs: {base}/schema)")
                if not no_seed:
                    typer.echo(DEMO_BANNER)
                    for role, (phone, password) in DEMO_LOGINS.items():
                        typer.echo(f"  demo {role:<9} {phone} / {password}")
                typer.echo("Press Ctrl-C to stop.\n")
            else:
                typer.echo("the web process did not become healthy; stopping", err=True)
                stop_requested = True
            # A child that dies is started again; one that keeps dying stops everything (supervise.py).
            while not stop_requested and supervisor.check():
                time.sleep(0.2)
        finally:
            supervisor.stop()
    typer.echo("stopped")


if __name__ == "__main__":
    app()


def verify_published(published: dict) -> tuple[list[int], list[str]]:
    """The draw order recomputed from a draw's published JSON alone, and what does not add up (none: it checks)."""
    from .domain import lottery

    if not published.get("seed") or published.get("entries") is None:
        return [], ["the draw has not happened yet: no seed or no entries published"]
    return lottery.published_order(published), lottery.verify(published)


@app.command("verify-draw")
def verify_draw(
    session: int = typer.Argument(..., help="the session whose draw to check"),
    url: str = typer.Option("http://127.0.0.1:8000", help="the market's address (its public API is read)"),
    file: Path | None = typer.Option(None, help="read the published JSON from this file instead"),
) -> None:
    """抽签核验: recompute a session's draw from what it published (commitment, entries, seed) and check it."""
    if file is not None:
        published = json.loads(file.read_text())
    else:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/sessions/{session}/draw", timeout=30) as answer:
            published = json.load(answer)
    order, problems = verify_published(published)
    for rank, entry in enumerate(order, start=1):
        outcome = next((r["outcome"] for r in published.get("results") or [] if r["entry"] == entry), "?")
        typer.echo(f"{rank}\t{entry}\t{outcome}")
    if problems:
        for problem in problems:
            typer.echo(f"NOT VERIFIED: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"verified: {len(order)} entries, commitment, digest, order and winners all check out", err=True)
