"""The embedded Redis asks for a password, generated on first start and kept in the data folder."""

import asyncio

import pytest
import redis

from marketplace import embedded


async def test_embedded_redis_refuses_a_client_without_the_password(tmp_path):
    servers = await asyncio.to_thread(embedded.start, tmp_path, False, True)
    try:
        assert redis.Redis.from_url(servers.redis_url).ping()
        port = int(servers.redis_url.rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=port).ping()
        config = tmp_path / "redis" / "redis.conf"
        assert config.stat().st_mode & 0o777 == 0o600
        # a second start of the same folder finds the running server with the same password
        again = await asyncio.to_thread(embedded.start, tmp_path, False, True)
        assert again.redis_url == servers.redis_url
    finally:
        servers.stop()
