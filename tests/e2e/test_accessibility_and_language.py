"""Every page of every role at phone size in Chromium: axe-core (bundled in axe-playwright-python, no CDN)
finds no violation of any impact, and the visible text speaks one language at a time — no English words on a
Chinese page, no Han characters on an English one (beyond what people typed: names, titles, reviews, marked
`lang` in the templates, and a short list of words that are the same in both)."""

import json
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from axe_playwright_python.async_playwright import Axe

from marketplace import auth

from ..page_tour import every_page
from .conftest import ARTIFACTS

REPORT = ARTIFACTS / "axe.json"
ARTIFACTS.mkdir(exist_ok=True)

# Words that may stand on a Chinese page as they are: the product's and the standards' names and units.
ALLOWED_ON_ZH = {"QR", "CSV", "XLSX", "PDF", "ics", "km", "h", "min", "App", "ID", "Chromium", "URL", "Wi", "Fi"}
# … file formats and the lottery's published algorithms (抽签公示 names them as the standards do)
ALLOWED_ON_ZH |= {"JPEG", "PNG", "WebP", "MB", "SHA", "HMAC", "JSON"}
WORD = re.compile(r"[A-Za-z]{2,}")
HAN = re.compile(r"[\u3400-\u9fff]")
TEXT_OUTSIDE_PEOPLES_WORDS = """
() => {
  // The visible text, leaving out what is not shown and what people typed that templates mark: a name
  // (translate="no": a masked reviewer's name) or words in the other language (lang: a category's names);
  // and code (a hash, a check-in code, a command), which is in no language.
  const pageLang = document.documentElement.lang;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const skipped = "script,style,noscript,code,kbd,samp,[hidden],[aria-hidden=true],[translate=no]";
    if (!parent || parent.closest(skipped)) continue;
    const marked = parent.closest("[lang]");
    if (marked && marked.lang !== pageLang) continue;
    if (!parent.checkVisibility || parent.checkVisibility()) out.push(node.textContent);
  }
  return out.join(" ");
}
"""


def _pages(tour):
    for user, paths in tour:
        yield user, [p for p in paths if "/export/" not in p]  # downloads, not pages


async def _as(page, factory, live_server, user) -> None:
    await page.context.clear_cookies()
    if user is not None:
        host = urlsplit(live_server).hostname
        cookie = {"name": auth.SESSION_COOKIE, "value": factory.token(user), "domain": host, "path": "/"}
        await page.context.add_cookies([cookie])


async def _set_language(page, live_server, code: str) -> None:
    host = urlsplit(live_server).hostname
    await page.context.add_cookies([{"name": "mkt_lang", "value": code, "domain": host, "path": "/"}])


async def test_axe_finds_no_violation_on_any_page_of_any_role(page, factory, client, live_server):
    tour = await every_page(factory, client)
    axe = Axe()
    found: dict[str, list[str]] = {}
    seen = 0
    for user, paths in _pages(tour):
        await _as(page, factory, live_server, user)
        for path in paths:
            answer = await page.goto(path)
            assert answer.status == 200, path
            results = await axe.run(page)
            violations = results.response["violations"]
            if violations:
                found[path] = [
                    f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations
                ]
            seen += 1
    assert seen >= 35
    REPORT.write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}, found


# What people typed in the tour's market, shown as typed in either language.
TYPED = """
SELECT name FROM users UNION SELECT title FROM listings UNION SELECT summary FROM listings
UNION SELECT description FROM listings UNION SELECT location FROM listings UNION SELECT title FROM orders
UNION SELECT description FROM orders UNION SELECT note FROM orders UNION SELECT delivery_note FROM orders
UNION SELECT text FROM reviews UNION SELECT coalesce(reply, '') FROM reviews UNION SELECT unnest(tags) FROM reviews
UNION SELECT bio FROM provider_profiles UNION SELECT area FROM provider_profiles
UNION SELECT unnest(honours) FROM provider_profiles UNION SELECT unnest(skills) FROM provider_profiles
UNION SELECT name FROM batches UNION SELECT name FROM stations UNION SELECT address FROM stations
UNION SELECT notice FROM stations UNION SELECT contact FROM stations
UNION SELECT name FROM landmarks UNION SELECT name FROM organisations UNION SELECT name FROM org_seats
UNION SELECT reason FROM hotline_calls UNION SELECT note FROM hotline_calls
UNION SELECT title FROM campaigns UNION SELECT benefit_name FROM campaigns
UNION SELECT benefit_description FROM campaigns
UNION SELECT name FROM roster_entries UNION SELECT workplace FROM roster_entries
UNION SELECT coalesce(union_card, '') FROM roster_entries UNION SELECT filename FROM roster_imports
UNION SELECT workplace FROM verification_requests UNION SELECT note FROM verification_requests
UNION SELECT union_card FROM verification_requests UNION SELECT reason FROM verification_requests
UNION SELECT comment FROM satisfaction_surveys UNION SELECT contact_note FROM follow_up_cases
UNION SELECT resolution FROM follow_up_cases
UNION SELECT text FROM survey_needs UNION SELECT district FROM survey_needs
"""


async def _typed(factory) -> list[str]:
    async with factory.sessionmaker() as db:
        found = [text for (text,) in await db.execute(sa.text(TYPED)) if text]
    return sorted(found, key=len, reverse=True)  # the longest first, so a part never hides its whole


def _without(text: str, typed: list[str]) -> str:
    for words in typed:
        text = text.replace(words, " ")
    return text


async def test_a_chinese_page_shows_no_english_and_an_english_page_no_chinese(page, factory, client, live_server):
    tour = await every_page(factory, client)
    typed = await _typed(factory)
    english_on_zh: dict[str, list[str]] = {}
    chinese_on_en: dict[str, list[str]] = {}
    for user, paths in _pages(tour):
        for path in paths:
            await _as(page, factory, live_server, user)
            assert (await page.goto(path)).status == 200, path
            assert await page.evaluate("document.documentElement.lang") == "zh-CN"
            shown = _without(await page.evaluate(TEXT_OUTSIDE_PEOPLES_WORDS), typed)
            words = set(WORD.findall(shown)) - ALLOWED_ON_ZH
            if words:
                english_on_zh[path] = sorted(words)

            await _set_language(page, live_server, "en")
            assert (await page.goto(path)).status == 200, path
            assert await page.evaluate("document.documentElement.lang") == "en"
            shown = _without(await page.evaluate(TEXT_OUTSIDE_PEOPLES_WORDS), typed)
            han = HAN.findall(shown)
            if han:
                chinese_on_en[path] = ["".join(han)[:60]]
    REPORT.with_suffix(".language.json").write_text(json.dumps([english_on_zh, chinese_on_en], ensure_ascii=False))
    assert (english_on_zh, chinese_on_en) == ({}, {})
