"""The roster's rules without I/O: groups in the union's words, rows read or refused with their reason,
repeats within a file, names compared, the mapping guessed from Chinese headers."""

from marketplace.domain import roster as rules

MAPPING = {"name": 0, "phone": 1, "union_card": 2, "workplace": 3, "groups": 4}


def test_groups_in_the_unions_words_or_as_values():
    assert rules.groups_of("新就业形态劳动者") == (["new_employment"], None)
    assert rules.groups_of("农民工/外来务工人员") == (["migrant"], None)  # one group, named twice
    assert rules.groups_of("困难职工、女职工") == (["hardship", "women"], None)
    assert rules.groups_of("ＨＡＲＤＳＨＩＰ， youth") == (["hardship", "youth"], None)  # full width, any case
    assert rules.groups_of("") == ([], None)
    assert rules.groups_of("女职工;外星人") == (["women"], "外星人")  # the first unknown word is named


def test_a_row_is_read_or_refused_with_its_reason():
    entry = rules.read_row(2, ["  王 农 ", "+86 139-0000-0002", "ns 0002", "建筑工会", "农民工"], MAPPING)
    assert entry == rules.Entry(2, "王 农", "13900000002", "NS0002", "建筑工会", ["migrant"])
    assert rules.read_row(3, ["", "", "", "", ""], MAPPING) is None  # a blank row is no row
    assert rules.read_row(4, ["", "13900000002"], MAPPING).reason == "The name is empty."
    assert rules.read_row(5, ["甲", ""], MAPPING).reason == "The phone number is empty."
    bad_phone = rules.read_row(6, ["甲", "12345"], MAPPING)
    assert (bad_phone.reason, bad_phone.params) == (
        "The phone number %(phone)s is not a mobile number.",
        {"phone": "12345"},
    )
    assert "union card" in rules.read_row(7, ["甲", "13900000002", "卡#1"], MAPPING).reason
    assert rules.read_row(8, ["甲", "13900000002", "", "", "外星人"], MAPPING).params == {"group": "外星人"}
    assert rules.read_row(9, ["甲" * 61, "13900000002"], MAPPING).params == {"n": 60}
    short = rules.read_row(10, ["甲", "13900000002"], MAPPING)  # columns missing at the end are empty
    assert short == rules.Entry(10, "甲", "13900000002")


def test_the_first_row_of_a_phone_or_card_holds():
    rows = [
        rules.Entry(2, "甲", "13900000001", "A1"),
        rules.Entry(3, "乙", "13900000001"),
        rules.Entry(4, "丙", "13900000003", "A1"),
        rules.Entry(5, "丁", "13900000004"),
    ]
    kept, faults = rules.duplicates(rows)
    assert [e.row for e in kept] == [2, 5]
    assert [(f.row, f.params) for f in faults] == [(3, {"first": 2}), (4, {"first": 2})]


def test_names_compared_as_people_write_them():
    assert rules.same_name("周 骑手", "周骑手")
    assert rules.same_name("Ａｌｉ·Ｋｅｒｉｍ", "ali kerim")
    assert not rules.same_name("李四", "李三")
    assert not rules.same_name("", "")


def test_mapping_guessed_from_headers_and_checked():
    headers = ["序号", "姓名", "手机号码", "工会会员卡号", "所在工会", "人员类别"]
    assert rules.guess_mapping(headers) == {"name": 1, "phone": 2, "union_card": 3, "workplace": 4, "groups": 5}
    assert rules.check_mapping({"phone": 1}, 3) == "Choose the column that holds the name."
    assert rules.check_mapping({"name": 0}, 3) == "Choose the column that holds the phone number."
    assert rules.check_mapping({"name": 0, "phone": 0}, 3) == "Each column may be used for one field only."
    assert rules.check_mapping({"name": 0, "phone": 5}, 3) == "The mapping names a column the file does not have."
    assert rules.check_mapping({"name": 0, "phone": 1, "x": 2}, 3) == "The mapping names a field that does not exist."
    assert rules.check_mapping({"name": 0, "phone": 1}, 3) is None
