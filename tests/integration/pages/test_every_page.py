"""Every page renders for its role (200), with data on it, in both languages, with the security headers; and
the page tour (which the browser's CSP, axe and one-language tests visit too) leaves no page of the app out."""

import re
from urllib.parse import urlsplit

import pytest

from ...page_tour import every_page
from ..test_security_headers import _assert_headers

# Answers under the pages' routers that are not pages, each with why.
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


async def test_the_tour_leaves_no_page_out(app, factory, client):
    visited = {urlsplit(path).path for _, paths in await every_page(factory, client) for path in paths}
    routes = {
        route.path
        for route in app.routes
        if "GET" in getattr(route, "methods", ()) and not route.path.startswith(("/api", "/static", "/schema"))
    }
    left_out = sorted(r for r in routes - NOT_PAGES.keys() if not any(_pattern(r).match(p) for p in visited))
    assert left_out == [], f"pages missing from tests/page_tour.py: {left_out}"
    assert not NOT_PAGES.keys() - routes, "a route listed as not a page no longer exists"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_every_page_renders_for_its_role(pages, factory, client, lang):
    visible = await every_page(factory, client)
    await pages.get(f"/lang/{lang}")
    for user, paths in visible:
        if user is None:
            pages.client.cookies.delete("mkt_session")
        else:
            pages.login(user)
        for path in paths:
            answer = await pages.get(path)
            assert answer.status_code == 200, (lang, path, answer.text[-500:])
            _assert_headers(answer, path)
            if user is not None:
                assert answer.headers["cache-control"] == "no-store", path
            if "/export/" in path:  # a download (CSV, XLSX), not a page
                continue
            assert f'<html lang="{lang}">' in answer.text, path
