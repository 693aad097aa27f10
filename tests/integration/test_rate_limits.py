"""Brute force: limits per phone and address shared through Redis, a notice to the owner, answers that do
not tell who has an account, and a password policy."""

import asyncio
import statistics
import time

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient

from marketplace import auth
from marketplace.app import create_app
from marketplace.domain.roles import Role
from marketplace.models import User
from marketplace.standalone import create_account

from ..codes import register
from ..factories import PASSWORD


async def test_fifty_rapid_wrong_logins_on_one_phone_check_only_the_allowed_few(client, factory, engine, settings):
    member = await factory.user()
    wrong = {"phone": member.phone, "password": "not-the-password"}
    answers = await asyncio.gather(*(client.post("/api/v1/auth/login", json=wrong) for _ in range(50)))
    codes = [a.status_code for a in answers]
    allowed = int(settings.login_limit_per_phone.split()[0])
    assert codes.count(401) == allowed  # checked
    assert codes.count(429) == 50 - allowed  # refused before any password was checked
    refused = next(a for a in answers if a.status_code == 429)
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert refused.json()["detail"] == "Too many login attempts: please wait a while and try again."
    # the right password waits too, and the owner is told once
    right = await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    assert right.status_code == 429
    async with engine.connect() as conn:
        notices = (await conn.execute(sa.text("SELECT user_id FROM notifications WHERE kind = 'login_failures'"))).all()
    assert notices == [(member.id,)]


async def test_one_wrong_login_on_many_phones_is_limited_per_address(client, factory, settings):
    allowed = int(settings.login_limit_per_ip.split()[0])
    codes = []
    for n in range(allowed + 3):
        answer = await client.post("/api/v1/auth/login", json={"phone": f"1370000{n:04d}", "password": "guess-1234"})
        codes.append(answer.status_code)
    assert codes[:allowed] == [401] * allowed
    assert codes[allowed:] == [429] * 3


async def test_a_good_login_clears_the_phone_count(client, factory):
    member = await factory.user()
    for _ in range(4):
        await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": "wrong-one-1"})
    assert (
        await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": PASSWORD})
    ).status_code == 200
    for _ in range(4):
        answer = await client.post("/api/v1/auth/login", json={"phone": member.phone, "password": "wrong-one-1"})
        assert answer.status_code == 401


async def test_registrations_are_limited_per_address(client, settings):
    allowed = int(settings.register_limit_per_ip.split()[0])
    codes = []
    for n in range(allowed + 2):
        codes.append((await register(client, settings, f"1360000{n:04d}", f"新会员{n}", "calligraphy-wed")).status_code)
    assert codes == [201] * allowed + [429, 429]


async def test_registration_refuses_common_passwords_and_the_phone_number(client):
    for password in ("12345678", "password1", "13912345678"):
        answer = await client.post(
            "/api/v1/auth/register",
            json={"phone": "13912345678", "name": "小王", "password": password, "code": "123456"},
        )
        assert answer.status_code == 400, password
        assert answer.json()["extra"]["field"] == "password"


async def test_orders_are_limited_per_member(client, factory, settings):
    category = await factory.category()
    provider = await factory.provider([category])
    listing = await factory.listing(provider, category, auto_accept=True)
    member = await factory.user()
    allowed = int(settings.order_limit_per_member.split()[0])
    codes = []
    for _ in range(allowed + 1):
        answer = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
        codes.append(answer.status_code)
    assert codes[0] == 201 and set(codes[1:allowed]) == {409}  # the same session again: a conflict, counted
    assert codes[allowed] == 429
    # another member is not held up
    other = await factory.user()
    assert (
        await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(other))
    ).status_code == 201


