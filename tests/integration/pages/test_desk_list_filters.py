"""Issue #13, "every list paginated and filterable": approvals, reviews, the hotline's call log,
organisations and quotas, filtered as their forms send the filters (empty fields included), the filters
kept in the pager's links, an empty result said in Chinese; and the same filters through the API."""

import html
import re
from datetime import timedelta

from marketplace.domain.roles import Role
from marketplace.models import HotlineCall, Organisation, Quota, Review
from marketplace.models.base import utcnow


async def _add(factory, *rows) -> None:
    async with factory.sessionmaker() as db, db.begin():
        db.add_all(rows)


def _pager_links(page: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(r'<a href="([^"]*page=\d+)">', page)]


async def test_approvals_by_category_and_provider_paged(pages, factory, client):
    domain = await factory.category("教育培训")
    calligraphy = await factory.category("书法培训", parent=domain)
    law = await factory.category("法律咨询")
    wang, li = await factory.provider([calligraphy], name="王老师"), await factory.provider([law], name="李律师")
    for n in range(52):  # more than a page of the teacher's
        await factory.listing(wang, calligraphy, title=f"书法第{n}课", state="submitted")
    await factory.listing(li, law, title="劳动合同咨询", state="submitted")
    await factory.listing(li, law, title="已发布的咨询")  # published: not waiting
    curator = await factory.user(Role.curator)
    pages.login(curator)

    # the form as it stands: both selects empty is everything waiting
    everything = await pages.get("/desk/approvals", params={"category": "", "provider": ""})
    assert everything.status_code == 200 and "待审核：53" in everything.text
    # a domain holds what is filed below it
    by_domain = await pages.get("/desk/approvals", params={"category": str(domain.id), "provider": ""})
    assert "待审核：52" in by_domain.text and "劳动合同咨询" not in by_domain.text
    assert f"/desk/approvals?category={domain.id}&page=2" in _pager_links(by_domain.text)
    second = await pages.get("/desk/approvals", params={"category": str(domain.id), "page": "2"})
    assert second.text.count('<article class="card spaced">') == 2 and "劳动合同咨询" not in second.text
    by_lawyer = await pages.get("/desk/approvals", params={"category": "", "provider": str(li.id)})
    assert "待审核：1" in by_lawyer.text and "劳动合同咨询" in by_lawyer.text and "书法第" not in by_lawyer.text
    assert f'<option value="{li.id}" selected>李律师</option>' in by_lawyer.text  # the choice stays shown
    none = await pages.get("/desk/approvals", params={"category": str(law.id), "provider": str(wang.id)})
    assert "没有符合筛选条件的待审核服务。" in none.text
    for odd in ({"category": "x"}, {"provider": "99999"}, {"category": "\x00"}, {"provider": "-1"}):
        assert "待审核：53" in (await pages.get("/desk/approvals", params=odd)).text  # a stale link: no filter

    c = factory.headers(curator)
    api = await client.get("/api/v1/admin/listings/submitted", params={"provider": li.id}, headers=c)
    assert api.status_code == 200 and [x["title"] for x in api.json()["items"]] == ["劳动合同咨询"]
    api = await client.get("/api/v1/admin/listings/submitted", params={"category": domain.id, "limit": 5}, headers=c)
    assert api.json()["total"] == 52 and len(api.json()["items"]) == 5
    assert (await client.get("/api/v1/admin/listings/submitted?category=x", headers=c)).status_code == 400


