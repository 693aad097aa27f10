import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Market, User

from ..codes import ask_code, register
from ..factories import Factory


async def test_register_login_me(client, settings):
    code = await ask_code(client, settings, "13812345678", "register")
    created = await client.post(
        "/api/v1/auth/register",
        json={"phone": "+86 138-1234-5678", "name": "小李", "password": "longenough", "code": code},
    )
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["member"]
    assert created.json()["phone"] == "138****5678"

    login = await client.post("/api/v1/auth/login", json={"phone": "13812345678", "password": "longenough"})
    assert login.status_code == 200
    token = login.json()["access_token"]
    assert login.json()["token_type"] == "bearer"

    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["name"] == "小李"
    assert me.json()["phone"] == "138****5678"


async def test_bad_phone_and_short_password_name_the_field(client):
    bad_phone = await client.post(
        "/api/v1/auth/register", json={"phone": "12345", "name": "a", "password": "longenough", "code": "123456"}
    )
    assert bad_phone.status_code == 400
    assert [e["key"] for e in bad_phone.json()["extra"]] == ["phone"]
    assert "mobile number" in bad_phone.json()["extra"][0]["message"]

    short = await client.post(
        "/api/v1/auth/register", json={"phone": "13812345678", "name": "a", "password": "short", "code": "123456"}
    )
    assert short.status_code == 400
    assert [e["key"] for e in short.json()["extra"]] == ["password"]


async def test_duplicate_phone_is_told_only_after_the_code_proves_it(client, settings):
    assert (await register(client, settings, "13812345678", "小李", "longenough")).status_code == 201
    body = {"phone": "13812345678", "name": "小李", "password": "longenough"}
    unproven = await client.post("/api/v1/auth/register", json={**body, "code": "000000"})
    assert unproven.status_code == 400 and unproven.json()["extra"]["field"] == "code"  # nothing said of the account
    again = await register(client, settings, "13812345678", "小李", "longenough")
    assert again.status_code == 409
    assert again.json()["extra"]["field"] == "phone"
    assert "already has an account" in again.json()["detail"]


