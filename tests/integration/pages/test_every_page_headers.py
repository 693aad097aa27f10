"""Every page of every role answers with the security headers, and the page tour (which the browser's CSP,
axe and one-language tests visit) leaves no page of the app out: a new page must join it."""

import re
from urllib.parse import urlsplit

from marketplace import auth

from ...page_tour import every_page
from ..test_security_headers import _assert_headers

# Answers under a page's router that are not pages, each with why.
NOT_PAGES = {
    "/healthz": "a status line",
    "/pictures/{name:str}": "an image",
    "/me/data.json": "a download (the member's data)",
    "/lang/{code:str}": "a redirect back after choosing a language",
    "/notices/{notification_id:int}": "a redirect to what the notice is about",
    "/need/suggest": "JSON for the need form's script",
    "/desk/needs-list.csv": "a download",
    "/desk/needs-list.xlsx": "a download",
    "/desk/export/{name:str}": "a download",
    "/orders/{order_id:int}/calendar.ics": "a download",
    "/desk/surveys/{import_id:int}/progress": "JSON for the import page's script",
    "/desk/roster/imports/{import_id:int}/progress": "JSON for the import page's script",
}


def _pattern(route: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", route)
    return re.compile(
        "".join((r"\d+" if ":int" in p else r"[^/]+") if p.startswith("{") else re.escape(p) for p in parts) + "$"
    )


async def test_the_tour_visits_every_page_and_each_answers_with_the_headers(app, pages, factory, client):
    tour = await every_page(factory, client)
    visited = {urlsplit(path).path for _, paths in tour for path in paths}
    routes = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", ()) and not route.path.startswith(("/api", "/static", "/schema"))
    }
    left_out = sorted(r for r in routes - NOT_PAGES.keys() if not any(_pattern(r).match(path) for path in visited))
    assert left_out == [], f"pages missing from tests/page_tour.py: {left_out}"
    assert not NOT_PAGES.keys() - routes, "a route listed as not a page no longer exists"

    seen = 0
    for user, paths in tour:
        client.cookies.clear()
        if user is not None:
            client.cookies.set(auth.SESSION_COOKIE, factory.token(user))
        for path in paths:
            answer = await client.get(path, follow_redirects=False)
            assert answer.status_code == 200, (path, answer.status_code)
            _assert_headers(answer, path)
            if user is not None:
                assert answer.headers["cache-control"] == "no-store", path
            seen += 1
    client.cookies.clear()
    assert seen >= 100
