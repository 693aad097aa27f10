import time

import jwt
import pytest
from pydantic import ValidationError

from marketplace import auth, keys
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
    ok = Settings(
        environment="production", secret_key="k" * 40, database_url="x", redis_url="y", sms_webhook_url="http://sms"
    )
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
    token = auth.issue_token(settings, 42, 7)
    assert auth.read_token(settings, token) == (42, 7)
    assert auth.read_token(Settings(secret_key="b" * 40), token) is None
    assert auth.read_token(settings, token + "x") is None


def test_a_token_without_a_login_session_is_refused():
    settings = Settings(secret_key="a" * 40)
    claims = {"sub": "42", "exp": time.time() + 3600}
    assert auth.read_token(settings, jwt.encode(claims, settings.key("tokens"), algorithm="HS256")) is None


def test_tokens_are_signed_with_their_own_key_not_the_secret_itself():
    settings = Settings(secret_key="a" * 40)
    claims = {"sub": "42", "sid": 7, "exp": time.time() + 3600}
    assert auth.read_token(settings, jwt.encode(claims, "a" * 40, algorithm="HS256")) is None
    assert len({settings.key("tokens"), settings.key("csrf"), "a" * 40}) == 3


def test_a_token_read_before_stops_working_when_it_expires(monkeypatch):
    settings = Settings(secret_key="c" * 40, token_ttl_hours=1)
    token = auth.issue_token(settings, 7, 3)
    assert auth.read_token(settings, token) == (7, 3)  # checked once, remembered
    later = time.time() + 3601
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert auth.read_token(settings, token) is None


def test_without_a_secret_key_one_is_made_once_and_kept_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Settings(_env_file=None, data_dir=tmp_path)
    key = first.key("tokens")
    stored = tmp_path / "secret_key"
    assert stored.stat().st_mode & 0o777 == 0o600
    assert len(stored.read_text()) >= 48
    keys.stored_secret.cache_clear()  # as a new process (the worker, a restart) would
    assert Settings(_env_file=None, data_dir=tmp_path).key("tokens") == key
    placeholder = Settings(_env_file=None, data_dir=tmp_path, secret_key="dev-secret-not-for-production")
    assert placeholder.key("tokens") == key  # the published placeholder is never used to sign
    assert Settings(_env_file=None, data_dir=tmp_path / "other").key("tokens") != key


def test_rate_limits_must_be_readable():
    with pytest.raises(ValidationError, match="LOGIN_LIMIT_PER_PHONE"):
        Settings(login_limit_per_phone="five a minute")
