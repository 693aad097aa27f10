"""Mainland China mobile numbers: normalised for storage, masked for others' eyes."""

import re

# What is accepted as a mobile number (also in the OpenAPI document): 11 digits starting 13–19,
# maybe after +86 or 0086, with spaces, hyphens or brackets between.
_SEP = r"[ \-()]*"
PHONE_PATTERN = rf"^{_SEP}(?:(?:\+|00)86)?{_SEP}1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}{_SEP}$"
PHONE_MAX_LENGTH = 40
_PHONE = re.compile(PHONE_PATTERN)
_NOT_DIGIT = re.compile(r"[^0-9]")


def normalize_phone(raw: str) -> str | None:
    """'+86 138-1234-5678' -> '13812345678'; None when it is not a mobile number."""
    if not raw or len(raw) > PHONE_MAX_LENGTH or not _PHONE.match(raw):
        return None
    digits = _NOT_DIGIT.sub("", raw)
    return digits[-11:]


def mask_phone(phone: str) -> str:
    """'13812345678' -> '138****5678'."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
