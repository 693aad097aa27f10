import pytest

from marketplace.domain.passwords import IS_PHONE, TOO_COMMON, TOO_SHORT, common_passwords, password_problem


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1", TOO_SHORT),
        ("12345678", TOO_COMMON),
        ("87654321", TOO_COMMON),
        ("abcdefgh", TOO_COMMON),
        ("aaaaaaaa", TOO_COMMON),
        ("Password1", TOO_COMMON),  # the list is matched whatever the letter case
        ("woaini1314", TOO_COMMON),
        ("1qaz2wsx", TOO_COMMON),
        ("13812345678", IS_PHONE),
        ("my13812345678!", IS_PHONE),
        ("x12345678x", IS_PHONE),  # the number without its 138 prefix
        ("calligraphy-wed-7pm", None),
        ("劳模工匠云集市2026", None),
    ],
)
def test_password_policy(password, problem):
    assert password_problem(password, "13812345678") == problem


def test_the_shipped_list_is_read_without_its_comments():
    listed = common_passwords()
    assert len(listed) > 100
    assert "password" in listed
    assert not any(entry.startswith("#") for entry in listed)
