"""Hostile input everywhere (issue #11): every API operation and every page form is sent NUL,
control characters, invisible-only text, 100 kB strings, wrong types, times at the edges of
every range and malformed bodies. Nothing answers ≥ 500, and every refusal says why in a
sentence, naming the field when it is about one."""

import json
import re
from datetime import UTC, datetime, timedelta

from marketplace.domain.roles import Role
from marketplace.models import Notification, Review

from .pages.conftest import Pages

NOW = datetime.now(UTC)
HOSTILE_TEXT = [
    "\x00",
    "书\x00法",
    "\x01\x02\x1b[31m\x7f",
    "\u0085\u009f",
    "\u200b",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u3164 \u3000",
    "x" * 100_000,
    "书" * 100_000,
    "a\r\nb",
    "'; DROP TABLE users; --",
    "%00%ff",
]
QUERY_TEXT = [text[:5000] for text in HOSTILE_TEXT]  # a URL is short: 100 kB goes in bodies
WRONG_TYPES = [None, -1, 0, 2**63, 1.5, True, [], {}, [None], {"$gt": ""}, ["x"] * 5]
TIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-08:00",
    (NOW + timedelta(days=2 * 365 + 1)).isoformat(),
    (NOW + timedelta(days=2 * 365 - 1)).isoformat(),
    (NOW - timedelta(days=2 * 365)).isoformat(),
    "2026-12-01T10:00:00",  # naive
    "2026-13-45T99:99:99+00:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
]
MALFORMED_BODIES = [
    b'{"x": "\xff\xfe"}',
    b"\xc3\x28",
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    json.dumps({"items": list(range(150_000))}).encode(),
    b'{"unterminated": "',
    b"\x00\x00\x00",
]


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    for key in ("oneOf", "anyOf"):
        options = [_resolve(document, option) for option in schema.get(key, ())]
        options = [o for o in options if o.get("type") != "null"]
        if options:
            return options[0]
    return schema


def _plausible(document: dict, schema: dict, depth: int = 0):
    """A value that fits the schema's shape (not necessarily accepted): the base a hostile field replaces."""
    schema = _resolve(document, schema)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {name: _plausible(document, sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_plausible(document, schema.get("items", {}), depth + 1)] if depth < 3 else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return (NOW + timedelta(days=3)).isoformat()
    if "phone" in schema.get("description", ""):
        return "13812345678"
    return "书法培训课程"


def _hostile_for(schema: dict) -> list:
    if schema.get("format") == "date-time":
        return [*TIMES, *HOSTILE_TEXT[:3], *WRONG_TYPES[:6]]
    if schema.get("type") == "string":
        return [*HOSTILE_TEXT, *TIMES[:3], *WRONG_TYPES[:6]]
    return WRONG_TYPES


def _problems(response, where) -> list:
    """What is wrong with one answer: a 5xx, or a refusal without a sentence (or without its field)."""
    if response.status_code >= 500:
        return [(where, response.status_code, response.text[:200])]
    if response.status_code < 400 or response.headers.get("content-type", "").startswith("text/html"):
        return []
    body = response.json()
    detail = body.get("detail")
    if not isinstance(detail, str) or len(detail.strip()) < 8:
        return [(where, response.status_code, "no sentence", response.text[:200])]
    extra = body.get("extra")
    if response.status_code in (400, 413) and not extra:
        return [(where, response.status_code, "no field", response.text[:200])]
    if isinstance(extra, list) and not all(item.get("message") for item in extra):
        return [(where, response.status_code, "a field without a sentence", response.text[:200])]
    return []


async def _dataset(factory, client):
    """A small market with one of everything an operation can name by id."""
    category = await factory.category("书法培训", slug="calligraphy")
    everyone = await factory.user(Role.provider, Role.operator, Role.curator, name="全能")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(everyone, category, auto_accept=True, sessions=[(3, 10), (4, 10)])
    on_request = await factory.listing(everyone, category, shape="on_request", title="上门咨询")
    session = (await factory.sessions_of(listing))[0]
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "accepted")
    mine = await factory.order_in_state(everyone, on_request, "accepted")
    async with factory.sessionmaker() as db, db.begin():
        review = Review(
            market_id=factory.market_id,
            order_id=order.id,
            listing_id=listing.id,
            provider_id=everyone.id,
            member_id=member.id,
            stars=4,
            text="好",
        )
        notice = Notification(market_id=factory.market_id, user_id=everyone.id, kind="x", title="t", body="b")
        db.add_all([review, notice])
    ids = {
        "listing_id": listing.id,
        "session_id": session.id,
        "order_id": mine.id,
        "review_id": review.id,
        "category_id": category.id,
        "user_id": provider.id,
        "provider_id": provider.id,
        "notification_id": notice.id,
    }
    return everyone, ids


