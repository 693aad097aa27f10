"""The hotline desk as an operator uses it during a call: forms sent as they stand (blank fields too), a
double tap, and the member's side afterwards (timeline and notices in Chinese)."""

import re

from marketplace.domain.roles import Role


def _key(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"') :]
    return re.search(r'name="_form_key" value="([^"]+)"', form)[1]


async def test_an_operator_takes_a_call_orders_cancels_and_posts_a_need_for_the_member(pages, factory):
    category = await factory.category("法律咨询")
    provider = await factory.provider([category], name="李律师")
    await factory.listing(provider, category, title="劳动合同咨询", sessions=[(3, 10)], auto_accept=True)
    operator, member = await factory.user(Role.operator, name="话务员小陈"), await factory.user(name="快递员老王")
    pages.login(operator)
    await pages.get("/lang/zh-CN")

    desk = await pages.get("/desk/hotline")
    assert desk.status_code == 200 and "12351 热线" in desk.text and "还没有来电记录" in desk.text
    blank = await pages.post("/desk/hotline", {"phone": "", "card": "", "reason": ""})
    assert blank.status_code == 400 and "请填写查看该会员信息的原因" in blank.text
    nobody = await pages.post("/desk/hotline", {"phone": "", "card": "", "reason": "来电"})
    assert nobody.status_code == 400 and "二选一" in nobody.text
    masked = await pages.post(
        "/desk/hotline", {"phone": member.phone[:3] + "****" + member.phone[-4:], "card": "", "reason": "来电"}
    )
    assert masked.status_code == 400 and "完整的 11 位手机号" in masked.text
    key = _key(desk.text, "/desk/hotline")
    form = {"phone": member.phone, "card": "", "reason": "会员来电预约法律咨询", "_form_key": key}
    opened, twice = await pages.post("/desk/hotline", form), await pages.post("/desk/hotline", form)
    assert opened.status_code == twice.status_code == 303 and opened.headers["location"] == twice.headers["location"]
    call_url = opened.headers["location"]

    call = await pages.get(call_url + "?q=劳动")
    assert "快递员老王的来电" in call.text and member.phone in call.text and "劳动合同咨询" in call.text
    ordered = await pages.post(
        f"{call_url}/order", {"listing_id": re.search(r'name="listing_id" value="(\d+)"', call.text)[1]}
    )
    assert ordered.status_code == 303
    page = await pages.get(ordered.headers["location"])
    assert "已为会员下单" in page.text and "劳动合同咨询" in page.text
    order_id = re.search(r"/desk/hotline/\d+/orders/(\d+)/cancel", page.text)[1]
    no_reason = await pages.post(f"{call_url}/orders/{order_id}/cancel", {f"{order_id}.reason": ""})
    assert no_reason.status_code == 400 and "请填写会员取消的原因" in no_reason.text
    cancelled = await pages.post(f"{call_url}/orders/{order_id}/cancel", {f"{order_id}.reason": "会员临时加班"})
    assert cancelled.status_code == 303, re.findall(r"role=\"alert\"[^<]*<|class=\"error\"[^>]*>[^<]*", cancelled.text)
    no_category = await pages.post(f"{call_url}/need", {"category_id": "", "title": "工伤认定"})
    assert no_category.status_code == 400
    need = await pages.post(f"{call_url}/need", {"category_id": str(category.id), "title": "想咨询工伤认定"})
    assert need.status_code == 303
    unfinished = await pages.post(
        f"{call_url}/end", {"topic": "order", "outcome": "follow_up", "follow_up_on": "", "note": ""}
    )
    assert unfinished.status_code == 400 and "请填写回访日期" in unfinished.text
    ended = await pages.post(
        f"{call_url}/end", {"topic": "order", "outcome": "follow_up", "follow_up_on": "2026-12-05", "note": "下周回访"}
    )
    assert ended.status_code == 303
    log = await pages.get(ended.headers["location"])
    assert "来电已结束并记录" in log.text and "待回访" in log.text and "2026-12-05" in log.text

    pages.login(member)
    timeline = await pages.get(f"/orders/{order_id}")
    assert "由热线话务员话务员小陈代办" in timeline.text
    notices = await pages.get("/notices")
    assert "工会热线为您下单" in notices.text and "工会热线为您取消订单" in notices.text
    assert (await pages.get("/desk/hotline")).status_code == 403
