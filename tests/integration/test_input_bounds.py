"""Issue #11's findings 1, 3 and 7 at their cause: the API refuses what it cannot hold, with a 4xx,
the field and a sentence; and the OpenAPI document says what the API answers."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role

from ..codes import register

FAR = "9999-12-31T17:00:00+00:00"


def _fields(response) -> list[str]:
    """The fields a refusal names: Litestar's validation list, or our {"field": …}."""
    extra = response.json().get("extra")
    return [item["key"] for item in extra] if isinstance(extra, list) else [extra["field"]]


def _messages(response) -> list[str]:
    extra = response.json().get("extra")
    return [item["message"] for item in extra] if isinstance(extra, list) else [response.json()["detail"]]


async def test_a_session_in_year_9999_is_refused_with_its_field(client, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category())
    far = {"starts_at": FAR, "ends_at": "9999-12-31T18:00:00+00:00", "capacity": 3}
    added = await client.post(
        f"/api/v1/listings/{listing.id}/sessions", json={"sessions": [far]}, headers=factory.headers(provider)
    )
    assert added.status_code == 400
    assert "sessions.0.starts_at" in _fields(added)
    assert any("Please choose a time before" in m for m in _messages(added))
    created = await client.post(
        "/api/v1/listings",
        json={
            "title": "书法培训",
            "category_id": listing.category_id,
            "shape": "group",
            "mode": "online",
            "sessions": [far],
        },
        headers=factory.headers(provider),
    )
    assert created.status_code == 400 and "sessions.0.starts_at" in _fields(created)
    # two years ahead is the horizon: just inside is fine
    soon = datetime.now(UTC) + timedelta(days=700)
    inside = {"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=1)).isoformat(), "capacity": 3}
    ok = await client.post(
        f"/api/v1/listings/{listing.id}/sessions", json={"sessions": [inside]}, headers=factory.headers(provider)
    )
    assert ok.status_code == 200, ok.text


async def test_an_arrangement_in_year_9999_is_refused(client, factory):
    provider = await factory.user(Role.provider)
    member = await factory.user()
    listing = await factory.listing(provider, await factory.category(), shape="on_request")
    order = await factory.order_in_state(member, listing, "accepted")
    h = factory.headers(provider)
    for starts_at in ("9999-12-31T23:00:00Z", "0001-01-01T00:00:00+08:00", "2026-12-01T10:00:00"):
        refused = await client.post(f"/api/v1/orders/{order.id}/arrange", json={"starts_at": starts_at}, headers=h)
        assert refused.status_code == 400, (starts_at, refused.text)
        assert _fields(refused) == ["starts_at"]
    agreed = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    ok = await client.post(f"/api/v1/orders/{order.id}/arrange", json={"starts_at": agreed}, headers=h)
    assert ok.status_code == 200 and ok.json()["arrangement"]["starts_at"]


async def test_preferred_times_lie_within_the_needs_life(client, factory):
    member = await factory.user()
    category = await factory.category("心理咨询")
    h = factory.headers(member)
    for start in (FAR, "2031-03-01T11:00:00+00:00", (datetime.now(UTC) - timedelta(days=3)).isoformat()):
        start_at = datetime.fromisoformat(start)
        window = {"starts_at": start, "ends_at": (start_at + timedelta(minutes=30)).isoformat()}
        refused = await client.post(
            "/api/v1/orders",
            json={"category_id": category.id, "title": "想聊聊工作压力", "preferred_times": [window]},
            headers=h,
        )
        assert refused.status_code == 400, start
        assert "preferred_times.0.starts_at" in _fields(refused)
    soon = datetime.now(UTC) + timedelta(days=2)
    window = {"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=1)).isoformat()}
    placed = await client.post(
        "/api/v1/orders",
        json={"category_id": category.id, "title": "想聊聊工作压力", "preferred_times": [window]},
        headers=h,
    )
    assert placed.status_code == 201, placed.text


async def test_nul_in_a_query_or_a_text_field_is_a_400_with_the_field(client, factory):
    listed = await client.get("/api/v1/listings", params={"q": "书\x00法"})
    assert listed.status_code == 400 and _fields(listed) == ["q"]
    curator = await factory.user(Role.curator)
    users = await client.get("/api/v1/admin/users", params={"q": "\x00"}, headers=factory.headers(curator))
    assert users.status_code == 400 and _fields(users) == ["q"]
    member = await factory.user()
    category = await factory.category()
    need = await client.post(
        "/api/v1/orders",
        json={"category_id": category.id, "title": "想学\x00书法", "description": "周末\x00"},
        headers=factory.headers(member),
    )
    assert need.status_code == 400
    assert set(_fields(need)) == {"title", "description"}
    assert all("control characters" in m for m in _messages(need))
    named = await client.put("/api/v1/me", json={"name": "张\x00三"}, headers=factory.headers(member))
    assert named.status_code == 400 and _fields(named) == ["name"]


async def test_a_body_of_invalid_utf8_is_a_400_with_a_sentence(client, factory):
    for path in ("/api/v1/auth/login", "/api/v1/orders"):
        answer = await client.post(path, content=b'{"phone": "\xff\xfe"}', headers={"content-type": "application/json"})
        assert answer.status_code == 400, path
        assert answer.json()["detail"] == "The request body is not valid UTF-8 text."
        assert answer.json()["extra"]["field"] == "body"


async def test_json_nested_10000_deep_is_refused_also_on_the_anonymous_login(client, factory):
    deep = b"[" * 10_000 + b"]" * 10_000
    answer = await client.post("/api/v1/auth/login", content=deep, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "deeper than 32" in answer.json()["detail"]
    nested = {"phone": "13800000000", "password": "x"}
    for _ in range(40):
        nested = {"a": nested}
    assert (await client.post("/api/v1/auth/login", json=nested)).status_code == 400


async def test_a_body_over_the_limit_is_a_413_with_a_sentence(client, factory):
    member = await factory.user()
    huge = {"category_id": 1, "title": "x" * 1_100_000}
    answer = await client.post("/api/v1/orders", json=huge, headers=factory.headers(member))
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith("The request body is too large")


async def test_names_made_only_of_invisible_characters_are_refused(client, factory, settings):
    for name in ("\u200b", "\u200b\u200c\u200d", " \u3000\ufeff ", "\u3164"):
        answer = await client.post(
            "/api/v1/auth/register",
            json={"phone": "13812340000", "name": name, "password": "long-enough-1", "code": "123456"},
        )
        assert answer.status_code == 400, name
        assert _fields(answer) == ["name"] and _messages(answer) == ["Please write something visible here."]
    provider = await factory.user(Role.provider)
    category = await factory.category()
    listing = await client.post(
        "/api/v1/listings",
        json={"title": "\u200b\u200b\u200b", "category_id": category.id, "shape": "on_request", "mode": "online"},
        headers=factory.headers(provider),
    )
    assert listing.status_code == 400 and _fields(listing) == ["title"]
    curator = await factory.user(Role.curator)
    batch = await client.post("/api/v1/admin/batches", json={"name": "\u2060"}, headers=factory.headers(curator))
    assert batch.status_code == 400 and _fields(batch) == ["name"]
    kept = await register(client, settings, "13812340000", "\u200b张三\u200b", "long-enough-1")
    assert kept.status_code == 201 and kept.json()["name"] == "张三"


async def test_a_wrong_method_is_a_405_with_allow(client):
    answer = await client.delete("/api/v1/me")
    assert answer.status_code == 405
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "PUT"}
    assert answer.json()["detail"]
    # OPTIONS names every method of the path, not only the first handler's
    options = await client.options("/api/v1/admin/categories")
    assert set(options.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST", "OPTIONS"}


async def test_the_openapi_document_lists_refusals_rules_and_login(client):
    document = (await client.get("/schema/openapi.json")).json()
    arrange = document["paths"]["/api/v1/orders/{order_id}/arrange"]["post"]
    assert {"400", "401", "403", "404", "409", "413", "429", "503"} <= set(arrange["responses"])
    assert arrange["security"] == [{"BearerToken": []}]
    error = arrange["responses"]["409"]["content"]["application/json"]["schema"]
    assert set(error["required"]) == {"status_code", "detail"}
    browse = document["paths"]["/api/v1/listings"]["get"]
    assert "security" not in browse and {"429", "503"} <= set(browse["responses"])
    q = next(p for p in browse["parameters"] if p["name"] == "q")
    assert q["schema"]["maxLength"] == 100 and q["schema"]["pattern"].startswith("^[^\\x00")
    schemas = document["components"]["schemas"]
    register = schemas["RegisterIn"]["properties"]
    assert register["phone"]["pattern"] and register["name"]["minLength"] == 1 and register["name"]["maxLength"] == 60
    assert schemas["SessionIn"]["properties"]["capacity"]["maximum"] == 10_000
    assert "two years" in schemas["SessionIn"]["properties"]["starts_at"]["description"]
    optional = schemas["CategoryPatch"]["properties"]["name_en"]["anyOf"][0]  # rules of optional fields too
    assert optional["minLength"] == 1 and optional["pattern"]
    assert schemas["ProviderProfileIn"]["properties"]["category_ids"]["items"]["minimum"] == 1
    cancel = document["paths"]["/api/v1/orders/{order_id}/cancel"]["post"]["requestBody"]
    assert cancel["required"] is False  # the reason may be left out
    assert "description" not in schemas["SessionOut"]["properties"]["starts_at"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"429", "503"} <= set(operation["responses"]), (method, path)


async def test_a_listing_with_a_year_9999_session_from_before_the_bounds_is_not_published(client, factory):
    provider = await factory.user(Role.provider)
    curator = await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), state="submitted")
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.text("UPDATE listing_sessions SET starts_at = '9999-12-31 17:00+00', ends_at = '9999-12-31 18:00+00'")
        )
    h = factory.headers(curator)
    batch = (await client.post("/api/v1/admin/batches", json={"name": "第一批"}, headers=h)).json()
    approved = await client.post(
        f"/api/v1/admin/listings/{listing.id}/approve", json={"batch_id": batch["id"]}, headers=h
    )
    assert approved.status_code == 409 and approved.json()["extra"]["field"] == "sessions"
    assert "two years ahead" in approved.json()["detail"]
    shown = await client.get(f"/api/v1/listings/{listing.id}", headers=factory.headers(provider))
    assert shown.json()["state"] == "submitted"
