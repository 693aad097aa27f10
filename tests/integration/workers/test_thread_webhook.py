"""A message in an order's thread reaches the other party beyond the app: the signed webhook, once."""

import json

from marketplace.services import order_messages
from marketplace.services.outbound import sign

from .test_outbound import SECRET, hooked, receiver  # noqa: F401  (fixtures)


async def test_a_new_message_goes_out_through_the_webhook_to_the_other_party_only(factory, receiver, hooked):  # noqa: F811
    hook = receiver([])
    jobs = await hooked(hook.url)
    provider = await factory.provider(name="王律师")
    listing = await factory.listing(provider, await factory.category(), title="劳动合同咨询", shape="on_request")
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "accepted")

    await jobs.run(lambda db: order_messages.post(db, member, order.id, "请问周六上午可以吗？"))
    await jobs.drain()
    await jobs.drain()  # nothing is sent twice
    [(headers, body)] = hook.requests
    sent = json.loads(body)
    assert sent["kind"] == "order_message" and sent["user"]["id"] == provider.id
    assert sent["title"] == "新消息：劳动合同咨询" and sent["body"] == "刘师傅：请问周六上午可以吗？"
    assert sent["data"]["order_id"] == order.id
    assert headers["X-Marketplace-Signature"] == sign(SECRET, body)
    assert not await jobs.notices(member.id, "order_message")  # the writer is not told of their own message