async def test_wrong_password_is_401_without_saying_which_part(client, factory):
    user = await factory.user()
    wrong = await client.post("/api/v1/auth/login", json={"phone": user.phone, "password": "not-it-at-all"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "The phone number or password is wrong."


async def test_not_logged_in_and_bad_token(client):
    assert (await client.get("/api/v1/me")).status_code == 401
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401
    assert bad.json()["detail"] == "Please log in first."


async def test_member_cannot_reach_curator_endpoints(client, factory):
    member = await factory.user()
    other = await factory.user()
    denied = await client.put(
        f"/api/v1/admin/users/{other.id}/roles", json={"roles": ["curator"]}, headers=factory.headers(member)
    )
    assert denied.status_code == 403
    assert "curator" in denied.json()["detail"]
    listing = await client.get("/api/v1/admin/users", headers=factory.headers(member))
    assert listing.status_code == 403


async def test_curator_grants_roles_and_it_is_audited(client, factory, engine):
    curator = await factory.user(Role.curator)
    member = await factory.user()
    granted = await client.put(
        f"/api/v1/admin/users/{member.id}/roles", json={"roles": ["provider"]}, headers=factory.headers(curator)
    )
    assert granted.status_code == 200
    assert granted.json()["roles"] == ["member", "provider"]
    # the role change ended the member's sessions; logged in again, the new provider can edit a profile
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 401
    again = {"Authorization": f"Bearer {await factory.log_in(member)}"}
    profile = await client.put("/api/v1/provider/profile", json={"bio": "hi"}, headers=again)
    assert profile.status_code == 200
    # the curator's own session goes on
    assert (await client.get("/api/v1/me", headers=factory.headers(curator))).status_code == 200
    import sqlalchemy as sa

    async with engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT action, target_id FROM audit_events"))).all()
    assert rows == [("set_roles", member.id)]


async def test_unknown_role_and_unknown_user(client, factory):
    curator = await factory.user(Role.curator)
    unknown_role = await client.put(
        f"/api/v1/admin/users/{curator.id}/roles", json={"roles": ["king"]}, headers=factory.headers(curator)
    )
    assert unknown_role.status_code == 400
    missing = await client.put(
        "/api/v1/admin/users/999999/roles", json={"roles": ["provider"]}, headers=factory.headers(curator)
    )
    assert missing.status_code == 404
    huge = await client.put(
        "/api/v1/admin/users/99999999999/roles", json={"roles": ["provider"]}, headers=factory.headers(curator)
    )
    assert huge.status_code == 400


async def test_provider_profile_and_public_page(client, factory):
    category = await factory.category("心理咨询")
    provider = await factory.user(Role.provider, name="陈老师")
    body = {
        "bio": "国家二级心理咨询师",
        "honours": ["深圳市劳动模范"],
        "skills": ["心理咨询", "情绪疏导"],
        "category_ids": [category.id],
        "area": "南山街道",
        "online": True,
        "availability": [{"weekday": 2, "start": "19:00", "end": "21:00"}],
    }
    saved = await client.put("/api/v1/provider/profile", json=body, headers=factory.headers(provider))
    assert saved.status_code == 200, saved.text
    public = await client.get(f"/api/v1/providers/{provider.id}")
    assert public.status_code == 200
    data = public.json()
    assert data["name"] == "陈老师"
    assert data["honours"] == ["深圳市劳动模范"]
    assert [c["name_zh"] for c in data["categories"]] == ["心理咨询"]
    assert "phone" not in data

    unknown_category = await client.put(
        "/api/v1/provider/profile", json={**body, "category_ids": [987654]}, headers=factory.headers(provider)
    )
    assert unknown_category.status_code == 400
    assert unknown_category.json()["extra"]["field"] == "category_ids"
    bad_time = await client.put(
        "/api/v1/provider/profile",
        json={**body, "availability": [{"weekday": 9, "start": "25:00", "end": "21:00"}]},
        headers=factory.headers(provider),
    )
    assert bad_time.status_code == 400


async def test_member_cannot_edit_a_provider_profile(client, factory):
    member = await factory.user()
    refused = await client.put("/api/v1/provider/profile", json={"bio": "x"}, headers=factory.headers(member))
    assert refused.status_code == 403
    assert (await client.get(f"/api/v1/providers/{member.id}")).status_code == 404


async def test_member_declares_groups(client, factory):
    member = await factory.user()
    updated = await client.put("/api/v1/me", json={"groups": ["new_employment"]}, headers=factory.headers(member))
    assert updated.status_code == 200
    assert updated.json()["claimed_groups"] == ["new_employment"]  # a claim, for a curator to confirm
    bad = await client.put("/api/v1/me", json={"groups": ["aliens"]}, headers=factory.headers(member))
    assert bad.status_code == 400


async def test_a_profile_update_changes_only_the_fields_sent(client, factory):
    category = await factory.category("心理咨询")
    provider = await factory.provider(
        [category], capacity=8, availability=[{"weekday": 1, "start": "19:00", "end": "21:00"}]
    )
    p = factory.headers(provider)
    # the contract's fields alone (PUT) keep capacity and availability
    contract = {
        "bio": "心理咨询师",
        "honours": [],
        "skills": ["情绪疏导"],
        "category_ids": [category.id],
        "area": "粤海",
        "online": True,
    }
    put = await client.put("/api/v1/provider/profile", json=contract, headers=p)
    assert put.status_code == 200, put.text
    assert put.json()["capacity"] == 8
    assert put.json()["availability"] == [{"weekday": 1, "start": "19:00", "end": "21:00"}]
    # PATCH means the same: one field changes, the categories and the rest stay
    patched = await client.patch("/api/v1/provider/profile", json={"capacity": 3}, headers=p)
    assert patched.status_code == 200, patched.text
    kept = (await client.get(f"/api/v1/providers/{provider.id}")).json()
    assert kept["capacity"] == 3 and kept["bio"] == "心理咨询师" and kept["online"] is True
    assert [c["id"] for c in kept["categories"]] == [category.id] and len(kept["availability"]) == 1
    windows = [{"weekday": 5, "start": "09:00", "end": "24:00"}]
    assert (
        await client.patch("/api/v1/provider/profile", json={"availability": windows}, headers=p)
    ).status_code == 200
    assert (await client.get(f"/api/v1/providers/{provider.id}")).json()["availability"] == windows
    # refused: null, an end before the start, a capacity out of range; nothing of it is written
    for body in ({"bio": None}, {"availability": [{"weekday": 2, "start": "21:00", "end": "19:00"}]}, {"capacity": 0}):
        refused = await client.patch("/api/v1/provider/profile", json=body, headers=p)
        assert refused.status_code == 400, body
        assert refused.json()["extra"], body
    assert (await client.get(f"/api/v1/providers/{provider.id}")).json()["availability"] == windows


async def test_staff_find_a_phone_by_the_whole_number_only(client, factory):
    """Issue #12 item 5: a part of a number (say the four digits a mask hides) finds nobody; the whole
    number, however written, finds its owner; names are still found by any part."""
    curator = await factory.user(Role.curator)
    someone = await factory.user(name="孙师傅")
    h = factory.headers(curator)

    async def found(q: str) -> list[int]:
        answer = await client.get("/api/v1/admin/users", params={"q": q}, headers=h)
        assert answer.status_code == 200, answer.text
        return [u["id"] for u in answer.json()["items"]]

    hidden = someone.phone[3:7]
    assert await found(hidden) == [] and await found(someone.phone[:7]) == []
    assert await found(someone.phone) == [someone.id]
    spaced = f"+86 {someone.phone[:3]} {someone.phone[3:7]} {someone.phone[7:]}"
    assert await found(spaced) == [someone.id]
    assert await found("孙") == [someone.id]


async def test_full_width_digits_make_no_look_alike_account(client, factory):
    member = await factory.user()
    look_alike = member.phone[:2] + "".join(chr(ord(c) + 0xFEE0) for c in member.phone[2:])  # １２３…
    answer = await client.post(
        "/api/v1/auth/register",
        json={"phone": look_alike, "name": "冒名", "password": "Nanshan-2026-ok", "code": "123456"},
    )
    assert answer.status_code == 400 and [e["key"] for e in answer.json()["extra"]] == ["phone"], answer.text
    async with factory.sessionmaker() as db:
        names = (await db.execute(sa.select(User.name).where(User.name == "冒名"))).scalars().all()
    assert names == []


async def test_a_claimed_group_unlocks_nothing_until_a_curator_confirms_it(client, factory):
    """Issue #12 item 8: saying "I am a delivery rider" does not open the riders' services by itself."""
    provider, curator = await factory.user(Role.provider), await factory.user(Role.curator)
    riders_only = await factory.listing(
        provider, await factory.category(), target_groups=["new_employment"], auto_accept=True
    )
    member = await factory.user()
    m = factory.headers(member)
    said = await client.put("/api/v1/me", json={"groups": ["new_employment"]}, headers=m)
    assert said.status_code == 200, said.text
    assert said.json()["groups"] == [] and said.json()["claimed_groups"] == ["new_employment"]
    refused = await client.post("/api/v1/orders", json={"listing_id": riders_only.id}, headers=m)
    assert refused.status_code == 403

    listed = await client.get("/api/v1/admin/users", params={"q": member.phone}, headers=factory.headers(curator))
    assert listed.json()["items"][0]["claimed_groups"] == ["new_employment"]
    assert (
        await client.put(f"/api/v1/admin/users/{member.id}/groups", json={"groups": ["x"]}, headers=m)
    ).status_code == 403  # members do not confirm themselves
    confirmed = await client.put(
        f"/api/v1/admin/users/{member.id}/groups", json={"groups": ["new_employment"]}, headers=factory.headers(curator)
    )
    assert confirmed.status_code == 200 and confirmed.json()["groups"] == ["new_employment"]
    assert confirmed.json()["claimed_groups"] == []
    ordered = await client.post("/api/v1/orders", json={"listing_id": riders_only.id}, headers=m)
    assert ordered.status_code == 201, ordered.text
    left = await client.put("/api/v1/me", json={"groups": []}, headers=m)
    assert left.json()["groups"] == [] and left.json()["claimed_groups"] == []  # leaving needs nobody


async def test_members_order_in_their_own_market_only(client, factory):
    async with factory.sessionmaker() as db, db.begin():
        other = Market(slug="futian", name_zh="福田区总工会", name_en="Futian")
        db.add(other)
    elsewhere = Factory(factory.sessionmaker, factory.settings, other.id)
    listing = await elsewhere.listing(await elsewhere.user(Role.provider), await elsewhere.category(), auto_accept=True)
    member = await factory.user()
    seen = await client.get(f"/api/v1/listings/{listing.id}")
    assert seen.status_code in (200, 404)  # browsing other menus is the menu's business; ordering is not
    refused = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    assert refused.status_code == 403 and "another union" in refused.json()["detail"]
