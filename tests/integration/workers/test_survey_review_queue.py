"""Imported questionnaire answers the classifier was unsure of in the curators' review queue: filing one over
the API moves it in the needs list and the gaps, teaches the classifier as a filed need does, and the worker
scores the unfiled answers again (issue #14, item 2)."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import AuditEvent, ClassifierVersion, NeedLabel, SurveyNeed
from marketplace.services import classify

from ..test_classify_needs import _tree
from .test_survey_import import _upload, csv_file

UNSURE = ("小区物业乱收停车费", "物业乱收停车费还不开发票")  # nothing in the small market says where these go


def _row(n: int, text: str) -> list[str]:
    return [str(n), "2026-10-01 09:00", "", "", "外卖骑手", "南头街道", "25-34岁", text, "线下", "周末"]


async def imported(client, factory, jobs, headers, texts) -> list[SurveyNeed]:
    made = await _upload(client, headers, csv_file([_row(n, t) for n, t in enumerate(texts, 1)]))
    assert made.status_code == 201, made.text
    started = await client.post(f"/api/v1/admin/surveys/{made.json()['id']}/start", headers=headers)
    assert started.status_code == 200, started.text
    await jobs.drain()
    async with factory.sessionmaker() as db:
        return list((await db.execute(sa.select(SurveyNeed).order_by(SurveyNeed.row_number))).scalars())


def _survey_count(listed: dict, category_id: int) -> int:
    return sum(r["survey"] for r in listed["items"] if r["category_id"] == category_id)


async def test_an_unsure_answer_filed_from_the_queue_moves_in_the_needs_list_and_teaches(client, factory, jobs):
    tree, legal = await _tree(factory)
    curator = await factory.user(Role.curator)
    headers = factory.headers(curator)
    answers = await imported(client, factory, jobs, headers, [*UNSURE, "公司拖欠工资，加班费也不给"])
    assert all(a.filed_at is None and a.runner_up_id is not None for a in answers)  # the runner-up is kept

    async with factory.sessionmaker() as db:
        waiting, total = await classify.answers_queue(db, factory.market_id)
    assert total == 2 and {w.answer_id for w in waiting} == {answers[0].id, answers[1].id}
    assert all(w.confidence < 0.5 and w.runner_up_id for w in waiting)
    assert answers[2].confidence >= 0.5  # a sure answer stays out of the queue

    listed = (await client.get("/api/v1/admin/needs/list", params={"since": "2026-01-01"}, headers=headers)).json()
    assert _survey_count(listed, legal["family"].id) == 0
    before = await client.post("/api/v1/admin/needs/classify", json={"texts": [UNSURE[0]]}, headers=headers)
    assert before.json()["items"][0]["category_id"] != legal["family"].id

    url = f"/api/v1/admin/surveys/answers/{answers[0].id}/category"
    filed = await client.post(url, json={"category_id": legal["family"].id}, headers=headers)
    assert filed.status_code == 200, filed.text
    assert filed.json() == {
        "answer_id": answers[0].id,
        "category_id": legal["family"].id,
        "previous_category_id": answers[0].category_id,
    }
    # a double submit acts once: one label, one version, one audit entry (the repeat moved nothing)
    again = await client.post(url, json={"category_id": legal["family"].id}, headers=headers)
    assert again.status_code == 200 and again.json() == {**filed.json(), "previous_category_id": legal["family"].id}
    async with factory.sessionmaker() as db:
        labels = (await db.execute(sa.select(NeedLabel.survey_need_id, NeedLabel.category_id, NeedLabel.text))).all()
        version = (await db.execute(sa.select(ClassifierVersion.version))).scalar_one()
        audited = (await db.execute(sa.select(AuditEvent.action).where(AuditEvent.target_type == "survey_need"))).all()
        row = await db.get(SurveyNeed, answers[0].id)
    assert labels == [(answers[0].id, legal["family"].id, UNSURE[0])]
    assert version == 1 and audited == [("file_survey_answer",)]
    assert row.filed_by == curator.id and row.filed_at is not None
    assert (row.category_id, row.domain_id) == (legal["family"].id, tree["legal"].id)

    # the needs list and the gaps count it under the new category; the same text is classified there now
    listed = (await client.get("/api/v1/admin/needs/list", params={"since": "2026-01-01"}, headers=headers)).json()
    assert _survey_count(listed, legal["family"].id) == 1
    gaps = (await client.get("/api/v1/admin/gaps", params={"since": "2026-01-01"}, headers=headers)).json()
    assert [g["demand"] for g in gaps["items"] if g["category_id"] == legal["family"].id] == [1]
    after = await client.post("/api/v1/admin/needs/classify", json={"texts": [UNSURE[0]]}, headers=headers)
    assert after.json()["items"][0]["category_id"] == legal["family"].id

    # the worker scores the unfiled answer again with what the filing taught; the filed one stays as filed
    await jobs.drain()
    async with factory.sessionmaker() as db:
        second = await db.get(SurveyNeed, answers[1].id)
        first = await db.get(SurveyNeed, answers[0].id)
        waiting, total = await classify.answers_queue(db, factory.market_id)
    assert second.category_id == legal["family"].id and second.filed_at is None
    assert second.domain_id == tree["legal"].id
    assert first.category_id == legal["family"].id and first.confidence == answers[0].confidence
    assert answers[0].id not in {w.answer_id for w in waiting}

    # a correction replaces the label: the text counts once, for the new category
    corrected = await client.post(url, json={"category_id": legal["labour"].id}, headers=headers)
    assert corrected.status_code == 200 and corrected.json()["previous_category_id"] == legal["family"].id
    async with factory.sessionmaker() as db:
        labels = (await db.execute(sa.select(NeedLabel.category_id))).scalars().all()
    assert labels == [legal["labour"].id]


async def test_filing_an_answer_refuses_roles_other_markets_and_unknown_categories(client, factory, jobs):
    tree, legal = await _tree(factory)
    curator = await factory.user(Role.curator)
    answers = await imported(client, factory, jobs, factory.headers(curator), UNSURE[:1])
    url = f"/api/v1/admin/surveys/answers/{answers[0].id}/category"
    body = {"category_id": legal["family"].id}
    assert (await client.post(url, json=body)).status_code == 401
    for role in (Role.operator, Role.member):
        assert (await client.post(url, json=body, headers=factory.headers(await factory.user(role)))).status_code == 403

    elsewhere = await factory.other_market()
    stranger = await elsewhere.user(Role.curator)
    foreign = await client.post(url, json=body, headers=elsewhere.headers(stranger))
    assert foreign.status_code == 404
    headers = factory.headers(curator)
    missing = await client.post("/api/v1/admin/surveys/answers/999999/category", json=body, headers=headers)
    assert missing.status_code == 404
    for category_id in (999999, (await elsewhere.category("婚姻家事")).id):
        unknown = await client.post(url, json={"category_id": category_id}, headers=headers)
        assert unknown.status_code == 400 and unknown.json()["extra"]["field"] == "category_id"
    invalid = await client.post(url, json={"category_id": "书法"}, headers=headers)
    assert invalid.status_code == 400 and "category_id" in invalid.text
    async with factory.sessionmaker() as db:
        assert (await db.get(SurveyNeed, answers[0].id)).filed_at is None
        assert (await db.execute(sa.select(sa.func.count()).select_from(NeedLabel))).scalar() == 0
