"""A curator imports the example questionnaire through the desk in Chromium: the progress bar moves while a
real `marketplace worker` imports it, then the needs list and the supply gaps are shown; without script the
page refreshes itself, and a file with broken rows lists them by number."""

import subprocess
import sys

import pytest
from playwright.async_api import expect

from marketplace.domain.roles import Role
from seeds import survey

from ..integration.workers.test_survey_import import ROWS, csv_file, seed_tree
from ..live import ROOT, service_env
from .helpers import log_in


@pytest.fixture
def worker(settings):
    """`marketplace worker` against the run's database and queue (the live server sends it the jobs)."""
    process = subprocess.Popen([sys.executable, "-m", "marketplace", "worker"], env=service_env(settings), cwd=ROOT)
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def _upload(page, name: str, content: bytes, mime: str = "text/csv") -> None:
    await page.goto("/desk/surveys")
    await page.get_by_label("问卷文件").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])
    await page.get_by_role("button", name="上传").click()
    await expect(page.get_by_role("heading", name="各列对应的内容")).to_be_visible()


async def test_the_example_questionnaire_is_imported_with_progress_then_needs_and_gaps(page, factory, worker):
    page.set_default_timeout(60_000)  # reading a 6,000-row XLSX on a busy machine takes seconds
    await seed_tree(factory)
    curator = await factory.user(Role.curator, name="李主任")
    await log_in(page, curator.phone)
    await page.get_by_role("link", name="工会工作台").click()
    await page.get_by_role("link", name="需求调研").first.click()

    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    await _upload(page, "需求调研示例.xlsx", survey.xlsx_bytes(), xlsx)
    # the mapping guessed from the Chinese headers; names and phones are not offered as read
    await expect(page.get_by_label("需求内容（自由填写）")).to_have_value("8")
    await expect(page.get_by_label("填写人群体")).to_have_value("4")
    await expect(page.locator("#preview")).not_to_contain_text("手机")
    await expect(page.locator("#preview tbody tr").first).to_contain_text("新就业形态劳动者")
    await page.get_by_role("button", name="导入 6000 行").click()

    bar = page.locator("progress#import-progress")
    await expect(bar).to_be_visible()
    await expect(page.get_by_role("status").last).to_contain_text("行已读取")
    await expect(page.locator("#import-done")).to_be_visible(timeout=240_000)  # the script reloads when done
    await expect(bar).to_have_attribute("value", "100")
    bad = [i + 2 for i, row in enumerate(survey.rows()) if not row[8]]
    await expect(page.locator("#bad-rows tbody tr").first).to_contain_text(f"{bad[0]}需求内容为空。")
    await expect(page.locator("#bad-rows tbody tr")).to_have_count(len(bad))

    await page.get_by_role("link", name="需求分类清单").last.click()
    await expect(page.get_by_role("heading", name="需求分类清单")).to_be_visible()
    await expect(page.locator("svg.chart")).to_have_count(4)
    await expect(page.locator("#needs-list tbody tr").first).to_contain_text("“")  # a typical phrasing
    await expect(page.locator("#needs-list")).to_contain_text("法律咨询")

    await page.get_by_role("link", name="供需缺口").last.click()
    await expect(page.get_by_role("heading", name="供需缺口")).to_be_visible()
    first = page.locator("#gaps tbody tr").first
    await expect(first.get_by_role("button", name="邀请上新")).to_be_visible()
    await first.get_by_role("button", name="邀请上新").click()
    await expect(page.get_by_role("status")).to_contain_text("已邀请合适的劳模工匠上新")
    await expect(page.locator("#gaps tbody tr").first.locator(".answered")).to_contain_text("1 次邀请")


async def test_without_script_the_page_refreshes_itself_and_broken_rows_are_listed_by_number(
    page_without_js, factory, worker
):
    page = page_without_js
    await seed_tree(factory)
    curator = await factory.user(Role.curator)
    await log_in(page, curator.phone)
    await _upload(page, "broken.csv", csv_file(ROWS))
    await page.get_by_role("button", name="导入 5 行").click()
    await expect(page.locator("#import-done")).to_be_visible(timeout=120_000)  # by the <noscript> refresh
    rows = page.locator("#bad-rows tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("4需求内容为空。")
    await expect(rows.nth(1)).to_contain_text("5填写时间不是日期。")

    # the same file again adds nothing: it leads to the same import
    await _upload_again(page, csv_file(ROWS))


async def _upload_again(page, content: bytes) -> None:
    await page.goto("/desk/surveys")
    await page.get_by_label("问卷文件").set_input_files(
        files=[{"name": "again.csv", "mimeType": "text/csv", "buffer": content}]
    )
    await page.get_by_role("button", name="上传").click()
    await expect(page.locator("#import-done")).to_be_visible()
    await page.goto("/desk/surveys")
    await expect(page.locator("table tbody tr")).to_have_count(1)
