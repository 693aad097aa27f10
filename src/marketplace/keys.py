"""The instance's secret and the keys derived from it.

Outside production an unset (or placeholder) SECRET_KEY is replaced by a random one made on first
start and kept in the data folder, so the web process, the worker and later starts share it and
nobody can sign a token with the published placeholder. Each use gets its own key derived from
the secret (HMAC-SHA256 with the purpose as message), so a key leaking from one use (a CSRF
cookie's signature, say) says nothing about another's.
"""

import functools
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

SECRET_FILE = "secret_key"


@functools.lru_cache(maxsize=8)
def stored_secret(data_dir: Path) -> str:
    """The secret kept in `data_dir`, made (readable by its owner only) when there is none yet."""
    path = Path(data_dir).resolve() / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when web and worker start together, one writes and the other reads what it wrote.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return _read(path)


def _read(path: Path) -> str:
    for _ in range(50):  # the other process may be between creating and writing the file
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it and start again")


@functools.lru_cache(maxsize=64)
def derive(secret: str, purpose: str) -> str:
    """The key for one purpose ("tokens", "csrf", …), derived from the instance secret."""
    return hmac.new(secret.encode(), b"cloud-market/" + purpose.encode(), hashlib.sha256).hexdigest()
