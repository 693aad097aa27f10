"""Every action the code writes into the audit trail has words on the audit page and in its export (an
unlabelled one shows its raw name, in English, on a Chinese page)."""

import re
from pathlib import Path

from marketplace.services import roster, surveys
from marketplace.web.pages import labels

SOURCE = Path(__file__).resolve().parents[2] / "src" / "marketplace"
RECORD = re.compile(r'audit\.record\(\s*\w+,\s*[\w.]+,\s*f?"([^"]+)",\s*f?"([^"]+)"')
KINDS = [surveys.KIND.name, roster.KIND.name]  # the table imports (services/tabular.py)


def _recorded() -> set[tuple[str, str]]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(RECORD.findall(path.read_text()))
    return found


def test_every_recorded_action_and_target_has_words():
    recorded = _recorded()
    assert len(recorded) >= 30  # the scan finds the calls
    missing = []
    for action, target in recorded:
        for kind in KINDS if "{kind.name}" in action + target else [None]:
            a, t = (s.replace("{kind.name}", kind) if kind else s for s in (action, target))
            for text, words in ((a, labels.AUDIT_ACTIONS), (t, labels.AUDIT_TARGETS)):
                # another placeholder ({action}_case): some labelled name must fit it
                fits = re.compile(re.sub(r"\\\{[^}]+\\\}", "[a-z_]+", re.escape(text)) + "$")
                if not any(fits.match(key) for key in words):
                    missing.append(text)
    assert missing == []