async def test_hostile_input_to_every_api_operation(client, factory):
    everyone, ids = await _dataset(factory, client)
    headers = factory.headers(everyone)
    document = (await client.get("/schema/openapi.json")).json()
    problems: list = []
    calls = 0
    for path, operations in document["paths"].items():
        url = re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
        for method, operation in operations.items():
            queries = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            for parameter in queries:
                for value in [*QUERY_TEXT, *TIMES[:2], "-1", "1e309", "[]"]:
                    answer = await client.request(
                        method.upper(), url, params={parameter["name"]: value}, headers=headers
                    )
                    calls += 1
                    problems += _problems(answer, (method, path, parameter["name"], value[:20]))
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method == "get" or content is None:
                continue
            schema = _resolve(document, content["schema"])
            base = _plausible(document, schema)
            for body in MALFORMED_BODIES:
                answer = await client.request(
                    method.upper(), url, content=body, headers={**headers, "content-type": "application/json"}
                )
                calls += 1
                problems += _problems(answer, (method, path, "malformed", body[:20]))
            for name, field in schema.get("properties", {}).items():
                field = _resolve(document, field)
                values = _hostile_for(field)
                if field.get("type") == "array" or "items" in field:
                    item = _resolve(document, field.get("items", {}))
                    values = [*values, [_plausible(document, item)] * 10_001]
                    values += [
                        [{**_plausible(document, item), key: t} for key in item.get("properties", {})] for t in TIMES
                    ]
                    values += [[value] for value in _hostile_for(item)]
                for value in values:
                    answer = await client.request(method.upper(), url, json={**base, name: value}, headers=headers)
                    calls += 1
                    problems += _problems(answer, (method, path, name, str(value)[:30]))
    assert calls > 2000
    assert problems == [], "\n".join(map(repr, problems))


FORM_FIELDS = [
    "phone", "name", "password", "next", "title", "summary", "description", "location", "category_id", "shape",
    "mode", "target_groups", "auto_accept", "starts_at", "minutes", "capacity", "note", "session_id",
    "preferred_from", "preferred_to", "reason", "place", "link", "attended", "stars", "tags", "text",
    "provider_id", "orders", "present", "bio", "honours", "skills", "area", "online", "category_ids", "slug",
    "name_zh", "name_en", "parent_id", "position", "offer_deadline_hours", "archived", "batch_id", "roles",
    "groups", "follow", "language", "code", "new_password", "market_ids",
]  # fmt: skip
FORM_VALUES = [
    *HOSTILE_TEXT,
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-12-01T10:00:00+14:00",
    "-1",
    "²",
    "9" * 5000,
    "١٢",
]


def _form_paths(ids: dict) -> list[str]:
    listing, session, order, review, category, user = (
        ids[k] for k in ("listing_id", "session_id", "order_id", "review_id", "category_id", "user_id")
    )
    order_actions = ["accept", "decline", "arrange", "deliver", "no_show", "receive", "dispute", "cancel", "review"]
    order_actions += ["reorder", "resolve_received", "resolve_cancelled", "offer", "reassign", "confirm"]
    return [
        "/register",
        "/login",
        "/login/code",
        "/reset",
        *(f"/code/{purpose}" for purpose in ("login", "register", "reset", "other")),
        "/me",
        "/need",
        f"/listings/{listing}/order",
        f"/categories/{category}/follow",
        "/provider/listings/new",
        f"/provider/listings/{listing}/edit",
        f"/provider/listings/{listing}/sessions",
        f"/provider/sessions/{session}/cancel",
        f"/provider/sessions/{session}/attendance",
        f"/provider/reviews/{review}/reply",
        "/provider/profile",
        *(f"/provider/listings/{listing}/{a}" for a in ("submit", "pause", "resume", "close", "clone")),
        *(f"/orders/{order}/{a}" for a in order_actions),
        "/desk/categories",
        f"/desk/categories/{category}",
        f"/desk/listings/{listing}/approve",
        f"/desk/listings/{listing}/reject",
        "/desk/batches",
        f"/desk/reviews/{review}/hide",
        f"/desk/reviews/{review}/show",
        f"/desk/accounts/{user}/roles",
        f"/desk/accounts/{user}/markets",
    ]


async def test_hostile_input_to_every_page_form(client, factory):
    everyone, ids = await _dataset(factory, client)
    pages = Pages(client, factory)
    client.cookies.clear()
    pages.login(everyone)
    problems = []
    try:
        for path in _form_paths(ids):
            for value in FORM_VALUES:
                answer = await pages.post(path, {field: value for field in FORM_FIELDS})
                if answer.status_code >= 500:
                    problems.append((path, value[:20], answer.status_code))
                elif answer.status_code == 400 and not re.search(r'id="e-|<h1', answer.text):
                    problems.append((path, value[:20], "a refusal without a sentence"))
            for body in MALFORMED_BODIES[:4]:
                answer = await client.post(
                    path, content=body, headers={"content-type": "application/x-www-form-urlencoded"}
                )
                if answer.status_code >= 500:
                    problems.append((path, body[:20], answer.status_code))
        for value in {text[:5000] for text in FORM_VALUES}:
            for path in ("/menu", "/login", f"/listings/{ids['listing_id']}", "/orders", "/notices"):
                for key in ("q", "next", "category", "page", "sort"):
                    answer = await pages.get(path, params={key: value})
                    if answer.status_code >= 500:
                        problems.append((path, key, value[:20], answer.status_code))
    finally:
        client.cookies.clear()
    assert problems == [], "\n".join(map(repr, problems))
