"""The satisfaction survey on the member's pages and the follow-up cases on the desk, in Chinese."""

import pytest

from marketplace.domain.roles import Role

from ..test_satisfaction import _signed_off
from ..test_satisfaction_figures import market  # noqa: F401  (the fixture)


async def test_a_member_answers_the_survey_from_the_order_page_and_a_poor_answer_reaches_the_desk(pages, factory):
    (member,), (order,) = await _signed_off(factory)
    pages.login(member)
    shown = await pages.get(f"/orders/{order.id}")
    assert f'href="/orders/{order.id}/survey"' in shown.text and "满意度测评：三个小问题" in shown.text
    form = await pages.get(f"/orders/{order.id}/survey")
    assert form.status_code == 200 and "您对本次服务的总体满意度？" in form.text and "非常不满意" in form.text

    missing = await pages.post(f"/orders/{order.id}/survey", {"overall": "2", "recommend": "0"})
    assert missing.status_code == 400 and 'id="e-as_arranged"' in missing.text
    assert 'value="2" checked' in missing.text  # what was chosen is kept
    tap = {"overall": "2", "as_arranged": "0", "recommend": "0", "comment": "没按时开始", "_form_key": "form:survey-1"}
    sent = await pages.post(f"/orders/{order.id}/survey", tap)
    assert sent.status_code == 303 and "ok=surveyed" in sent.headers["location"]
    # a double tap (or a refresh after the POST) answers once: the same page again, not a refusal
    tapped_twice = await pages.post(f"/orders/{order.id}/survey", {**tap, "overall": "1"})
    assert tapped_twice.status_code == 303 and tapped_twice.headers["location"] == sent.headers["location"]
    again = await pages.get(f"/orders/{order.id}/survey")
    assert "完成测评，谢谢" in again.text and "<form" not in again.text.split("<main")[1]
    twice = await pages.post(f"/orders/{order.id}/survey", {"overall": "5", "as_arranged": "1", "recommend": "1"})
    assert twice.status_code == 409 and "您已完成本订单的满意度测评" in twice.text

    stranger = await factory.user()
    pages.login(stranger)  # another member's order: no such page, and no answer taken
    assert (await pages.get(f"/orders/{order.id}/survey")).status_code == 404
    assert (await pages.post(f"/orders/{order.id}/survey", {**tap, "_form_key": "form:x"})).status_code == 404
    operator = await factory.user(Role.operator)
    pages.login(member)
    assert (await pages.get("/desk/cases")).status_code == 403
    pages.login(operator)
    desk = await pages.get("/desk/cases")
    assert desk.status_code == 200 and "回访工单 (1)" in desk.text and "没按时开始" in desk.text
    assert "待回访" in desk.text and "已联系职工" in desk.text
    case_id = desk.text.split('action="/desk/cases/')[1].split("/")[0]
    refused = await pages.post(f"/desk/cases/{case_id}/contact", {"note": ""})
    assert refused.status_code == 400 and f'id="e-{case_id}.note"' in refused.text
    tap = {"note": "已电话联系", "_form_key": "form:case-contact-1"}
    contacted = await pages.post(f"/desk/cases/{case_id}/contact", tap)
    assert contacted.status_code == 303 and "ok=contacted" in contacted.headers["location"]
    # a double tap (the same form sent again) acts once: the same page, not a refusal nor a second note
    again = await pages.post(f"/desk/cases/{case_id}/contact", {**tap, "note": "第二次"})
    assert again.status_code == 303 and again.headers["location"] == contacted.headers["location"]
    assert "第二次" not in (await pages.get("/desk/cases")).text
    assert 'name="_form_key"' in (await pages.get("/desk/cases")).text
    unsaid = await pages.post(f"/desk/cases/{case_id}/resolve", {"note": "下期优先安排"})
    assert unsaid.status_code == 400 and f'id="e-{case_id}.outcome"' in unsaid.text and "处理结果" in unsaid.text
    resolved = await pages.post(f"/desk/cases/{case_id}/resolve", {"note": "下期优先安排", "outcome": "remedied"})
    assert resolved.status_code == 303
    done = await pages.get("/desk/cases?state=resolved")
    assert "已办结" in done.text and "下期优先安排" in done.text and "已电话联系" in done.text
    assert "已补救服务" in done.text
    assert (await pages.get("/desk/cases?state=open")).text.count("<article") == 0


async def test_the_survey_waits_for_sign_off(pages, factory):
    (member,), (order,) = await _signed_off(factory, state="delivered")
    pages.login(member)
    assert "/survey" not in (await pages.get(f"/orders/{order.id}")).text
    waiting = await pages.get(f"/orders/{order.id}/survey")
    assert "签收服务后即可参加满意度测评" in waiting.text and '<form method="post" action="/orders' not in waiting.text
    refused = await pages.post(f"/orders/{order.id}/survey", {"overall": "5", "as_arranged": "1", "recommend": "1"})
    assert refused.status_code == 409


@pytest.mark.usefixtures("market")
async def test_the_desk_shows_satisfaction_rates_their_trend_and_a_row_per_breakdown(pages, factory):
    pages.login(await factory.user(Role.operator))
    shown = await pages.get("/desk/satisfaction?period=30d&by=provider")
    assert shown.status_code == 200
    figures = shown.text.split('id="satisfaction-figures"')[1].split("</ul>")[0]
    assert "满意率<strong>50%</strong>" in figures and "参评率<strong>80%</strong>" in figures
    assert '<svg class="chart"' in shown.text and "满意度趋势" in shown.text  # the trend, drawn on the server
    rows = shown.text.split('id="satisfaction-rows"')[1].split("</table>")[0]
    assert "王老师" in rows and "李律师" in rows and '<th scope="col">服务者</th>' in rows
    assert 'aria-current="page" class="btn">按服务者' in shown.text
    batches = await pages.get("/desk/satisfaction?period=30d&by=batch")
    assert "第一批" in batches.text and "第二批" in batches.text
    domains = await pages.get("/desk/satisfaction?period=all")  # by domain, the default
    assert "教育培训" in domains.text and "满意率<strong>60%</strong>" in domains.text
    odd = await pages.get("/desk/satisfaction?period=century&by=member")  # a stale link: the defaults
    assert odd.status_code == 200 and "教育培训" in odd.text
    pages.client.cookies.set("mkt_lang", "en")
    english = await pages.get("/desk/satisfaction?period=all")
    assert "Satisfaction rate<strong>60%</strong>" in english.text and "Education" in english.text
    pages.client.cookies.delete("mkt_lang")

    pages.login(await factory.user())
    assert (await pages.get("/desk/satisfaction")).status_code == 403
