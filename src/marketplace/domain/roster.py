"""Reading the union's real-name roster (会员名册): which column holds what, one row read into an entry,
the groups it names, and whether an account's name is the roster's.

Pure rules, no I/O. A row must give a name and a mobile number; a union card number, the workplace union
and the member's groups are optional. Groups are written in the union's words (新就业形态劳动者,
农民工/外来务工人员, 困难职工, 女职工 …) or as the market's group values (new_employment …); a word the
market does not know refuses the row, so a typo never drops a group silently.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .cells import clean
from .phones import normalize_phone
from .roles import MemberGroup


class Field(StrEnum):
    """What a mapped column holds (name and phone are the ones a mapping must have)."""

    name = "name"
    phone = "phone"
    union_card = "union_card"
    workplace = "workplace"
    groups = "groups"


FIELDS = list(Field)
REQUIRED = (Field.name, Field.phone)
MAX_NAME = 60
MAX_CARD = 30
MAX_WORKPLACE = 100

_HEADER_WORDS: list[tuple[Field, tuple[str, ...]]] = [
    (Field.union_card, ("会员卡", "工会卡", "卡号", "会员证", "union card", "card")),
    (Field.phone, ("手机", "电话", "联系方式", "phone", "mobile")),
    (Field.name, ("姓名", "名字", "会员名", "name")),
    (Field.workplace, ("所在工会", "基层工会", "工作单位", "单位", "工会", "workplace")),
    (Field.groups, ("群体", "人员类别", "类别", "身份", "group")),
]

# The union's words for each group (compared whole, after NFKC and lower case), and the values themselves.
GROUP_NAMES: dict[str, MemberGroup] = {
    **{g.value: g for g in MemberGroup},
    "新就业形态劳动者": MemberGroup.new_employment,
    "新就业形态": MemberGroup.new_employment,
    "新就业群体": MemberGroup.new_employment,
    "新业态劳动者": MemberGroup.new_employment,
    "快递员": MemberGroup.new_employment,
    "外卖骑手": MemberGroup.new_employment,
    "网约车司机": MemberGroup.new_employment,
    "货车司机": MemberGroup.new_employment,
    "农民工": MemberGroup.migrant,
    "外来务工人员": MemberGroup.migrant,
    "外来务工": MemberGroup.migrant,
    "进城务工人员": MemberGroup.migrant,
    "双职工家庭": MemberGroup.parent,
    "双职工": MemberGroup.parent,
    "青年职工": MemberGroup.youth,
    "青年": MemberGroup.youth,
    "女职工": MemberGroup.women,
    "退休职工": MemberGroup.retiree,
    "困难职工": MemberGroup.hardship,
    "困难职工家庭": MemberGroup.hardship,
}
# Between groups in one cell: 、 , ， ; ； / ／ | and spaces (农民工/外来务工人员 names one group twice).
_GROUP_SEPARATORS = re.compile(r"[、,，;；/／|\s]+")
_CARD = re.compile(r"^[0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def guess_mapping(headers: Sequence[str]) -> dict[str, int]:
    """field → column index, from the headers' words; each column used once."""
    names = [clean(h).lower() for h in headers]
    taken: set[int] = set()
    mapping: dict[str, int] = {}
    for fld, words in _HEADER_WORDS:
        for word in words:
            found = next((i for i, name in enumerate(names) if i not in taken and word in name), None)
            if found is not None:
                mapping[fld.value] = found
                taken.add(found)
                break
    return mapping


def check_mapping(mapping: dict[str, int], columns: int) -> str | None:
    """Why a mapping cannot be used (None: it can)."""
    if any(fld not in Field.__members__ for fld in mapping):
        return "The mapping names a field that does not exist."
    if Field.name.value not in mapping:
        return "Choose the column that holds the name."
    if Field.phone.value not in mapping:
        return "Choose the column that holds the phone number."
    if any(not 0 <= index < columns for index in mapping.values()):
        return "The mapping names a column the file does not have."
    if len(set(mapping.values())) != len(mapping):
        return "Each column may be used for one field only."
    return None


