#!/usr/bin/env python3
"""Set-up and start in one step, on a machine with nothing but Python 3.11+.

    python3 run.py up      # the whole service on the embedded PostgreSQL + Redis
    python3 run.py test    # the test suite (pytest arguments may follow)

It makes `.venv`, installs uv into it, installs the locked dependencies
(`uv.lock`) when they changed, and runs the `marketplace` command or pytest.
Any other first word is passed to `marketplace` (e.g. `python3 run.py seed`).
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".synced"
UV_VERSION = "0.13.9"


def _lock_digest() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "uv.lock"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != _lock_digest():
        if not (BIN / "uv").exists():
            subprocess.run([BIN / "python", "-m", "ensurepip"], check=True, capture_output=True)
            subprocess.run([BIN / "python", "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"], check=True)
        print("installing the locked dependencies …", flush=True)
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(VENV), "VIRTUAL_ENV": str(VENV)}
        # --inexact keeps pip and uv in .venv; bytecode is compiled now because some machines set
        # PYTHONDONTWRITEBYTECODE, and compiling ~800 modules at every start doubles start-up time.
        sync = ["sync", "--frozen", "--all-groups", "--inexact", "--compile-bytecode"]
        subprocess.run([BIN / "uv", *sync], cwd=ROOT, env=env, check=True)
        STAMP.write_text(_lock_digest())
    # The project's own modules too (cheap when nothing changed).
    subprocess.run([BIN / "python", "-m", "compileall", "-q", "src", "seeds"], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "test":
        args = [str(BIN / "python"), "-m", "pytest", *rest]
    else:
        args = [str(BIN / "marketplace"), command, *rest]
    os.chdir(ROOT)
    if os.name == "nt":
        return subprocess.call(args)
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
