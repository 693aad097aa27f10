"""Page tests: the shared test client with a cookie jar cleared around each test, and form posts with CSRF."""

from dataclasses import dataclass

import pytest
from litestar.testing import AsyncTestClient

from marketplace import auth
from marketplace.models import User

from ...factories import Factory

CSRF_COOKIE = "mkt_csrf"


@dataclass
class Pages:
    client: AsyncTestClient
    factory: Factory

    def login(self, user: User) -> None:
        self.client.cookies.set(auth.SESSION_COOKIE, self.factory.token(user))

    def logout(self) -> None:
        self.client.cookies.clear()

    async def get(self, path: str, **kwargs):
        return await self.client.get(path, follow_redirects=False, **kwargs)

    async def token(self) -> str:
        if CSRF_COOKIE not in self.client.cookies:
            await self.client.get("/login")
        return self.client.cookies[CSRF_COOKIE]

    async def post(self, path: str, data: dict | None = None, csrf: bool = True):
        form = dict(data or {})
        if csrf:
            form["_csrf_token"] = await self.token()
        return await self.client.post(path, data=form, follow_redirects=False)

    async def post_files(self, path: str, files: dict, data: dict | None = None):
        """A multipart form (a picture upload), with its CSRF token."""
        form = dict(data or {}) | {"_csrf_token": await self.token()}
        return await self.client.post(path, data=form, files=files, follow_redirects=False)


@pytest.fixture
async def pages(client, factory):
    client.cookies.clear()
    yield Pages(client, factory)
    client.cookies.clear()