async def test_reviews_by_stars_and_listing_beside_shown_or_hidden(pages, factory, client):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    first = await factory.listing(provider, category, title="硬笔书法")
    other = await factory.listing(provider, category, title="毛笔书法")
    rows = []
    for n in range(55):
        listing, stars = (first, 5) if n < 53 else (other, 2)
        member = await factory.user(name=f"会员{n}")
        order = await factory.order_in_state(member, listing, "reviewed", provider=provider)
        hidden = utcnow() if n == 54 else None
        rows.append(
            Review(
                market_id=factory.market_id,
                order_id=order.id,
                listing_id=listing.id,
                provider_id=provider.id,
                member_id=member.id,
                stars=stars,
                text=f"评价{n}号",
                hidden_at=hidden,
                hidden_reason="广告" if hidden else None,
            )
        )
    await _add(factory, *rows)
    curator = await factory.user(Role.curator)
    pages.login(curator)

    everything = await pages.get("/desk/reviews", params={"hidden": "", "stars": "", "listing": ""})
    assert everything.status_code == 200 and "共 55 条评价" in everything.text
    five = await pages.get("/desk/reviews", params={"hidden": "", "stars": "5", "listing": ""})
    assert "共 53 条评价" in five.text and "评价53号" not in five.text
    assert "/desk/reviews?stars=5&page=2" in _pager_links(five.text)  # the filters stay in the pager
    assert "评价0号" in (await pages.get("/desk/reviews?stars=5&page=2")).text  # the oldest, on page 2
    of_other = await pages.get("/desk/reviews", params={"hidden": "", "stars": "", "listing": str(other.id)})
    assert "共 2 条评价" in of_other.text and "评价53号" in of_other.text and "评价54号" in of_other.text
    assert f'<option value="{other.id}" selected>毛笔书法</option>' in of_other.text
    shown = await pages.get("/desk/reviews", params={"hidden": "false", "stars": "2", "listing": str(other.id)})
    assert "共 1 条评价" in shown.text and "评价54号" not in shown.text
    none = await pages.get("/desk/reviews", params={"hidden": "true", "stars": "5", "listing": ""})
    assert "没有符合筛选条件的评价。" in none.text
    for odd in ({"stars": "6"}, {"hidden": "maybe"}, {"listing": "abc"}, {"stars": "\x00"}):
        assert "共 55 条评价" in (await pages.get("/desk/reviews", params=odd)).text

    c = factory.headers(curator)
    api = await client.get("/api/v1/admin/reviews", params={"stars": 2, "listing": other.id}, headers=c)
    assert api.status_code == 200 and api.json()["total"] == 2
    api = await client.get("/api/v1/admin/reviews", params={"stars": 2, "hidden": "false"}, headers=c)
    assert [x["text"] for x in api.json()["items"]] == ["评价53号"]
    assert (await client.get("/api/v1/admin/reviews?stars=6", headers=c)).status_code == 400


async def test_the_call_log_by_outcome_topic_and_period(pages, factory, client):
    operator = await factory.user(Role.operator)
    now = utcnow()
    calls = [
        HotlineCall(
            market_id=factory.market_id,
            operator_id=operator.id,
            reason="来电",
            topic="complaint" if n < 33 else "order",
            outcome="resolved" if n < 33 else "referred",
            note=f"第{n}通",
            started_at=now - timedelta(days=40 if n == 34 else 0, minutes=n),
        )
        for n in range(35)
    ]
    calls.append(HotlineCall(market_id=factory.market_id, operator_id=operator.id, reason="来电", started_at=now))
    await _add(factory, *calls)
    pages.login(operator)

    everything = await pages.get("/desk/hotline", params={"outcome": "", "topic": "", "period": "all"})
    assert everything.status_code == 200 and "共 36 通来电" in everything.text
    complaints = await pages.get("/desk/hotline", params={"outcome": "resolved", "topic": "complaint", "period": "all"})
    assert "共 33 通来电" in complaints.text
    assert "/desk/hotline?outcome=resolved&topic=complaint&period=all&page=2" in _pager_links(complaints.text)
    page_two = await pages.get("/desk/hotline?outcome=resolved&topic=complaint&period=all&page=2")
    assert page_two.text.count('<a href="/desk/hotline/') == 3  # 30 a page
    recent = await pages.get("/desk/hotline", params={"outcome": "referred", "topic": "", "period": "30d"})
    assert "共 1 通来电" in recent.text  # the other referred call was 40 days ago
    assert '<option value="30d" selected>' in recent.text
    still_open = await pages.get("/desk/hotline", params={"outcome": "open", "topic": "", "period": ""})
    assert "共 1 通来电" in still_open.text
    none = await pages.get("/desk/hotline", params={"outcome": "follow_up", "topic": "", "period": "all"})
    assert "没有符合筛选条件的来电。" in none.text and "还没有来电记录" not in none.text
    for odd in ({"outcome": "lost"}, {"topic": "\x00"}, {"period": "forever"}, {"page": "x"}):
        assert "共 36 通来电" in (await pages.get("/desk/hotline", params=odd)).text

    o = factory.headers(operator)
    api = await client.get("/api/v1/admin/hotline/calls", params={"topic": "order", "period": "7d"}, headers=o)
    assert api.status_code == 200 and api.json()["total"] == 1
    api = await client.get("/api/v1/admin/hotline/calls", params={"outcome": "open"}, headers=o)
    assert api.json()["total"] == 1 and api.json()["items"][0]["outcome"] == "open"
    assert (await client.get("/api/v1/admin/hotline/calls?period=week", headers=o)).status_code == 400


