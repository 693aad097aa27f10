"""A fresh instance without SECRET_KEY signs with a secret of its own, never the published placeholder."""

import time

import jwt
import pytest
from litestar.testing import AsyncTestClient

from marketplace import auth, keys
from marketplace.app import create_app

PLACEHOLDER = "dev-secret-not-for-production"


@pytest.mark.filterwarnings("ignore:The HMAC key is")  # the forger's short placeholder, on purpose
async def test_a_token_minted_with_the_placeholder_secret_is_refused(settings, factory, tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    fresh = settings.model_copy(update={"secret_key": None, "data_dir": tmp_path, "environment": "development"})
    curator = await factory.user()
    user_id, session_id = auth.read_token(settings, factory.token(curator))
    claims = {"sub": str(user_id), "sid": session_id, "exp": time.time() + 3600}
    forged = [
        jwt.encode(claims, PLACEHOLDER, algorithm="HS256"),
        jwt.encode(claims, keys.derive(PLACEHOLDER, "tokens"), algorithm="HS256"),
    ]
    async with AsyncTestClient(app=create_app(fresh)) as instance:
        for token in forged:
            answer = await instance.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401
        # the same session, signed by the instance's own secret, is let in: the signature made the difference
        own = auth.issue_token(fresh, user_id, session_id)
        assert (await instance.get("/api/v1/me", headers={"Authorization": f"Bearer {own}"})).status_code == 200
    assert (tmp_path / keys.SECRET_FILE).read_text().strip() not in (PLACEHOLDER, "")
