import time

import pytest
from pydantic import ValidationError

from marketplace import auth
from marketplace.domain.phones import mask_phone, normalize_phone
from marketplace.settings import Settings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 (138) 1234 5678", "13812345678"),
        ("12812345678", None),
        ("1381234567", None),
        ("138123456789", None),
        ("", None),
        ("abcdefghijk", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"


def test_production_refuses_placeholder_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="changeme", database_url="x", redis_url="y")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="short-but-not-placeholder", database_url="x", redis_url="y")
    ok = Settings(environment="production", secret_key="k" * 40, database_url="x", redis_url="y")
    assert ok.environment == "production"


def test_production_password_hash_round_trip():
    settings = Settings()
    hashed = auth.hash_password(settings, "correct horse")
    assert hashed.startswith("$argon2id$")
    assert auth.verify_password(settings, hashed, "correct horse")
    assert not auth.verify_password(settings, hashed, "wrong horse")
    assert not auth.verify_password(settings, "not-a-hash", "x")


def test_tokens_are_signed():
    settings = Settings(secret_key="a" * 40)
    token = auth.issue_token(settings, 42)
    assert auth.read_token(settings, token) == 42
    assert auth.read_token(Settings(secret_key="b" * 40), token) is None
    assert auth.read_token(settings, token + "x") is None


def test_a_token_read_before_stops_working_when_it_expires(monkeypatch):
    settings = Settings(secret_key="c" * 40, token_ttl_hours=1)
    token = auth.issue_token(settings, 7)
    assert auth.read_token(settings, token) == 7  # checked once, remembered
    later = time.time() + 3601
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert auth.read_token(settings, token) is None
