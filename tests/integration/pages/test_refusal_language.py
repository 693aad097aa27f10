"""Refusals in the reader's language: pages in theirs (no English sentence in brackets on a Chinese page), the
API in English unless `Accept-Language` asks for Chinese; the values in them (states, actions, groups) in
words of that language too."""

import re

from marketplace.domain.roles import Role

ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


def _errors(html: str) -> list[str]:
    """The refusal texts a page shows (the form's flash and the messages beside fields)."""
    return [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'class="(?:flash bad|error)"[^>]*>(.*?)</', html, re.S)]


async def _for_women(factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category(), target_groups=["women"])
    return listing, (await factory.sessions_of(listing))[0]


async def test_a_page_refusal_is_a_sentence_of_the_pages_language(pages, factory):
    listing, session = await _for_women(factory)
    member = await factory.user()
    pages.login(member)
    refused = await pages.post(f"/listings/{listing.id}/order", {"session_id": session.id})
    assert refused.status_code == 403
    assert "该服务仅面向女职工。" in refused.text
    assert "This service" not in refused.text and "(women)" not in refused.text

    await pages.get(f"/lang/en?next=/listings/{listing.id}")
    refused = await pages.post(f"/listings/{listing.id}/order", {"session_id": session.id})
    assert refused.status_code == 403 and "This service is for Women workers only." in refused.text


async def test_a_refused_order_move_names_the_state_and_action_in_words(pages, factory):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category())
    member = await factory.user()
    order = await factory.order_in_state(member, listing, "offered")
    pages.login(member)
    refused = await pages.post(f"/orders/{order.id}/receive")
    assert refused.status_code == 409
    shown = [text for text in _errors(refused.text) if text.strip()]
    assert shown and all("无法" in text and not ASCII_WORD.search(text) for text in shown), shown


async def test_the_api_answers_in_english_unless_chinese_is_asked_for(client, factory):
    listing, session = await _for_women(factory)
    member = await factory.user()
    body = {"listing_id": listing.id, "session_id": session.id}

    plain = await client.post("/api/v1/orders", json=body, headers=factory.headers(member))
    assert plain.status_code == 403 and plain.json()["detail"] == "This service is for women only."

    asked = {**factory.headers(member), "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    chinese = await client.post("/api/v1/orders", json=body, headers=asked)
    assert chinese.status_code == 403 and chinese.json()["detail"] == "该服务仅面向女职工。"

    provider = await factory.user(Role.provider)
    order = await factory.order_in_state(member, listing, "offered", provider)
    moved = await client.post(f"/api/v1/orders/{order.id}/receive", headers=asked)
    assert moved.status_code == 409 and moved.json()["detail"].startswith("该订单当前为“")
    english = await client.post(f"/api/v1/orders/{order.id}/receive", headers=factory.headers(member))
    assert english.json()["detail"] == "This order is offered; 'receive' is not possible from that state."


async def test_names_the_system_gives_are_said_in_the_pages_language(pages, factory, client):
    provider = await factory.user(Role.provider)
    listing = await factory.listing(provider, await factory.category("心理咨询", confidential=True))
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "received")
    reviewed = await client.post(
        f"/api/v1/orders/{order.id}/review", json={"stars": 5}, headers=factory.headers(member)
    )
    assert reviewed.status_code == 200
    assert "匿名职工" in (await pages.get(f"/listings/{listing.id}")).text
    await pages.get(f"/lang/en?next=/listings/{listing.id}")
    english = (await pages.get(f"/listings/{listing.id}")).text
    assert "Anonymous worker" in english and "匿名职工" not in english and "刘师傅" not in english
