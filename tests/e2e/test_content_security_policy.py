"""Chromium visits every page of every role and the Content-Security-Policy blocks nothing on them."""

from urllib.parse import urlsplit

from marketplace import auth

from ..page_tour import every_page

# Runs before any page script: records what the policy refused, as the browser reports it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile);
});
"""


async def test_no_page_of_any_role_breaks_the_content_security_policy(page, factory, client, live_server):
    tour = await every_page(factory, client)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    await page.add_init_script(RECORD_VIOLATIONS)
    host = urlsplit(live_server).hostname
    seen = 0
    for user, paths in tour:
        await page.context.clear_cookies()
        if user is not None:
            cookie = {"name": auth.SESSION_COOKIE, "value": factory.token(user), "domain": host, "path": "/"}
            await page.context.add_cookies([cookie])
        for path in paths:
            if "/export/" in path:
                continue  # a download, not a page
            answer = await page.goto(path)
            assert answer.status == 200, path
            assert "script-src 'self'" in answer.headers["content-security-policy"], path
            await page.wait_for_load_state("load")
            violations = await page.evaluate("window.__violations")
            assert violations == [], (path, violations)
            seen += 1
    assert seen >= 35
    assert not [text for text in console if "Content Security Policy" in text], console
