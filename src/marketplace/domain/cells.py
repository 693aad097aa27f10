"""A spreadsheet cell as text, the one reading every imported table shares (questionnaires, rosters)."""

import unicodedata


def clean(value: object, fold: bool = True) -> str:
    """A cell as text: None and blanks are empty; whitespace squeezed; full-width forms made plain (fold;
    a need's own text keeps its Chinese punctuation)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)) if fold else str(value)
    return " ".join(text.split())
