"""Schemathesis against the running service (`marketplace serve`): every check, a fixed seed and a
fixed example budget, as a member and as a curator, on a small market. It must find nothing: no
server error, no answer the OpenAPI document does not describe, no refusal of what it allows."""

import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.domain.roles import Role

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the few rules JSON Schema cannot say
SEED = "20261129"
EXAMPLES = "6"  # per operation and phase: both users in about a minute on 2 cores


async def _market(factory):
    domain = await factory.category("教育培训", slug="education")
    category = await factory.category("书法培训", parent=domain, slug="calligraphy")
    provider = await factory.provider([category], name="王老师", honours=["南山工匠"])
    listing = await factory.listing(provider, category, auto_accept=True, sessions=[(3, 20), (10, 20)])
    await factory.listing(provider, category, title="上门咨询", shape="on_request")
    member = await factory.user(name="刘师傅")
    await factory.order_in_state(member, listing, "accepted")
    curator = await factory.user(Role.curator, Role.operator, name="区总工会")
    return member, curator


def _run(live_server: str, headers: dict[str, str], report: Path) -> subprocess.CompletedProcess:
    ((name, value),) = headers.items()
    command = [
        str(SCHEMATHESIS),
        "--config-file", str(CONFIG),
        "run",
        f"{live_server}/schema/openapi.json",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", EXAMPLES,
        "--seed", SEED,
        "--workers", "1",
        "--header", f"{name}: {value}",
        "--request-timeout", "10",
        "--suppress-health-check", "all",
        "--generation-database", "none",
        "--report", "junit",
        "--report-dir", str(report),
    ]  # fmt: skip
    # run in the report's folder: schemathesis keeps a cache (.schemathesis/) where it runs
    # the timeout only guards against a hang: on a loaded 2-core machine one role takes several minutes
    return subprocess.run(command, capture_output=True, text=True, timeout=420, cwd=report.parent)


# one test per role, so that pytest-xdist runs them side by side
@pytest.mark.parametrize("who", ["member", "curator"])
async def test_schemathesis_finds_nothing(live_server, factory, tmp_path, who):
    member, curator = await _market(factory)
    user = {"member": member, "curator": curator}[who]
    result = _run(live_server, factory.headers(user), tmp_path / who)
    assert result.returncode == 0, f"as the {who}:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
