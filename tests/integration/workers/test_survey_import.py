"""Questionnaire imports through the API and the worker: mapping, preview, batches, bad rows by number,
the same file twice adds nothing; then the needs list, the gaps, invitations and a listing answering one."""

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Listing, Notification, OutboxJob, SurveyFile, SurveyImport, SurveyNeed
from marketplace.services import surveys
from seeds import survey as example
from seeds.categories import DOMAINS

HEADERS = [
    "序号",
    "提交时间",
    "姓名",
    "手机号码",
    "您属于哪类群体",
    "所在街道",
    "年龄段",
    "您最需要的服务",
    "方式",
    "时间段",
]


async def seed_tree(factory) -> dict[str, object]:
    """The demo market's tree, a provider with the seed skills in each category."""
    found = {}
    for slug, zh, en, children in DOMAINS:
        domain = await factory.category(zh, name_en=en, slug=slug)
        found[slug] = domain
        for child_slug, czh, cen, skills in children:
            child = await factory.category(czh, parent=domain, name_en=cen, slug=child_slug)
            found[child_slug] = child
            found[f"provider:{child_slug}"] = await factory.provider([child], skills=skills)
    return found


def csv_file(rows: list[list[str]], headers=HEADERS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


ROWS = [
    [
        "1",
        "2026-10-01 09:00",
        "张三",
        "13800000001",
        "外卖骑手",
        "南头街道",
        "25-34岁",
        "公司拖欠工资，想咨询劳动法怎么维权，电话13912345678",
        "线下",
        "周末",
    ],
    [
        "2",
        "2026-10-02 10:00",
        "李四",
        "13800000002",
        "双职工家庭",
        "蛇口街道",
        "35-44岁",
        "暑假孩子没人带，想报个夏令营",
        "线上",
        "晚上",
    ],
    ["3", "2026-10-03", "王五", "13800000003", "农民工", "西丽街道", "45-54岁", "", "线下", "周末"],
    ["4", "not a date", "赵六", "13800000004", "农民工", "西丽街道", "45-54岁", "想考个电工证", "线下", "周末"],
    [
        "5",
        "2026-10-04 12:00",
        "钱七",
        "13800000005",
        "快递员",
        "南山街道",
        "25-34岁",
        "加班费一直不给算，想问问劳动法",
        "都可以",
        "晚上",
    ],
]


async def _upload(client, headers, content: bytes, name: str = "survey.csv"):
    return await client.post("/api/v1/admin/surveys", files={"file": (name, content, "text/csv")}, headers=headers)


async def test_a_survey_is_mapped_previewed_imported_in_batches_and_bad_rows_are_reported(client, factory, jobs):
    tree = await seed_tree(factory)
    curator = await factory.user(Role.curator)
    headers = factory.headers(curator)
    made = await _upload(client, headers, csv_file(ROWS))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["created"] is True and body["total_rows"] == 5 and body["state"] == "uploaded"
    # guessed from the Chinese headers; name and phone never
    assert body["mapping"] == {
        "answered_at": 1,
        "need": 7,
        "group": 4,
        "district": 5,
        "age_band": 6,
        "mode": 8,
        "times": 9,
    }
    import_id = body["id"]

    preview = (await client.get(f"/api/v1/admin/surveys/{import_id}/preview", headers=headers)).json()
    first = preview["items"][0]
    assert first["row"] == 2 and first["group"] == "new_employment" and first["mode"] == "offline"
    assert "13912345678" not in first["text"] and "***" in first["text"]  # a phone in the text is masked
    assert [i["row"] for i in preview["items"] if i["fault"]] == [4, 5]

    # a mapping without the need is refused; one without the time reads row 5 as good
    refused = await client.put(f"/api/v1/admin/surveys/{import_id}/mapping", json={"group": 4}, headers=headers)
    assert refused.status_code == 400
    remapped = await client.put(
        f"/api/v1/admin/surveys/{import_id}/mapping",
        json={"need": 7, "group": 4, "district": 5, "mode": 8},
        headers=headers,
    )
    assert remapped.status_code == 200, remapped.text
    assert [i["row"] for i in remapped.json()["items"] if i["fault"]] == [4]
    await client.put(
        f"/api/v1/admin/surveys/{import_id}/mapping", json=body["mapping"], headers=headers
    )  # back to the guess

    started = await client.post(f"/api/v1/admin/surveys/{import_id}/start", headers=headers)
    assert started.status_code == 200 and started.json()["state"] == "queued"
    again = await client.post(f"/api/v1/admin/surveys/{import_id}/start", headers=headers)
    assert again.status_code == 200
    await jobs.drain()
    done = (await client.get(f"/api/v1/admin/surveys/{import_id}", headers=headers)).json()
    assert done["state"] == "done"
    assert (done["processed_rows"], done["imported_rows"], done["bad_rows"], done["classified_rows"]) == (5, 3, 2, 3)
    errors = (await client.get(f"/api/v1/admin/surveys/{import_id}/errors", headers=headers)).json()
    assert errors["total"] == 2
    assert [(e["row"], e["reason"]) for e in errors["items"]] == [
        (4, "The need is empty."),
        (5, "The answer time is not a date."),
    ]
    async with factory.sessionmaker() as db:
        needs = list((await db.execute(sa.select(SurveyNeed).order_by(SurveyNeed.row_number))).scalars())
        assert await db.get(SurveyFile, import_id) is None  # the bytes are gone once imported
        jobs_run = (await db.execute(sa.select(sa.func.count()).where(OutboxJob.job == "import_survey"))).scalar()
    assert jobs_run == 1
    assert [n.row_number for n in needs] == [2, 3, 6]
    assert [n.domain_id for n in needs] == [tree["legal"].id, tree["visits"].id, tree["legal"].id]
    assert all(n.category_id and 0 < n.confidence <= 1 for n in needs)
    kept = " ".join(f"{n.text} {n.group} {n.district} {n.age_band} {n.mode} {n.times}" for n in needs)
    assert "张三" not in kept and "13800000001" not in kept  # no names, no phones

    # the same file again: the same import, nothing added; the same rows in another file: nothing either
    twice = await _upload(client, headers, csv_file(ROWS))
    assert twice.status_code == 201 and twice.json()["id"] == import_id and twice.json()["created"] is False
    other = await _upload(client, headers, csv_file([*ROWS, ROWS[0][:1] + ["2026-10-05"] + ROWS[0][2:]]))
    other_id = other.json()["id"]
    assert other_id != import_id
    await client.post(f"/api/v1/admin/surveys/{other_id}/start", headers=headers)
    await jobs.drain()
    second = (await client.get(f"/api/v1/admin/surveys/{other_id}", headers=headers)).json()
    assert (second["imported_rows"], second["duplicate_rows"], second["bad_rows"]) == (1, 3, 2)
    async with factory.sessionmaker() as db:
        assert (await db.execute(sa.select(sa.func.count()).select_from(SurveyNeed))).scalar() == 4

    # the needs list and the gaps count them
    listed = await client.get("/api/v1/admin/needs/list", params={"since": "2026-01-01"}, headers=headers)
    assert listed.status_code == 200, listed.text
    legal = [r for r in listed.json()["items"] if r["domain_id"] == tree["legal"].id]
    assert sum(r["survey"] for r in legal) == 3 and sum(r["groups"].get("new_employment", 0) for r in legal) == 3
    assert all(r["typical"] and r["words"] for r in legal)
    assert listed.json()["total"] == 4
    months, trend = listed.json()["months"], {t["domain_id"]: t["counts"] for t in listed.json()["trend"]}
    assert trend[tree["legal"].id][months.index("2026-10")] == 3  # by the month answered
    by_group = await client.get(
        "/api/v1/admin/needs/list", params={"since": "2026-01-01", "group": "parent"}, headers=headers
    )
    assert {r["domain_id"] for r in by_group.json()["items"]} == {tree["visits"].id}
    by_domain = await client.get(
        "/api/v1/admin/needs/list", params={"since": "2026-01-01", "domain": tree["legal"].id}, headers=headers
    )
    assert sum(r["total"] for r in by_domain.json()["items"]) == 3
    gaps = (await client.get("/api/v1/admin/gaps", params={"since": "2026-01-01"}, headers=headers)).json()
    assert gaps["items"][0]["domain_id"] == tree["legal"].id and gaps["items"][0]["gap"] >= 1
    assert sum(g["demand"] for g in gaps["items"]) == 4


async def test_invitations_reach_fitting_providers_and_a_listing_made_from_one_counts_on_the_gap(client, factory, jobs):
    tree = await seed_tree(factory)
    curator = await factory.user(Role.curator)
    headers = factory.headers(curator)
    made = await _upload(client, headers, csv_file(ROWS))
    await client.post(f"/api/v1/admin/surveys/{made.json()['id']}/start", headers=headers)
    await jobs.drain()
    gaps = (await client.get("/api/v1/admin/gaps", params={"since": "2026-01-01"}, headers=headers)).json()
    top = gaps["items"][0]
    slug = next(k for k, v in tree.items() if not k.startswith("provider:") and v.id == top["category_id"])
    labour = tree[slug]
    lawyer, teacher = tree[f"provider:{slug}"], tree["provider:calligraphy"]
    invited = await client.post(
        "/api/v1/admin/gaps/invitations", json={"category_id": labour.id, "since": "2026-01-01"}, headers=headers
    )
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert lawyer.id in invitation["provider_ids"] and teacher.id not in invitation["provider_ids"]
    assert invitation["demand"] == top["demand"] and labour.name_zh in invitation["summary"]
    async with factory.sessionmaker() as db:
        told = list((await db.execute(sa.select(Notification).where(Notification.kind == "gap_invitation"))).scalars())
    assert {n.user_id for n in told} == set(invitation["provider_ids"])
    assert told[0].data["link"] == f"/provider/listings/new?invitation={invitation['id']}"

    listing = {
        "title": "劳动争议咨询：欠薪、加班费怎么办",
        "category_id": labour.id,
        "shape": "group",
        "mode": "online",
        "sessions": [
            {"starts_at": "2027-01-10T19:00:00+08:00", "ends_at": "2027-01-10T21:00:00+08:00", "capacity": 12}
        ],
        "invitation_id": invitation["id"],
    }
    # someone not invited may not claim the invitation
    refused = await client.post("/api/v1/listings", json=listing, headers=factory.headers(teacher))
    assert refused.status_code == 403
    created = await client.post("/api/v1/listings", json=listing, headers=factory.headers(lawyer))
    assert created.status_code == 201, created.text
    async with factory.sessionmaker() as db:
        assert (await db.get(Listing, created.json()["id"])).invitation_id == invitation["id"]
    gaps = (await client.get("/api/v1/admin/gaps", params={"since": "2026-01-01"}, headers=headers)).json()
    row = next(g for g in gaps["items"] if g["category_id"] == labour.id)
    assert (row["invitations"], row["answered_listings"], row["answered_seats"]) == (1, 1, 12)


async def test_the_example_file_in_xlsx_imports_with_its_bad_rows_by_number(factory, jobs):
    await seed_tree(factory)
    curator = await factory.user(Role.curator)
    content = example.xlsx_bytes(600)

    class Unit:
        async def __aenter__(self):
            from marketplace.db import transaction

            self.t = transaction(jobs.sessionmaker, jobs.redis, jobs.queue_name)
            return await self.t.__aenter__()

        async def __aexit__(self, *exc):
            await self.t.__aexit__(*exc)

    seen = []
    found = await surveys.import_file(Unit, curator, "example.xlsx", content, lambda done, total: seen.append(done))
    assert found.state == "done" and found.format == "xlsx" and found.total_rows == 600
    expected_bad = [i + 2 for i, row in enumerate(example.rows(600)) if not row[8]]
    assert [e["row"] for e in found.errors] == expected_bad
    assert found.imported_rows + found.bad_rows + found.duplicate_rows == 600
    assert seen[-1] == 600


async def test_an_upload_never_started_is_forgotten_after_a_day_with_its_rows(client, factory, jobs):
    """The uploaded rows hold what the mapping would drop (names, phones): they do not stay when nobody
    starts the import. A started import is kept."""
    await seed_tree(factory)
    headers = factory.headers(await factory.user(Role.curator))
    left = (await _upload(client, headers, csv_file(ROWS))).json()["id"]
    fresh = (await _upload(client, headers, csv_file(ROWS[:3]), name="fresh.csv")).json()["id"]
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.update(SurveyImport).where(SurveyImport.id == left).values(created_at=sa.func.now() - timedelta(days=2))
        )
    async with factory.sessionmaker() as db, db.begin():
        assert await surveys.purge_abandoned(db) == 1
    async with factory.sessionmaker() as db:
        kept = (await db.execute(sa.select(SurveyImport.id))).scalars().all()
        files = (await db.execute(sa.select(SurveyFile.import_id))).scalars().all()
    assert kept == [fresh] and files == [fresh]
    assert (await client.get(f"/api/v1/admin/surveys/{left}", headers=headers)).status_code == 404
