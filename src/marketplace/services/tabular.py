"""Text of an uploaded CSV file as unions' spreadsheets save it: UTF-8 (with or without a BOM) or GB18030
(Excel on Chinese Windows). Shared by questionnaire imports and organisations' rosters."""


def decode_csv(content: bytes) -> str | None:
    """The file as text, or None when it is neither encoding (or holds NUL: a binary file)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text
    return None
