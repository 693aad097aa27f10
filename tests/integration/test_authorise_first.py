"""Authorise first, then validate: someone without the role is refused (403) before being told what
their request lacks (400), on every role-bound route alike (auth.provide_user reads the route's roles)."""

from marketplace.domain.roles import Role

# (method, path, a body that is wrong or incomplete, the role the route needs)
ROUTES = [
    ("POST", "/api/v1/admin/categories", {"name_zh": "无标识"}, Role.curator),  # no slug
    ("PATCH", "/api/v1/admin/categories/1", {"position": "first"}, Role.curator),
    ("POST", "/api/v1/admin/batches", {}, Role.curator),
    ("POST", "/api/v1/admin/listings/1/approve", {}, Role.curator),
    ("POST", "/api/v1/admin/listings/1/reject", {"reason": ""}, Role.curator),
    ("POST", "/api/v1/admin/reviews/1/hide", {}, Role.curator),
    ("PUT", "/api/v1/admin/users/1/roles", {"roles": []}, Role.curator),
    ("GET", "/api/v1/admin/users?limit=0", None, Role.curator),
    ("GET", "/api/v1/admin/batches?limit=0", None, Role.operator),
    ("POST", "/api/v1/orders/1/reassign", {}, Role.operator),
    ("POST", "/api/v1/listings", {"title": ""}, Role.provider),
    ("PATCH", "/api/v1/provider/profile", {"capacity": 0}, Role.provider),
    ("POST", "/api/v1/sessions/1/attendance", {"present": "all"}, Role.provider),
]


async def test_a_member_is_refused_before_the_body_is_checked(client, factory):
    member = factory.headers(await factory.user())
    for method, path, body, _ in ROUTES:
        answer = await client.request(method, path, json=body, headers=member)
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["detail"].startswith("This needs the"), (method, path)
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)


async def test_with_the_role_the_same_requests_are_refused_for_what_they_lack(client, factory):
    for method, path, body, role in ROUTES:
        allowed = factory.headers(await factory.user(role))
        answer = await client.request(method, path, json=body, headers=allowed)
        assert answer.status_code == 400, (method, path, answer.text)
        assert answer.json()["detail"], (method, path)
