"""What a password must not be: short, one of the commonest, a plain run, or the account's phone number."""

from functools import cache
from pathlib import Path

MIN_LENGTH = 8
_COMMON = Path(__file__).with_name("common_passwords.txt")

TOO_SHORT = "The password is too short: at least 8 characters, please."
TOO_COMMON = "This password is one of the most common ones: please choose another."
IS_PHONE = "The password must not contain your phone number."


@cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_run(password: str) -> bool:
    """One character repeated, or a straight sequence up or down (12345678, abcdefgh, 87654321)."""
    steps = {ord(b) - ord(a) for a, b in zip(password, password[1:], strict=False)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def password_problem(password: str, phone: str | None = None) -> str | None:
    """Why this password is refused (a sentence), or None when it may be used."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    lowered = password.lower()
    if lowered in common_passwords() or _is_run(lowered):
        return TOO_COMMON
    digits = phone[-8:] if phone else None  # the number without its carrier prefix still gives it away
    if phone and (digits in password or password in phone):
        return IS_PHONE
    return None