async def test_organisations_and_quotas_found_by_name_and_paged(pages, factory, client):
    names = [f"第{n:02d}车间工会" for n in range(52)] + ["物流_100%工会"]
    await _add(factory, *(Organisation(market_id=factory.market_id, name=name) for name in names))
    curator = await factory.user(Role.curator)
    pages.login(curator)

    everything = await pages.get("/desk/organisations", params={"q": ""})
    assert everything.status_code == 200 and "共 53 个组织" in everything.text
    assert "/desk/organisations?page=2" in _pager_links(everything.text)
    found = await pages.get("/desk/organisations", params={"q": "_100%"})  # LIKE's characters as typed
    assert "共 1 个组织" in found.text and "物流_100%工会" in found.text and "第00车间" not in found.text
    workshops = await pages.get("/desk/organisations", params={"q": "车间"})
    assert "共 52 个组织" in workshops.text
    assert "/desk/organisations?q=%E8%BD%A6%E9%97%B4&page=2" in _pager_links(workshops.text)
    assert "第51车间工会" in (await pages.get("/desk/organisations?q=%E8%BD%A6%E9%97%B4&page=2")).text
    none = await pages.get("/desk/organisations", params={"q": "不存在"})
    assert "没有名称包含所搜内容的组织。" in none.text
    assert (await pages.get("/desk/organisations", params={"q": "\x00"})).status_code == 200
    assert len((await client.get("/api/v1/admin/organisations", headers=factory.headers(curator))).json()) == 53

    law = await factory.category("法律咨询", name_en="Legal advice")
    health = await factory.category("医疗健康", name_en="Health")
    quotas = [Quota(market_id=factory.market_id, category_id=health.id, max_live=n + 1) for n in range(51)]
    quotas += [Quota(market_id=factory.market_id, category_id=law.id, max_live=2), Quota(market_id=factory.market_id)]
    await _add(factory, *quotas)
    everything = await pages.get("/desk/quotas", params={"q": ""})
    assert "共 53 条限额" in everything.text and "/desk/quotas?page=2" in _pager_links(everything.text)
    legal = await pages.get("/desk/quotas", params={"q": "legal"})  # the English name counts too
    assert "共 1 条限额" in legal.text and "法律咨询" in legal.text
    healthy = await pages.get("/desk/quotas", params={"q": "健康"})
    assert "共 51 条限额" in healthy.text and "/desk/quotas?q=%E5%81%A5%E5%BA%B7&page=2" in _pager_links(healthy.text)
    none = await pages.get("/desk/quotas", params={"q": "%"})
    assert "没有类别名称包含所搜内容的限额。" in none.text
    assert len((await client.get("/api/v1/admin/quotas", headers=factory.headers(curator))).json()) == 53
