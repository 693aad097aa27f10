"""Sessions you control: logout, my sessions, log out everywhere, password change, deactivation."""

from datetime import timedelta

import sqlalchemy as sa

from marketplace import auth
from marketplace.domain.roles import Role
from marketplace.models import LoginSession
from marketplace.models.base import utcnow
from marketplace.services import login_sessions

from ..factories import PASSWORD


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _login(client, phone: str, password: str = PASSWORD, agent: str = "pytest") -> str:
    answer = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": password}, headers={"User-Agent": agent}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


async def test_logout_ends_the_token_for_the_api_and_the_pages(client, factory):
    member = await factory.user()
    token = await _login(client, member.phone)
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200

    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204

    refused = await client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Please log in first."
    client.cookies.set(auth.SESSION_COOKIE, token)
    try:
        page = await client.get("/me", follow_redirects=False)
    finally:
        client.cookies.clear()
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # other sessions of the same person go on
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 200


async def test_my_sessions_one_device_out_and_everywhere(client, factory):
    member = await factory.user()
    phone_token = await _login(client, member.phone, agent="Phone browser")
    laptop_token = await _login(client, member.phone, agent="Laptop browser")

    listed = await client.get("/api/v1/me/sessions", headers=bearer(phone_token))
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert listed.json()["total"] == 3  # the factory's login, the phone and the laptop
    assert [i["user_agent"] for i in items if i["current"]] == ["Phone browser"]
    laptop = next(i for i in items if i["user_agent"] == "Laptop browser")

    assert (await client.delete(f"/api/v1/me/sessions/{laptop['id']}", headers=bearer(phone_token))).status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(laptop_token))).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(phone_token))).status_code == 200

    # someone else's session is not found, and not ended
    other = await factory.user()
    own = await client.get("/api/v1/me/sessions", headers=factory.headers(other))
    theirs = own.json()["items"][0]["id"]
    assert (await client.delete(f"/api/v1/me/sessions/{theirs}", headers=bearer(phone_token))).status_code == 404
    assert (await client.get("/api/v1/me", headers=factory.headers(other))).status_code == 200

    assert (await client.post("/api/v1/me/sessions/logout-all", headers=bearer(phone_token))).status_code == 204
    for token in (phone_token, factory.token(member)):
        assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401


async def test_password_change_checks_the_old_one_and_ends_the_other_sessions(client, factory):
    member = await factory.user()
    here = await _login(client, member.phone)
    wrong = await client.post(
        "/api/v1/me/password", json={"old_password": "not-it", "new_password": "a-new-long-one"}, headers=bearer(here)
    )
    assert wrong.status_code == 400 and wrong.json()["extra"]["field"] == "old_password"
    common = await client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "12345678"}, headers=bearer(here)
    )
    assert common.status_code == 400 and common.json()["extra"]["field"] == "new_password"

    changed = await client.post(
        "/api/v1/me/password", json={"old_password": PASSWORD, "new_password": "a-new-long-one"}, headers=bearer(here)
    )
    assert changed.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(here))).status_code == 200  # this session goes on
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 401  # the others end
    old = await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    assert old.status_code == 401
    await _login(client, member.phone, "a-new-long-one")


async def test_staff_deactivate_an_account_and_its_tokens_stop(client, factory, engine):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    member = await factory.user()
    token = await _login(client, member.phone)

    off = await client.post(f"/api/v1/admin/users/{member.id}/deactivate", headers=factory.headers(operator))
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    assert login.status_code == 401
    assert login.json()["detail"] == "The phone number or password is wrong."  # the same answer as a wrong password

    on = await client.post(f"/api/v1/admin/users/{member.id}/activate", headers=factory.headers(curator))
    assert on.status_code == 200 and on.json()["is_active"] is True
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401  # ended sessions stay ended
    await _login(client, member.phone)

    async with engine.connect() as conn:
        actions = (await conn.execute(sa.text("SELECT action FROM audit_events ORDER BY id"))).scalars().all()
    assert actions == ["deactivate", "activate"]


async def test_who_may_deactivate_whom(client, factory):
    curator, operator = await factory.user(Role.curator), await factory.user(Role.operator)
    member, other = await factory.user(), await factory.user()
    path = "/api/v1/admin/users/{}/deactivate"
    by_member = await client.post(path.format(other.id), headers=factory.headers(member))
    assert by_member.status_code == 403
    by_operator = await client.post(path.format(curator.id), headers=factory.headers(operator))
    assert by_operator.status_code == 403
    assert "curator" in by_operator.json()["detail"]
    self_off = await client.post(path.format(curator.id), headers=factory.headers(curator))
    assert self_off.status_code == 400
    assert (await client.post(path.format(999999), headers=factory.headers(curator))).status_code == 404
    assert (await client.get("/api/v1/me", headers=factory.headers(curator))).status_code == 200


async def test_sessions_are_listed_a_page_at_a_time_and_ended_ones_purged(client, factory):
    member = await factory.user()
    for _ in range(3):
        await factory.log_in(member)
    page = await client.get("/api/v1/me/sessions?limit=2&offset=1", headers=factory.headers(member))
    assert page.status_code == 200
    assert page.json()["total"] == 4 and len(page.json()["items"]) == 2
    assert (await client.get("/api/v1/me/sessions?limit=0", headers=factory.headers(member))).status_code == 400

    old = await factory.log_in(member)
    async with factory.sessionmaker() as db, db.begin():
        await login_sessions.revoke_all(db, member.id, keep=auth.read_token(factory.settings, factory.token(member))[1])
        await db.execute(
            sa.update(LoginSession)
            .values(revoked_at=utcnow() - timedelta(days=31))
            .where(LoginSession.revoked_at.is_not(None), LoginSession.user_id == member.id)
        )
    async with factory.sessionmaker() as db, db.begin():
        assert await login_sessions.purge_ended(db, timedelta(days=30)) == 4
        assert await login_sessions.purge_ended(db, timedelta(days=30)) == 0
    assert (await client.get("/api/v1/me", headers=bearer(old))).status_code == 401
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 200
