"""Reading needs questionnaires (需求调研): which column holds what, one row read into a need, its faults.

Pure rules, no I/O: the mapping guessed from Chinese (or English) headers, each row read through the
mapping into the few facts kept (the need's text, the respondent's group, district or workplace, age
band, preferred mode and times, when it was answered) and refused with a reason when it cannot be read.
Nothing a mapping does not ask for is kept, and phone and ID numbers written inside a need are masked.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from .cells import clean
from .roles import MemberGroup


class Field(StrEnum):
    """What a mapped column holds (the need's text is the one a mapping must have)."""

    need = "need"
    group = "group"
    district = "district"
    age_band = "age_band"
    mode = "mode"
    times = "times"
    answered_at = "answered_at"


FIELDS = list(Field)
OTHER_GROUP = "other"
GROUPS = [g.value for g in MemberGroup] + [OTHER_GROUP]
MODES = ("online", "offline", "any")
MAX_NEED = 1000
MIN_NEED = 2
SIZES = {Field.district: 60, Field.age_band: 20, Field.times: 60}

# Header words per field, most telling first; the answer time is guessed before the free times.
_HEADER_WORDS: list[tuple[Field, tuple[str, ...]]] = [
    (Field.answered_at, ("提交时间", "填写时间", "答题时间", "提交日期", "填写日期", "submitted", "answered")),
    (Field.need, ("需求", "诉求", "需要", "希望", "最想", "想要", "困难", "建议", "意见", "need", "wish")),
    (Field.group, ("群体", "身份", "人员类别", "职工类型", "职业类型", "从业类型", "类别", "group")),
    (Field.district, ("街道", "区域", "片区", "社区", "辖区", "所在地", "工作单位", "单位", "district", "workplace")),
    (Field.age_band, ("年龄", "age")),
    (Field.mode, ("方式", "形式", "线上", "mode")),
    (Field.times, ("时段", "时间段", "方便的时间", "空闲时间", "时间", "times", "time")),
]
# Headers of personal data: never guessed for any field (a curator may still choose one by hand).
_PERSONAL = ("姓名", "名字", "电话", "手机", "联系方式", "身份证", "微信", "邮箱", "name", "phone", "mobile", "e-mail")

_GROUP_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (MemberGroup.new_employment, ("新就业", "快递", "外卖", "骑手", "网约车", "货车", "代驾", "配送", "平台")),
    (MemberGroup.migrant, ("农民工", "外来务工", "务工", "进城")),
    (MemberGroup.parent, ("双职工", "家长", "育儿", "亲子", "宝妈", "宝爸")),
    (MemberGroup.women, ("女职工", "女工")),
    (MemberGroup.youth, ("青年", "年轻")),
    (MemberGroup.retiree, ("退休", "老年")),
]
_MODE_WORDS = (
    ("any", ("都可以", "均可", "皆可", "不限", "both", "any")),
    ("online", ("线上", "网上", "网络", "视频", "online")),
    ("offline", ("线下", "现场", "到场", "上门", "面对面", "offline")),
)
# 11-digit mobile numbers and 18-character ID numbers inside a free text
_PERSONAL_NUMBERS = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|\d{17}[\dXx])(?!\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})秒?)?)?$"
)


def guess_mapping(headers: Sequence[str]) -> dict[str, int]:
    """field → column index, from the headers' words; each column used once, personal columns never."""
    names = [clean(h).lower() for h in headers]
    taken: set[int] = set()
    mapping: dict[str, int] = {}
    for field, words in _HEADER_WORDS:
        for word in words:
            found = next(
                (
                    i
                    for i, name in enumerate(names)
                    if i not in taken and word in name and not any(p in name for p in _PERSONAL)
                ),
                None,
            )
            if found is not None:
                mapping[field.value] = found
                taken.add(found)
                break
    return mapping


def check_mapping(mapping: dict[str, int], columns: int) -> str | None:
    """Why a mapping cannot be used (None: it can)."""
    if Field.need.value not in mapping:
        return "Choose the column that holds the need."
    if any(field not in Field.__members__ for field in mapping):
        return "The mapping names a field that does not exist."
    if any(not 0 <= index < columns for index in mapping.values()):
        return "The mapping names a column the file does not have."
    if len(set(mapping.values())) != len(mapping):
        return "Each column may be used for one field only."
    return None


def group_of(label: str) -> str:
    """The respondent's group as one of the market's groups ("other" for one it does not know)."""
    if not label:
        return ""
    for group, words in _GROUP_WORDS:
        if any(word in label for word in words):
            return group.value
    return OTHER_GROUP


def mode_of(label: str) -> str:
    low = label.lower()
    for mode, words in _MODE_WORDS:
        if any(word in low for word in words):
            return mode
    return ""


def moment_of(value: object, zone: tzinfo) -> datetime | None:
    """A cell as a moment in UTC (a date or time written in the market's zone); None when it is none."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(12), zone).astimezone(UTC)
    text = clean(value)
    match = _DATE.match(text)
    if not match:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        moment = datetime(y, mo, d, h, mi, s, tzinfo=zone) if match.group(4) else datetime(y, mo, d, 12, tzinfo=zone)
    except ValueError:
        return None
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Answer:
    """One respondent's need, as kept."""

    row: int
    digest: str
    text: str
    group: str = ""
    district: str = ""
    age_band: str = ""
    mode: str = ""
    times: str = ""
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Fault:
    """A row that could not be read: its number in the file (the header is row 1) and why."""

    row: int
    reason: str


def row_digest(cells: Sequence[object]) -> str:
    """The row's fingerprint: the same answers in any file give the same digest (one-way; nothing kept)."""
    joined = "\x1f".join(clean(c) for c in cells).rstrip("\x1f")
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def read_row(
    number: int, cells: Sequence[object], mapping: dict[str, int], zone: tzinfo, now: datetime
) -> Answer | Fault | None:
    """A row through the mapping: an Answer, a Fault with its reason, or None for a blank row."""
    if not any(clean(c) for c in cells):
        return None

    def cell(field: Field) -> object:
        index = mapping.get(field.value)
        return cells[index] if index is not None and index < len(cells) else None

    text = clean(cell(Field.need), fold=False)
    if _CONTROL.search(text):
        return Fault(number, "The need holds control characters.")
    if len(text) < MIN_NEED:
        return Fault(number, "The need is empty." if not text else "The need is too short to read.")
    if len(text) > MAX_NEED:
        return Fault(number, f"The need is longer than {MAX_NEED} characters.")
    answered_at = None
    raw_time = cell(Field.answered_at)
    if clean(raw_time):
        answered_at = moment_of(raw_time, zone)
        if answered_at is None:
            return Fault(number, "The answer time is not a date.")
        if answered_at > now + timedelta(days=1) or answered_at.year < 2000:
            return Fault(number, "The answer time is out of range.")
    values = {f: clean(cell(f))[: SIZES[f]] for f in SIZES}
    return Answer(
        row=number,
        digest=row_digest(cells),
        text=_PERSONAL_NUMBERS.sub("***", text),
        group=group_of(clean(cell(Field.group))),
        mode=mode_of(clean(cell(Field.mode))),
        answered_at=answered_at,
        district=values[Field.district],
        age_band=values[Field.age_band],
        times=values[Field.times],
    )