def groups_of(text: str) -> tuple[list[str], str | None]:
    """The groups a cell names, as the market's values (sorted, each once), and the first word it does not
    know (None when every word is known)."""
    found: set[str] = set()
    for word in _GROUP_SEPARATORS.split(clean(text).lower()):
        if not word:
            continue
        group = GROUP_NAMES.get(word)
        if group is None:
            return sorted(found), word
        found.add(group.value)
    return sorted(found), None


def same_name(a: str, b: str) -> bool:
    """The roster's name and an account's name are the same person's: compared after NFKC, without
    spaces or the middle dot of transliterated names, case aside."""

    def plain(name: str) -> str:
        return re.sub(r"[\s·・.]", "", unicodedata.normalize("NFKC", name or "")).lower()

    return bool(plain(a)) and plain(a) == plain(b)


def card_of(value: object) -> str:
    """A union card number as stored: plain width, no spaces, letters upper case."""
    return re.sub(r"\s", "", clean(value)).upper()


def card_problem(card: str) -> str | None:
    """Why a union card number (as `card_of` gives it) cannot be one; None when it can or is empty."""
    if card and (len(card) > MAX_CARD or not _CARD.match(card)):
        return "The union card number may hold only letters, digits and hyphens (at most 30)."
    return None


@dataclass(frozen=True)
class Entry:
    """One member as the roster says."""

    row: int
    name: str
    phone: str
    union_card: str | None = None
    workplace: str = ""
    groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fault:
    """A row that could not be read: its number in the file (the header is row 1), why, and the values
    the sentence names."""

    row: int
    reason: str
    params: dict = field(default_factory=dict)


def read_row(number: int, cells: Sequence[object], mapping: dict[str, int]) -> Entry | Fault | None:
    """A row through the mapping: an Entry, a Fault with its reason, or None for a blank row."""
    if not any(clean(c) for c in cells):
        return None

    def cell(fld: Field) -> object:
        index = mapping.get(fld.value)
        return cells[index] if index is not None and index < len(cells) else None

    name = clean(cell(Field.name))
    if not name:
        return Fault(number, "The name is empty.")
    if len(name) > MAX_NAME or _CONTROL.search(name):
        return Fault(number, "The name is longer than %(n)s characters.", {"n": MAX_NAME})
    raw_phone = clean(cell(Field.phone))
    if not raw_phone:
        return Fault(number, "The phone number is empty.")
    phone = normalize_phone(raw_phone)
    if phone is None:
        return Fault(number, "The phone number %(phone)s is not a mobile number.", {"phone": raw_phone[:40]})
    card = card_of(cell(Field.union_card)) or None
    if card is not None and card_problem(card):
        return Fault(number, card_problem(card))
    workplace = clean(cell(Field.workplace))
    if len(workplace) > MAX_WORKPLACE:
        return Fault(number, "The workplace union is longer than %(n)s characters.", {"n": MAX_WORKPLACE})
    groups, unknown = groups_of(clean(cell(Field.groups)))
    if unknown is not None:
        return Fault(number, "Unknown group: %(group)s.", {"group": unknown})
    return Entry(number, name, phone, card, workplace, groups)


def duplicates(entries: Sequence[Entry]) -> tuple[list[Entry], list[Fault]]:
    """Within one batch, the first row of a phone or a union card number holds; a later one is refused."""
    phones: dict[str, int] = {}
    cards: dict[str, int] = {}
    kept, faults = [], []
    for e in entries:
        if e.phone in phones:
            faults.append(Fault(e.row, "The phone number is also on row %(first)s.", {"first": phones[e.phone]}))
        elif e.union_card and e.union_card in cards:
            faults.append(
                Fault(e.row, "The union card number is also on row %(first)s.", {"first": cards[e.union_card]})
            )
        else:
            phones[e.phone] = e.row
            if e.union_card:
                cards[e.union_card] = e.row
            kept.append(e)
    return kept, faults
