"""Mainland China mobile numbers: normalised for storage, masked for others' eyes."""

import re

_SEPARATORS = re.compile(r"[\s\-()]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str | None:
    """'+86 138-1234-5678' -> '13812345678'; None when it is not a mobile number."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits if _MOBILE.match(digits) else None


def mask_phone(phone: str) -> str:
    """'13812345678' -> '138****5678'."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
