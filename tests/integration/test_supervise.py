"""`marketplace up`'s supervisor with real child processes: one killed is started again and the other runs
on; one that keeps dying stops everything, saying so."""

import os
import signal
import subprocess
import sys

from marketplace.supervise import Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_a_child_that_dies_is_restarted_and_the_others_carry_on():
    said: list[str] = []
    supervisor = Supervisor({"web process": SLEEPER, "worker": SLEEPER}, limit=2, window=600, say=said.append)
    supervisor.start()
    try:
        web, worker = (child.process for child in supervisor.children)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert supervisor.check(now=100.0)
        assert "the worker ended (killed by SIGKILL); starting it again in 1 s (restart 1 of 2" in said[-1]
        assert supervisor.check(now=100.5) and supervisor.children[1].process is worker  # still pausing
        assert supervisor.check(now=101.0)
        restarted = supervisor.children[1].process
        assert restarted is not worker and restarted.poll() is None
        assert supervisor.children[0].process is web and web.poll() is None  # never touched

        for now in (200.0, 300.0):  # the second restart is allowed, the third is one too many
            os.kill(supervisor.children[1].process.pid, signal.SIGKILL)
            supervisor.children[1].process.wait(10)
            if now == 200.0:
                assert supervisor.check(now=now) and supervisor.check(now=now + 2)
        assert not supervisor.check(now=300.0)
        assert "after 2 restarts within 600 s; stopping everything" in said[-1]
    finally:
        supervisor.stop(timeout=10)
    assert all(child.process.poll() is not None for child in supervisor.children)


def test_a_server_it_adopted_is_restarted_with_its_command_and_stopped_last():
    """The embedded Redis is started before `up`'s children (embedded.py); `up` adopts it, starts it again
    (same command: same port, same data) when it dies, and stops it after the web process and worker."""
    said: list[str] = []
    supervisor = Supervisor({"worker": SLEEPER}, limit=2, window=600, say=said.append)
    redis = subprocess.Popen(SLEEPER, start_new_session=True)
    supervisor.adopt("embedded Redis", SLEEPER, redis)
    supervisor.start()
    try:
        assert supervisor.children[1].process is redis  # adopted, not started twice
        os.kill(redis.pid, signal.SIGKILL)
        redis.wait(10)
        assert supervisor.check(now=10.0) and "the embedded Redis ended (killed by SIGKILL)" in said[-1]
        assert supervisor.check(now=11.0) and "the embedded Redis started again" in said[-1]
        again = supervisor.children[1].process
        assert again is not redis and again.poll() is None and again.args == SLEEPER
    finally:
        order: list[str] = []
        worker, server = supervisor.children[0].process, supervisor.children[1].process
        for child in supervisor.children:
            original = child.process.send_signal

            def noted(sig, name=child.name, send=original):
                order.append(name)
                send(sig)

            child.process.send_signal = noted
        supervisor.stop(timeout=10)
    assert order == ["worker", "embedded Redis"]
    assert worker.poll() is not None and server.poll() is not None


def test_a_watched_server_is_started_again_when_it_is_found_dead_within_its_budget():
    """The embedded PostgreSQL is not our child process (pg_ctl runs it as its own OS user): `up` asks
    whether it is alive and, when not, starts it again after the same growing pause, within the budget."""
    said: list[str] = []
    state = {"alive": True, "restarts": 0}

    def restart() -> None:
        state["restarts"] += 1
        if state["restarts"] == 1:
            raise RuntimeError("shared memory still in use")  # the first try fails: the next check tries again
        state["alive"] = True

    supervisor = Supervisor({}, limit=3, window=600, say=said.append)
    supervisor.watch("embedded PostgreSQL", lambda: state["alive"], restart)
    assert supervisor.check(now=0.0) and said == []
    state["alive"] = False
    assert supervisor.check(now=10.0) and "the embedded PostgreSQL ended; starting it again in 1 s" in said[-1]
    assert supervisor.check(now=10.5) and state["restarts"] == 0  # still pausing
    assert supervisor.check(now=11.0) and "did not start again (RuntimeError" in said[-1]
    assert supervisor.check(now=11.1) and "starting it again in 2 s (restart 2 of 3" in said[-1]
    assert supervisor.check(now=13.1) and said[-1] == "the embedded PostgreSQL started again" and state["alive"]
    state["alive"] = False
    assert supervisor.check(now=20.0)  # restart 3 of 3
    assert supervisor.check(now=24.0) and state["alive"]
    state["alive"] = False
    assert not supervisor.check(now=30.0) and "after 3 restarts; stopping everything" in said[-1]
