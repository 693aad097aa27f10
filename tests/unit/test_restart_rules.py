"""The rules that keep `marketplace up` and the worker going: restart budgets, pauses, back-off, tool choice."""

from pathlib import Path

from marketplace.backup import pick
from marketplace.supervise import RestartBudget, how_it_ended, pause_before
from marketplace.worker_loop import LONGEST_WAIT, next_wait


def test_a_budget_allows_its_limit_within_the_window_and_more_once_old_restarts_age_out():
    budget = RestartBudget(limit=3, window=60)
    assert [budget.take(t) for t in (0, 10, 20)] == [1, 2, 3]
    assert budget.take(30) is None  # a fourth within a minute: something is wrong for good
    assert budget.take(60.5) == 3  # the first has left the window


def test_pauses_before_restarts_grow_and_are_capped():
    assert [pause_before(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert pause_before(20) == 30


def test_how_a_child_ended_is_said_in_words():
    assert how_it_ended(-9) == "killed by SIGKILL"
    assert how_it_ended(3) == "exit code 3"


def test_the_worker_waits_longer_each_time_but_never_long():
    waits = [0.1]
    for _ in range(10):
        waits.append(next_wait(waits[-1]))
    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]
    assert max(waits) == LONGEST_WAIT and waits[-1] == LONGEST_WAIT


def test_the_tool_of_the_servers_version_is_picked_else_the_nearest_newer_one():
    tools = [(Path("/usr/bin/pg_dump"), 15), (Path("/wheel/16/pg_dump"), 16), (Path("/wheel/18/pg_dump"), 18)]
    assert pick(tools, 15) == Path("/usr/bin/pg_dump")
    assert pick(tools, 17) == Path("/wheel/18/pg_dump")
    assert pick(tools, 16) == Path("/wheel/16/pg_dump")
    assert pick(tools, 19) is None  # an older pg_dump refuses a newer server