async def test_unknown_and_known_phones_take_the_same_time(settings, factory):
    """With production-like hashing, a wrong password for an existing account and any password for a phone
    with no account cost the same: the medians agree loosely (the machine may be busy)."""
    costly = settings.model_copy(
        update={"password_time_cost": 2, "password_memory_kib": 32768, "login_limit_per_ip": "1000 per minute"}
    )
    password_hash = auth.hash_password(costly, PASSWORD)
    known = [f"1350099{n:04d}" for n in range(12)]
    async with factory.sessionmaker() as db, db.begin():
        db.add_all(
            User(market_id=factory.market_id, phone=p, name="会员", password_hash=password_hash, roles=["member"])
            for p in known
        )
    unknown = [f"1350098{n:04d}" for n in range(12)]

    async with AsyncTestClient(app=create_app(costly)) as timed:

        async def took(phone: str) -> float:
            start = time.perf_counter()
            answer = await timed.post("/api/v1/auth/login", json={"phone": phone, "password": "wrong-password"})
            assert answer.status_code == 401
            assert answer.json()["detail"] == "The phone number or password is wrong."
            return time.perf_counter() - start

        await took("13500970000")  # warm up: the dummy hash is made once per process
        known_times, unknown_times = [], []
        for k, u in zip(known, unknown, strict=True):  # interleaved, so load drifts hit both alike
            known_times.append(await took(k))
            unknown_times.append(await took(u))
    ratio = statistics.median(unknown_times) / statistics.median(known_times)
    assert 0.6 < ratio < 1.6, (ratio, known_times, unknown_times)


async def test_create_user_refuses_a_common_password_with_a_sentence(settings):
    with pytest.raises(ValueError, match="password: This password is one of the most common ones"):
        await create_account(settings, "13712345678", "管理员", "password123", [Role.curator])


async def test_fifty_rapid_wrong_logins_answer_alike_for_a_known_and_an_unknown_phone(settings, factory):
    """The issue's case as an attacker runs it: 50 wrong logins back to back on a phone with an account and
    on one without, interleaved. Each is checked the allowed few times, then refused with 429 — the same
    answers, the same headers, and (with production-like hashing) the same time, within the noise."""
    costly = settings.model_copy(
        update={"password_time_cost": 2, "password_memory_kib": 32768, "login_limit_per_ip": "1000 per minute"}
    )
    known = "13500990001"
    async with factory.sessionmaker() as db, db.begin():
        db.add(
            User(
                market_id=factory.market_id,
                phone=known,
                name="会员",
                password_hash=auth.hash_password(costly, PASSWORD),
                roles=["member"],
            )
        )
    unknown = "13500980001"
    allowed = int(costly.login_limit_per_phone.split()[0])
    seen: dict[str, list[tuple[int, str, float]]] = {known: [], unknown: []}
    async with AsyncTestClient(app=create_app(costly)) as timed:
        await timed.post("/api/v1/auth/login", json={"phone": "13500970001", "password": "warm-up-1"})
        for _ in range(50):
            for phone in (known, unknown):
                start = time.perf_counter()
                answer = await timed.post("/api/v1/auth/login", json={"phone": phone, "password": "wrong-password"})
                took = time.perf_counter() - start
                seen[phone].append((answer.status_code, answer.json()["detail"], took))
    for phone in (known, unknown):
        codes = [code for code, _, _ in seen[phone]]
        assert codes == [401] * allowed + [429] * (50 - allowed), phone
    assert [(c, d) for c, d, _ in seen[known]] == [(c, d) for c, d, _ in seen[unknown]]

    def median(phone: str, checked: bool) -> float:
        return statistics.median(t for c, _, t in seen[phone] if (c == 401) == checked)

    assert 0.6 < median(unknown, True) / median(known, True) < 1.6, seen
    # refused before any hash: far quicker than a check, for both alike
    for phone in (known, unknown):
        assert median(phone, False) < median(phone, True) / 2, seen[phone]


async def test_the_counts_are_shared_by_every_web_process(settings, factory):
    """Two web processes (two apps, each with its own Redis connection and limiter) count one phone's
    attempts together: spreading them over processes gains an attacker nothing."""
    member = await factory.user()
    allowed = int(settings.login_limit_per_phone.split()[0])
    wrong = {"phone": member.phone, "password": "not-the-password"}
    codes = []
    async with AsyncTestClient(app=create_app(settings)) as one, AsyncTestClient(app=create_app(settings)) as two:
        for n in range(allowed + 4):
            codes.append((await (one if n % 2 else two).post("/api/v1/auth/login", json=wrong)).status_code)
    assert codes == [401] * allowed + [429] * 4
