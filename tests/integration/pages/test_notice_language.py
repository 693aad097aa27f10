"""Notices in the reader's language: kept as a message and its parameters, put into words when read (inbox,
API, webhook), so a member who switches to English reads English, old notices included."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace import texts
from marketplace.domain.roles import Role
from marketplace.models import Notification, User
from marketplace.services import outbound

from ...codes import last_code

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _language(factory, user: User) -> str | None:
    async with factory.sessionmaker() as db:
        return (await db.execute(sa.select(User.language).where(User.id == user.id))).scalar_one()


async def _inbox(client, factory, user: User) -> list[dict]:
    return (await client.get("/api/v1/notifications", headers=factory.headers(user))).json()["items"]


async def test_an_arrangement_notice_is_a_finished_sentence_in_the_readers_language(client, factory, pages):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), shape="on_request", sessions=[])
    member = await factory.user()
    order = await factory.order_in_state(member, listing, "accepted")
    starts_at = (datetime.now(UTC) + timedelta(days=3)).replace(hour=6, minute=30, second=0, microsecond=0)
    arranged = await client.post(
        f"/api/v1/orders/{order.id}/arrange",
        json={"starts_at": starts_at.isoformat(), "place": "三楼书法室"},
        headers=factory.headers(provider),
    )
    assert arranged.status_code == 200

    # In Chinese by default: a sentence fit for an SMS, the time in the market's zone, no field names.
    [notice] = await _inbox(client, factory, member)
    zh_time = texts.moment("zh-CN", starts_at, SHANGHAI)
    assert notice["title"] == "服务安排：书法培训"
    assert notice["body"] == f"服务者已确认安排。时间：{zh_time}。地点：三楼书法室。"
    assert "14:30" in zh_time and "starts_at" not in notice["body"] and "T06:30" not in notice["body"]
    assert notice["data"] == {"order_id": order.id}

    # The member switches the pages to English: that is now their language, for notices written before too.
    pages.login(member)
    switched = await pages.get("/lang/en?next=/notices")
    assert switched.status_code == 303 and await _language(factory, member) == "en"
    en_time = texts.moment("en", starts_at, SHANGHAI)
    [notice] = await _inbox(client, factory, member)
    assert notice["title"] == "Arranged: 书法培训"  # the listing's title is the provider's own words
    assert notice["body"] == f"The provider confirmed the arrangement. Time: {en_time}. Place: 三楼书法室."
    inbox = await pages.get("/notices")
    assert "The provider confirmed the arrangement." in inbox.text and "服务者已确认安排" not in inbox.text

    # The webhook (an SMS gateway) gets the same finished sentence in the person's language.
    async with factory.sessionmaker() as db:
        row = (await db.execute(sa.select(Notification).where(Notification.user_id == member.id))).scalar_one()
        sent = await outbound.payload(db, row)
    assert (sent["language"], sent["title"], sent["body"]) == ("en", notice["title"], notice["body"])
    assert sent["data"] == {"order_id": order.id}

    # Back to Chinese: the page and the person follow.
    await pages.get("/lang/zh-CN?next=/notices")
    assert await _language(factory, member) == "zh-CN"
    assert (await _inbox(client, factory, member))[0]["body"].startswith("服务者已确认安排。")


async def test_the_provider_reads_an_offer_in_english_with_the_deadline_in_market_time(client, factory, pages):
    provider = await factory.user(Role.provider)
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(sa.update(User).where(User.id == provider.id).values(language="en"))
    listing = await factory.listing(provider, await factory.category(), title="Tai chi")
    member = await factory.user()
    placed = await client.post("/api/v1/orders", json={"listing_id": listing.id}, headers=factory.headers(member))
    assert placed.status_code == 201
    [offer] = await _inbox(client, factory, provider)
    assert offer["title"] == "New service request: Tai chi"
    assert offer["body"].startswith("Please accept or decline before ") and offer["body"].endswith(".")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in offer["title"] + offer["body"])
    # …while the table keeps the deployment's language for anyone reading it directly.
    async with factory.sessionmaker() as db:
        stored = (await db.execute(sa.select(Notification).where(Notification.user_id == provider.id))).scalar_one()
    assert stored.title == "新的服务请求：Tai chi"


async def test_a_plain_text_notice_from_older_code_is_shown_as_written(client, factory):
    member = await factory.user()
    async with factory.sessionmaker() as db, db.begin():
        db.add(Notification(market_id=factory.market_id, user_id=member.id, kind="test", title="你好", body="旧通知"))
    [notice] = await _inbox(client, factory, member)
    assert (notice["title"], notice["body"]) == ("你好", "旧通知")


def test_messages_render_nested_and_joined_and_survive_a_broken_catalogue_entry():
    body = texts.joined(
        texts.msg("You did not confirm in time, so %(where)s.", where=texts.msg("the place was released")),
        None,
        texts.msg("Link: %(link)s", link="https://x.cn/r"),
    )
    assert texts.render("zh-CN", SHANGHAI, body) == "您未在时限内确认，名额已释放。链接：https://x.cn/r"
    assert (
        texts.render("en", SHANGHAI, body)
        == "You did not confirm in time, so the place was released. Link: https://x.cn/r"
    )
    assert texts.render("en", SHANGHAI, {"m": "Time: %(at)s.", "p": {}}) == "Time: %(at)s."
    assert texts.accepted("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN" and texts.accepted("en-GB") == "en"
    assert texts.accepted(None) == "en" and texts.accepted("fr, zh-TW;q=0.5") == "zh-CN"


async def test_registering_on_an_english_page_makes_english_the_persons_language(pages, factory, settings):
    await pages.get("/lang/en?next=/register")
    assert (await pages.post("/code/register", {"phone": "13912345670"})).status_code == 303
    code = last_code(settings, "13912345670", "register")
    registered = await pages.post(
        "/register", {"name": "Li Lei", "phone": "13912345670", "password": "correct-horse-9", "code": code}
    )
    assert registered.status_code == 303
    async with factory.sessionmaker() as db:
        language = (await db.execute(sa.select(User.language).where(User.phone == "13912345670"))).scalar_one()
    assert language == "en"
