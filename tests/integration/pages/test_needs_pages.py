"""The needs loop on the pages: the need form's suggested category, the curators' review queue."""

import re

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import NeedLabel, Order, SurveyNeed
from marketplace.web.pages import needs as needs_pages

from ..test_classify_needs import _tree


async def test_the_need_form_suggests_a_category_and_preselects_it_when_none_was_chosen(pages, factory):
    tree, legal = await _tree(factory)
    member = await factory.user()
    pages.login(member)
    form = await pages.get("/need")
    assert form.status_code == 200 and 'data-suggest="/need/suggest"' in form.text
    assert re.search(r"<p class=\"hint\" data-suggestion[^>]*hidden", form.text)  # nothing suggested yet

    suggested = await pages.get("/need/suggest", params={"text": "老板拖欠工资三个月不给"})
    assert suggested.status_code == 200 and suggested.json() == {"category_id": legal["labour"].id}
    assert (await pages.get("/need/suggest", params={"text": "欠"})).json() == {"category_id": None}

    # posted without a category: refused beside the field (it stays required), the suggestion chosen
    refused = await pages.post("/need", {"category_id": "", "title": "想学写毛笔字"})
    assert refused.status_code == 400
    assert 'id="e-category_id"' in refused.text
    assert f'<option value="{tree["calligraphy"].id}" selected>' in refused.text
    assert "根据您的描述建议" in refused.text and not re.search(r"data-suggestion[^>]*hidden", refused.text)
    posted = await pages.post("/need", {"category_id": str(tree["calligraphy"].id), "title": "想学写毛笔字"})
    assert posted.status_code == 303


async def test_the_suggestion_is_for_members_only(pages, factory):
    await _tree(factory)
    assert (await pages.get("/need/suggest", params={"text": "想学书法"})).status_code in (302, 303)
    provider_only = await factory.user(Role.provider)
    async with factory.sessionmaker() as db, db.begin():
        stored = await db.get(type(provider_only), provider_only.id)
        stored.roles = ["provider"]
    pages.login(provider_only)
    assert (await pages.get("/need/suggest", params={"text": "想学书法"})).status_code == 403


async def test_curators_file_needs_from_the_review_queue_in_one_tap_or_with_a_select(pages, factory, client, engine):
    tree, legal = await _tree(factory)
    curator, member = await factory.user(Role.curator), await factory.user()
    ids = []
    for title in ("物业乱收停车费", "邻居装修太吵"):
        posted = await client.post(
            "/api/v1/orders", json={"category_id": tree["legal"].id, "title": title}, headers=factory.headers(member)
        )
        ids.append(posted.json()["id"])
    pages.login(await factory.user(Role.operator))
    assert (await pages.get("/desk/needs")).status_code == 403
    pages.login(curator)
    queue = await pages.get("/desk/needs")
    assert queue.status_code == 200
    assert "待归类需求 (2)" in queue.text and "物业乱收停车费" in queue.text and "邻居装修太吵" in queue.text
    assert "建议分类" in queue.text and "次选" in queue.text and "确认建议分类" in queue.text
    assert 'href="/desk/needs"' in (await pages.get("/desk")).text

    suggested = re.search(rf'action="/desk/needs/{ids[0]}/file".*?name="category_id" value="(\d+)"', queue.text, re.S)
    confirmed = await pages.post(f"/desk/needs/{ids[0]}/file", {"category_id": suggested.group(1)})
    assert confirmed.status_code == 303 and "ok=filed" in confirmed.headers["location"]
    refused = await pages.post(f"/desk/needs/{ids[1]}/file", {"category_id": "abc"})
    assert refused.status_code == 400 and f'id="e-{ids[1]}.category_id"' in refused.text
    corrected = await pages.post(f"/desk/needs/{ids[1]}/file", {"category_id": str(legal["family"].id)})
    assert corrected.status_code == 303

    after = await pages.get("/desk/needs")
    assert "待归类需求 (0)" in after.text and "暂无待归类的需求" in after.text
    async with engine.connect() as conn:
        labels = dict((await conn.execute(sa.select(NeedLabel.order_id, NeedLabel.category_id))).all())
        moved = (await conn.execute(sa.select(Order.category_id).where(Order.id == ids[1]))).scalar_one()
    assert labels == {ids[0]: int(suggested.group(1)), ids[1]: legal["family"].id}
    assert moved == legal["family"].id


async def test_curators_file_unsure_questionnaire_answers_from_the_queue_section(pages, factory, engine, monkeypatch):
    tree, legal = await _tree(factory)
    curator = await factory.user(Role.curator)
    texts = ["小区物业乱收停车费", "邻居装修太吵"]
    answers = await factory.survey_answers(curator, texts)
    assert all(a.confidence < 0.5 for a in answers)  # nothing in the small market says where these go
    pages.login(curator)
    queue = await pages.get("/desk/needs")
    assert queue.status_code == 200
    assert "待归类的问卷答复 (2)" in queue.text and all(t in queue.text for t in texts)
    assert "新就业形态劳动者 · 南头街道" in queue.text  # the respondent's group by its name, the district
    section = queue.text[queue.text.index('id="answers"') :]
    assert "建议分类" in section and "次选" in section and "确认建议分类" in section and "或归入" in section

    # paged: one answer a page here, the least sure first
    monkeypatch.setattr(needs_pages, "ANSWERS_PAGE", 1)
    first, second = sorted(answers, key=lambda a: (a.confidence, a.id))
    paged = await pages.get("/desk/needs")
    assert first.text in paged.text and second.text not in paged.text and "第 1 / 2 页" in paged.text
    assert second.text in (await pages.get("/desk/needs", params={"page": 2})).text
    monkeypatch.undo()

    action = f"/desk/needs/answers/{first.id}/file"
    suggested = re.search(rf'action="{action}".*?name="category_id" value="(\d+)"', queue.text, re.S)
    confirmed = await pages.post(action, {"category_id": suggested.group(1)})
    assert confirmed.status_code == 303 and "ok=filed" in confirmed.headers["location"]
    action = f"/desk/needs/answers/{second.id}/file"
    refused = await pages.post(action, {"category_id": "abc"})
    assert refused.status_code == 400 and f'id="e-a{second.id}.category_id"' in refused.text
    corrected = await pages.post(action, {"category_id": str(legal["family"].id)})
    assert corrected.status_code == 303

    after = await pages.get("/desk/needs")
    assert "待归类的问卷答复 (0)" in after.text and "暂无待归类的问卷答复" in after.text
    async with engine.connect() as conn:
        labels = dict((await conn.execute(sa.select(NeedLabel.survey_need_id, NeedLabel.category_id))).all())
        moved = (await conn.execute(sa.select(SurveyNeed.category_id).where(SurveyNeed.id == second.id))).scalar_one()
    assert labels == {first.id: int(suggested.group(1)), second.id: legal["family"].id}
    assert moved == legal["family"].id
