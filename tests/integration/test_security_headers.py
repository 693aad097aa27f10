"""Security headers on every answer, no CDN on the app's origin, and a /healthz that tells the public little."""

from marketplace.domain.roles import Role
from marketplace.web.headers import security_headers

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _assert_headers(answer, path):
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (path, name)
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "strict-transport-security" not in answer.headers  # only in production


async def test_every_kind_of_answer_has_the_headers(client):
    client.cookies.clear()
    for path in ["/", "/menu", "/login", "/static/css/app.css", "/api/v1/categories", "/no/such/page", "/api/v1/me"]:
        answer = await client.get(path)
        _assert_headers(answer, path)
        assert "no-store" not in answer.headers.get("cache-control", ""), path


async def test_answers_to_a_logged_in_caller_are_not_stored(client, factory):
    member = await factory.user()
    api = await client.get("/api/v1/me", headers=factory.headers(member))
    assert api.headers["cache-control"] == "no-store"
    client.cookies.set("mkt_session", factory.token(member))
    try:
        page = await client.get("/orders")
    finally:
        client.cookies.clear()
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    _assert_headers(page, "/orders")


async def test_hsts_only_in_production(settings):
    async def headers_for(environment: str) -> dict:
        hook = security_headers(settings.model_copy(update={"environment": environment}))
        message = {"type": "http.response.start", "status": 200, "headers": []}
        await hook(message, {"type": "http", "path": "/", "headers": []})
        return {k.decode(): v.decode() for k, v in message["headers"]}

    assert (await headers_for("production"))["strict-transport-security"].startswith("max-age=31536000")
    assert "strict-transport-security" not in await headers_for("test")


async def test_the_api_document_is_served_and_no_viewer_loads_a_cdn_script(client):
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200 and document.json()["info"]["title"] == "Cloud Market API"
    viewer = await client.get("/schema")
    for cdn in ("cdn.", "jsdelivr", "unpkg", "@latest"):
        assert cdn not in viewer.text


async def test_healthz_tells_the_public_only_ok_and_staff_the_details(client, factory):
    public = await client.get("/healthz")
    assert public.status_code == 200 and public.json() == {"status": "ok"}
    member = await factory.user()
    assert (await client.get("/healthz", headers=factory.headers(member))).json() == {"status": "ok"}
    operator = await factory.user(Role.operator)
    staff = (await client.get("/healthz", headers=factory.headers(operator))).json()
    assert staff["status"] == "ok" and staff["database"]["ok"] and staff["redis"]["version"]
