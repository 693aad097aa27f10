"""Reading questionnaire rows (domain/surveys.py): the mapping guessed from headers, rows read or refused
with a reason, personal data left out, the row digest."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from marketplace.domain.surveys import (
    Answer,
    Fault,
    check_mapping,
    group_of,
    guess_mapping,
    mode_of,
    read_row,
    row_digest,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 8, tzinfo=UTC)
HEADERS = [
    "序号",
    "提交时间",
    "姓名",
    "手机号码",
    "您属于以下哪类群体",
    "所在街道",
    "年龄段",
    "您最希望工会提供哪方面的服务？",
    "希望的服务方式",
    "方便参加的时间段",
]
MAPPING = guess_mapping(HEADERS)


def test_the_mapping_is_guessed_from_chinese_headers_and_never_takes_names_or_phones():
    assert MAPPING == {
        "answered_at": 1,
        "need": 7,
        "group": 4,
        "district": 5,
        "age_band": 6,
        "mode": 8,
        "times": 9,
    }
    assert guess_mapping(["姓名", "联系电话", "Need", "District"]) == {"need": 2, "district": 3}
    assert 2 not in guess_mapping(["姓名", "手机", "您的需求（姓名可不填）", "诉求"]).values()


def test_a_mapping_needs_the_need_and_each_column_once():
    assert check_mapping({"group": 1}, 3) == "Choose the column that holds the need."
    assert check_mapping({"need": 5}, 3) == "The mapping names a column the file does not have."
    assert check_mapping({"need": 1, "group": 1}, 3) == "Each column may be used for one field only."
    assert check_mapping({"need": 1, "name": 2}, 3) == "The mapping names a field that does not exist."
    assert check_mapping({"need": 0, "group": 2}, 3) is None


def _row(need="老板拖欠工资不给，电话13912345678", when="2026-10-01 09:30", group="外卖骑手", mode="线上线下都可以"):
    return ["1", when, "张三", "13800000001", group, "南头街道", "25-34岁", need, mode, "周末"]


def test_a_row_is_read_into_the_mapped_facts_only_with_phone_numbers_masked():
    found = read_row(2, _row(), MAPPING, ZONE, NOW)
    assert isinstance(found, Answer)
    assert found.text == "老板拖欠工资不给，电话***"  # Chinese punctuation kept, the phone masked
    assert (found.group, found.mode, found.district, found.age_band, found.times) == (
        "new_employment",
        "any",
        "南头街道",
        "25-34岁",
        "周末",
    )
    assert found.answered_at == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert "张三" not in repr(found) and "13800000001" not in repr(found)


def test_bad_rows_are_refused_with_their_number_and_a_reason_and_blank_rows_skipped():
    assert read_row(3, _row(need=""), MAPPING, ZONE, NOW) == Fault(3, "The need is empty.")
    assert read_row(4, _row(need="嗯"), MAPPING, ZONE, NOW) == Fault(4, "The need is too short to read.")
    assert read_row(5, _row(need="x" * 1001), MAPPING, ZONE, NOW) == Fault(
        5, "The need is longer than 1000 characters."
    )
    assert read_row(6, _row(when="昨天"), MAPPING, ZONE, NOW) == Fault(6, "The answer time is not a date.")
    assert read_row(7, _row(when="2031-01-01"), MAPPING, ZONE, NOW) == Fault(7, "The answer time is out of range.")
    assert read_row(8, _row(when="2026-02-30"), MAPPING, ZONE, NOW) == Fault(8, "The answer time is not a date.")
    assert read_row(9, _row(need="想学\x00书法"), MAPPING, ZONE, NOW) == Fault(9, "The need holds control characters.")
    assert read_row(10, ["", None, "  "], MAPPING, ZONE, NOW) is None
    assert isinstance(read_row(11, _row(when=""), MAPPING, ZONE, NOW), Answer)  # no time: the import's
    assert isinstance(read_row(12, _row()[:8], MAPPING, ZONE, NOW), Answer)  # a short row: the rest empty
    excel = read_row(13, [*_row()[:1], datetime(2026, 10, 1, 9, 30), *_row()[2:]], MAPPING, ZONE, NOW)
    assert excel.answered_at == datetime(2026, 10, 1, 1, 30, tzinfo=UTC)


def test_groups_and_modes_are_read_from_what_respondents_chose():
    assert [
        group_of(g)
        for g in ("新就业形态劳动者", "农民工", "双职工家庭", "女职工", "青年职工", "退休职工", "公务员", "")
    ] == [
        "new_employment",
        "migrant",
        "parent",
        "women",
        "youth",
        "retiree",
        "other",
        "",
    ]
    assert [mode_of(m) for m in ("线上", "线下", "都可以", "Online", "随便")] == [
        "online",
        "offline",
        "any",
        "online",
        "",
    ]


def test_the_row_digest_ignores_spacing_and_trailing_blanks_but_not_answers():
    assert row_digest(["a", " b ", ""]) == row_digest(["a", "b"])
    assert row_digest(["a", "b"]) != row_digest(["a", "c"])
