"""The desk's needs loop pages: upload, mapping and preview, progress JSON, the needs list with its
charts and downloads, the gaps and an invitation; the provider's form prefilled from an invitation."""

import csv
import io
import re

from openpyxl import load_workbook

from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.services import surveys

from ..workers.test_survey_import import ROWS, csv_file, seed_tree


async def _upload(pages, content: bytes, name="问卷.csv"):
    token = await pages.token()
    form_page = await pages.get("/desk/surveys")
    key = re.search(r'name="_form_key" value="([^"]+)"', form_page.text).group(1)
    return await pages.client.post(
        "/desk/surveys",
        data={"_csrf_token": token, "_form_key": key},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


async def _run_import(factory, import_id: int) -> None:
    """What the worker does, batch after batch, here and now."""
    while True:
        async with transaction(factory.sessionmaker) as db:
            result = await surveys.run_batch(db, import_id, chain=False)
        if result.get("done") or result.get("skipped"):
            return


async def test_a_curator_uploads_maps_previews_and_starts_an_import_then_sees_needs_and_gaps(pages, factory):
    await seed_tree(factory)
    curator = await factory.user(Role.curator)
    pages.login(curator)
    uploaded = await _upload(pages, csv_file(ROWS))
    assert uploaded.status_code == 303, uploaded.text
    location = uploaded.headers["location"]
    import_id = int(location.rsplit("/", 1)[1])
    shown = await pages.get(location)
    assert shown.status_code == 200
    assert "张三" not in shown.text  # the preview shows only what the mapping reads
    assert re.search(r'<select id="map-need" name="need">.*?<option value="7" selected>', shown.text, re.S)
    assert "需求内容为空" in shown.text  # row 4's fault, in Chinese

    # the mapping changed, then back; the same form twice acts once
    key = re.search(r'action="/desk/surveys/\d+/mapping".*?name="_form_key" value="([^"]+)"', shown.text, re.S)
    form = {"need": "7", "group": "4", "district": "5", "_form_key": key.group(1)}
    first = await pages.post(f"/desk/surveys/{import_id}/mapping", form)
    assert first.status_code == 303 and first.headers["location"].endswith("ok=mapped")
    again = await pages.post(f"/desk/surveys/{import_id}/mapping", form)
    assert again.status_code == 303
    refused = await pages.post(f"/desk/surveys/{import_id}/mapping", {"group": "4"})
    assert refused.status_code == 400 and "请选择" in refused.text

    started = await pages.post(f"/desk/surveys/{import_id}/start", {})
    assert started.status_code == 303
    running = await pages.get(f"/desk/surveys/{import_id}")
    assert 'data-progress="/desk/surveys/' in running.text and "js/progress.js" in running.text
    assert '<noscript><meta http-equiv="refresh"' in running.text
    progress = (await pages.get(f"/desk/surveys/{import_id}/progress")).json()
    assert progress["state"] == "queued" and progress["total"] == 5 and progress["processed"] == 0

    await _run_import(factory, import_id)
    progress = (await pages.get(f"/desk/surveys/{import_id}/progress")).json()
    assert (progress["state"], progress["processed"], progress["percent"]) == ("done", 5, 100)
    done = await pages.get(f"/desk/surveys/{import_id}")
    assert 'id="import-done"' in done.text and "<noscript><meta" not in done.text
    assert re.search(r"<td>4</td><td>需求内容为空。</td>", done.text)

    # uploading the same file again leads to the same import
    twice = await _upload(pages, csv_file(ROWS))
    assert twice.headers["location"] == location

    listed = await pages.get("/desk/needs-list", params={"since": "2026-01-01"})
    assert listed.status_code == 200
    assert listed.text.count('<svg class="chart"') == 4 and "法律咨询" in listed.text
    assert "新就业形态劳动者" in listed.text
    downloaded = await pages.get("/desk/needs-list.csv", params={"since": "2026-01-01"})
    assert downloaded.status_code == 200 and downloaded.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert rows[0][0] == "统计区间" and "Asia/Shanghai" in rows[0][1] and rows[1][:3] == ["领域", "类别", "调研需求"]
    assert sum(int(r[2]) for r in rows[2:]) == 4  # without the time column, row 5 reads well
    xlsx = await pages.get("/desk/needs-list.xlsx", params={"since": "2026-01-01"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(2, 1).value == "领域" and sheet.max_row == len(rows)
    bad = await pages.get("/desk/needs-list", params={"since": "2027-01-01", "until": "2026-01-01"})
    assert bad.status_code == 400

    gaps = await pages.get("/desk/gaps", params={"since": "2026-01-01"})
    assert gaps.status_code == 200 and 'id="gaps"' in gaps.text
    category_id = re.search(r'<tr data-category="(\d+)">', gaps.text).group(1)
    key = re.search(r'name="_form_key" value="([^"]+)"', gaps.text).group(1)
    invited = await pages.post(
        "/desk/gaps/invite", {"category_id": category_id, "since": "2026-01-01", "until": "", "_form_key": key}
    )
    assert invited.status_code == 303 and "ok=invited" in invited.headers["location"]
    after = await pages.get(invited.headers["location"])
    assert "已邀请" in after.text and "1 次邀请" in after.text


async def test_the_provider_form_is_prefilled_from_an_invitation_and_records_it(pages, factory):
    tree = await seed_tree(factory)
    curator = await factory.user(Role.curator)
    async with transaction(factory.sessionmaker) as db:
        found, _ = await surveys.upload(db, curator, "s.csv", csv_file(ROWS))
        await surveys.start(db, curator, found.id)
    await _run_import(factory, found.id)
    from marketplace.services import gaps
    from marketplace.services.needs_list import period_of

    async with transaction(factory.sessionmaker) as db:
        invitation = await gaps.invite(db, curator, tree["legal"].id, period_of(None, None, "Asia/Shanghai"))
    provider_id = invitation.provider_ids[0]
    provider = next(v for k, v in tree.items() if k.startswith("provider:") and v.id == provider_id)
    pages.login(provider)
    form = await pages.get(f"/provider/listings/new?invitation={invitation.id}")
    assert form.status_code == 200 and 'id="invitation"' in form.text
    assert f'<input type="hidden" name="invitation_id" value="{invitation.id}">' in form.text
    assert f'<option value="{tree["legal"].id}" selected>' in form.text
    outsider = await factory.provider([tree["calligraphy"]])
    pages.login(outsider)
    assert (await pages.get(f"/provider/listings/new?invitation={invitation.id}")).status_code == 404
