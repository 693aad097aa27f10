"""`marketplace up` keeps its children (the web process, the worker, the embedded Redis and PostgreSQL) running.

A child that dies is started again after a short, growing pause, and the others carry on. A child that
keeps dying (RESTART_LIMIT restarts within RESTART_WINDOW seconds) is a fault that restarting does not
cure: then everything stops, saying so, rather than looping for ever.
"""

import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

RESTART_LIMIT = 5
RESTART_WINDOW = 600.0
LONGEST_PAUSE = 30.0


class RestartBudget:
    """At most `limit` restarts within any `window` seconds."""

    def __init__(self, limit: int = RESTART_LIMIT, window: float = RESTART_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._times: deque[float] = deque()

    def take(self, now: float) -> int | None:
        """Record a restart at `now`: its number within the window, or None when the budget is spent."""
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return None
        self._times.append(now)
        return len(self._times)


def pause_before(restart: int) -> float:
    """Seconds to wait before restart number `restart` within the window: 1, 2, 4 … at most 30."""
    return min(2.0 ** (restart - 1), LONGEST_PAUSE)


def how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _say(line: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} marketplace up: {line}", file=sys.stderr, flush=True)


@dataclass
class Child:
    name: str
    command: list[str]
    budget: RestartBudget
    process: subprocess.Popen | None = None
    restart_at: float | None = None
    server: bool = False  # a server the others use (the embedded Redis): stopped after them

    def start(self) -> None:
        # A session of its own: Ctrl-C reaches `up`, which stops the children in order.
        self.process = subprocess.Popen(self.command, start_new_session=True)
        self.restart_at = None


@dataclass
class WatchedServer:
    """A server `up` did not start as its own child process (the embedded PostgreSQL runs as another OS
    user, through pg_ctl): watched by asking whether it is alive, and started again by a call."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], None]
    budget: RestartBudget
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        commands: dict[str, list[str]],
        *,
        limit: int = RESTART_LIMIT,
        window: float = RESTART_WINDOW,
        say: Callable[[str], None] = _say,
    ) -> None:
        self.children = [Child(name, command, RestartBudget(limit, window)) for name, command in commands.items()]
        self.watched: list[WatchedServer] = []
        self.limit, self.window = limit, window
        self.say = say

    def adopt(self, name: str, command: list[str], process: subprocess.Popen) -> None:
        """Watch a server already started (by embedded.py) with the command that starts it again."""
        self.children.append(Child(name, command, RestartBudget(self.limit, self.window), process, server=True))

    def watch(self, name: str, alive: Callable[[], bool], restart: Callable[[], None]) -> None:
        """Watch a server that is not a child process of ours (see WatchedServer)."""
        self.watched.append(WatchedServer(name, alive, restart, RestartBudget(self.limit, self.window)))

    def start(self) -> None:
        for child in self.children:
            if child.process is None:
                child.start()

    def check(self, now: float | None = None) -> bool:
        """Restart what died (when its pause is over); False once a child has used up its restarts."""
        now = time.monotonic() if now is None else now
        for server in self.watched:
            if server.restart_at is not None:
                if now >= server.restart_at:
                    server.restart_at = None
                    try:
                        server.restart()
                        self.say(f"the {server.name} started again")
                    except Exception as exc:  # it stays down: the next check counts it again
                        self.say(f"the {server.name} did not start again ({type(exc).__name__}: {exc})")
                continue
            if server.alive():
                continue
            number = server.budget.take(now)
            if number is None:
                self.say(f"the {server.name} ended after {server.budget.limit} restarts; stopping everything")
                return False
            pause = pause_before(number)
            server.restart_at = now + pause
            self.say(
                f"the {server.name} ended; starting it again in {pause:.0f} s "
                f"(restart {number} of {server.budget.limit} within {server.budget.window:.0f} s)"
            )
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                    self.say(f"the {child.name} started again (pid {child.process.pid})")
                continue
            returncode = child.process.poll()
            if returncode is None:
                continue
            number = child.budget.take(now)
            if number is None:
                self.say(
                    f"the {child.name} ended ({how_it_ended(returncode)}) after {child.budget.limit} restarts "
                    f"within {child.budget.window:.0f} s; stopping everything"
                )
                return False
            pause = pause_before(number)
            child.restart_at = now + pause
            self.say(
                f"the {child.name} ended ({how_it_ended(returncode)}); starting it again in {pause:.0f} s "
                f"(restart {number} of {child.budget.limit} within {child.budget.window:.0f} s)"
            )
        return True

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to every running child, then wait; what does not stop in time is killed. The servers
        go last, so the web process and the worker finish what they were doing with them."""
        for servers in (False, True):
            running = [
                c.process
                for c in self.children
                if c.server == servers and c.process is not None and c.process.poll() is None
            ]
            for process in running:
                process.send_signal(signal.SIGTERM)
            for process in running:
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
