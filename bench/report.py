"""Rows of the summary table (figure, ceiling, ratio, target, met?) and where results are kept."""

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .common import machine

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    ceiling: str = ""  # what the value is compared with, measured in the same run
    ceiling_value: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target, reported for information

    @property
    def ratio(self) -> float | None:
        if not self.ceiling_value:
            return None
        return self.value / self.ceiling_value


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def table(rows: list[Row]) -> str:
    header = ("figure", "value", "ceiling (same run)", "ratio", "target", "met?")
    lines = [header]
    for r in rows:
        ceiling = f"{r.ceiling} {_fmt(r.ceiling_value, r.unit)}" if r.ceiling else "–"
        met = "–" if r.met is None else ("yes" if r.met else "NO")
        ratio = "–" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append((r.figure, _fmt(r.value, r.unit), ceiling, ratio, r.target or "–", met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |" for line in lines]
    out.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def save(name: str, rows: list[Row], details: dict) -> Path:
    """bench/results/<name>.json: the rows, the details behind them and the machine they came from."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    body = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
        "details": details,
    }
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False, default=str))
    return path
