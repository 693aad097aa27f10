"""A refusal in the reader's language: the services' English sentence (`message`) looked up in the
catalogue, its values by name put into words too (a state, an action, roles, groups), for pages and for
API clients that ask for Chinese (`Accept-Language`)."""

from typing import Any

from . import labels
from .i18n import N_, is_translated, tr

LISTING_ACTIONS = {
    "submit": N_("submit"),
    "approve": N_("approve"),
    "reject": N_("reject"),
    "pause": N_("pause"),
    "resume": N_("resume"),
    "close": N_("close"),
    "archive": N_("archive"),
}
CASE_ACTIONS = {"contact": N_("record the contact"), "resolve": N_("resolve")}
# A parameter's name says what its value is, and so which words show it.
TABLES: dict[str, dict[str, str]] = {
    "order_state": labels.ORDER_STATES,
    "listing_state": labels.LISTING_STATES,
    "case_state": labels.CASE_STATES,
    "campaign_state": labels.CAMPAIGN_STATES,
    "campaign_action": labels.CAMPAIGN_ACTIONS,
    "offer_state": labels.OFFER_STATES,
    "listing_action": LISTING_ACTIONS,
    "action": {**labels.EVENT_ACTIONS, **labels.ORDER_ACTIONS, **CASE_ACTIONS},
    "actors": labels.ACTORS,
    "roles": labels.ROLES,
    "groups": labels.GROUPS,
}
OR = {"zh-CN": "或", "en": " or "}


def _value(lang: str, name: str, value: Any) -> Any:
    table = TABLES.get(name)
    if isinstance(value, list | tuple):
        return OR.get(lang, " or ").join(str(_value(lang, name, v)) for v in value)
    if table is not None and isinstance(value, str) and value in table:
        return tr(lang, table[value])
    return value


def words(lang: str, message: str, params: dict[str, Any] | None = None) -> str | None:
    """The sentence in `lang`, or None when the catalogue does not have it."""
    if not is_translated(lang, message):
        return None
    shown = {name: _value(lang, name, value) for name, value in (params or {}).items()}
    try:
        return tr(lang, message, **shown)
    except (KeyError, TypeError, ValueError):  # a catalogue entry that lost a name: not a 500
        return None


def row_faults(lang: str, errors: list[dict]) -> list[dict]:
    """An import's bad rows ({"row", "reason", "params"}) with their reasons in `lang` (as stored when the
    catalogue lacks one)."""
    return [{"row": e["row"], "reason": words(lang, e["reason"], e.get("params")) or e["reason"]} for e in errors]


def parts(exc: Exception) -> tuple[str, dict[str, Any]]:
    """(message, params) of a refusal: a MarketError's, a rule's (domain Refusal), else its text."""
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        return message, dict(getattr(exc, "params", None) or {})
    return getattr(exc, "detail", None) or str(exc), {}
