"""Every page renders for its role (200), with data on it, in both languages, with the security headers."""

import pytest

from ...page_tour import every_page


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
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], path
            assert answer.headers["x-content-type-options"] == "nosniff", path
            if user is not None:
                assert answer.headers["cache-control"] == "no-store", path
            if "/export/" in path:  # a download (CSV, XLSX), not a page
                continue
            assert f'<html lang="{lang}">' in answer.text, path
