"""扫码签到 codes and 团体预约 rosters: pure rules."""

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from marketplace.domain import checkin as rules
from marketplace.errors import InvalidInput
from marketplace.services.organisations import check_roster, parse_roster_file, parse_roster_text

KEY = "k" * 64
START = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def test_an_order_token_reads_back_and_a_changed_one_is_refused():
    token = rules.order_token(KEY, 42, 7)
    assert rules.read_code(KEY, f"  {token} ") == rules.Scanned(order_id=42, session_id=7)
    with pytest.raises(ValueError, match="not valid"):
        rules.read_code("another key" * 6, token)
    for forged in (token.replace("CM1.42.", "CM1.43."), token.replace(".7.", ".8."), token[:-1] + "A", token + "x"):
        if forged != token:
            with pytest.raises(ValueError):
                rules.read_code(KEY, forged)


def test_short_codes_are_typed_loosely_and_use_an_unambiguous_alphabet():
    assert rules.read_code(KEY, " ab-cd ef ").short_code == "ABCDEF"
    for bad in ("", "ABCDE", "ABCDEFG", "ABCDE0", "ABCDEI", "你好你好你好"):
        with pytest.raises(ValueError):
            rules.read_code(KEY, bad)
    codes = {rules.new_short_code() for _ in range(200)}
    assert len(codes) > 190 and all(rules.read_code(KEY, c).short_code == c for c in codes)


def test_a_session_token_names_its_session_only():
    token = rules.session_token(KEY, 9)
    assert rules.read_session_token(KEY, token) == 9
    with pytest.raises(ValueError):
        rules.read_session_token(KEY, token.replace("S1.9.", "S1.10."))
    with pytest.raises(ValueError):
        rules.read_session_token(KEY, rules.order_token(KEY, 9, 9))


@pytest.mark.parametrize(
    ("now", "refusal"),
    [
        (START - timedelta(hours=1, seconds=1), rules.TOO_EARLY),
        (START - timedelta(hours=1), None),
        (START, None),
        (END, None),
        (END + timedelta(seconds=1), rules.TOO_LATE),
    ],
)
def test_codes_hold_from_an_hour_before_the_start_to_the_end(now, refusal):
    assert rules.window_refusal(now, START, END) == refusal


def test_a_typed_roster():
    rows = parse_roster_text("张三, 13812345678\n\n李四，+86 139-1234-5678\n王五\t13712345678\n赵六 13612345678\n")
    people = check_roster(rows)
    assert [(p.name, p.phone) for p in people] == [
        ("张三", "13812345678"),
        ("李四", "13912345678"),
        ("王五", "13712345678"),
        ("赵六", "13612345678"),
    ]
    with pytest.raises(InvalidInput, match="Line 2: this phone number is on the roster twice"):
        check_roster([("甲", "13812345678"), ("乙", "138 1234 5678")])
    with pytest.raises(InvalidInput, match="Line 1: this is not a mobile number"):
        check_roster([("甲", "12345")])
    with pytest.raises(InvalidInput, match="Line 1: a name"):
        check_roster([("", "13812345678")])


def test_csv_and_xlsx_rosters_with_a_header_row():
    csv_gbk = "姓名,手机\n张三,13812345678\n李四,13912345678\n".encode("gb18030")
    assert parse_roster_file("名单.csv", csv_gbk) == [("张三", "13812345678"), ("李四", "13912345678")]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号"])
    sheet.append(["王五", 13712345678])
    sheet.append([None, None])
    sheet.append(["赵六", "136-1234-5678"])
    out = io.BytesIO()
    book.save(out)
    assert check_roster(parse_roster_file("roster.XLSX", out.getvalue()))[1].phone == "13612345678"
    with pytest.raises(InvalidInput):
        parse_roster_file("x.xlsx", b"not a workbook")
