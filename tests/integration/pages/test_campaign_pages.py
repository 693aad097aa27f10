"""免申即享 in the pages: the desk's form refuses in Chinese naming the field, a form sent twice acts once, a
member answers from their offer page, and nobody else's offer or campaign is shown."""

import sqlalchemy as sa

from marketplace.domain.roles import Role
from marketplace.models import Campaign, CampaignOffer, ListingSession


async def _offers(factory, campaign_id) -> list[CampaignOffer]:
    async with factory.sessionmaker() as db:
        rows = await db.execute(
            sa.select(CampaignOffer).where(CampaignOffer.campaign_id == campaign_id).order_by(CampaignOffer.rank)
        )
        return list(rows.scalars())


async def test_the_desk_creates_starts_and_cancels_a_campaign_by_its_forms(pages, factory):
    provider, curator = await factory.user(Role.provider), await factory.user(Role.curator)
    listing = await factory.listing(provider, await factory.category(), title="亲子阅读", sessions=[(5, 4)])
    session = (await factory.sessions_of(listing))[0]
    parents = [await factory.user(groups=["parent"]) for _ in range(3)]
    pages.login(curator)
    form = await pages.get("/desk/campaigns/new")
    assert form.status_code == 200 and "亲子阅读" in form.text
    # the form as it stands: a title and groups are missing, the window is given
    empty = {"title": "", "kind": "seats", "session_id": "", "places": "", "window_hours": "48", "benefit_name": ""}
    refused = await pages.post("/desk/campaigns", empty)
    assert refused.status_code == 400 and 'id="e-title"' in refused.text and 'id="e-groups"' in refused.text
    wanted = {**empty, "title": "双职工家庭亲子阅读", "places": "5", "groups": "parent"}
    no_session = await pages.post("/desk/campaigns", wanted)
    assert no_session.status_code == 400 and "请选择要提供座位的场次。" in no_session.text
    too_many = await pages.post("/desk/campaigns", {**wanted, "session_id": str(session.id)})
    assert too_many.status_code == 409 and "本场仅剩 4 个名额。" in too_many.text
    made = await pages.post("/desk/campaigns", {**wanted, "session_id": str(session.id), "places": "2"})
    assert made.status_code == 303 and made.headers["location"].endswith("?ok=campaign_created")
    campaign_path = made.headers["location"].split("?")[0]
    draft = await pages.get(made.headers["location"])
    assert "活动已存为草稿" in draft.text and "草稿" in draft.text

    # start sent twice with the same form key: started once
    key = {"_form_key": "form:start-campaign-once"}
    first = await pages.post(f"{campaign_path}/start", key)
    second = await pages.post(f"{campaign_path}/start", key)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    async with factory.sessionmaker() as db:
        assert (await db.get(ListingSession, session.id)).seats_taken == 2
    # a new tap (another key) is refused in Chinese
    again = await pages.post(f"{campaign_path}/start")
    assert again.status_code == 409 and "此活动当前为“发放中”，无法“启动”。" in again.text
    running = await pages.get(campaign_path)
    assert "惠及 0 人" in running.text and "送达顺序" in running.text

    # a member answers from the offer page; someone else's offer is not found
    offer = (await _offers(factory, int(campaign_path.rsplit("/", 1)[1])))[0]
    member = next(p for p in parents if p.id == offer.member_id)
    stranger = next(p for p in parents if p.id != offer.member_id)
    pages.login(stranger)
    assert (await pages.get(f"/offers/{offer.id}")).status_code == 404
    assert (await pages.post(f"/offers/{offer.id}/accept")).status_code == 404
    pages.login(member)
    shown = await pages.get(f"/offers/{offer.id}")
    assert "免申即享" in shown.text and "接受名额" in shown.text
    mine = await pages.get("/orders")
    assert "为您保留" in mine.text and f"/offers/{offer.id}" in mine.text
    declined = await pages.post(f"/offers/{offer.id}/decline")
    assert declined.status_code == 303 and declined.headers["location"].endswith("?ok=offer_declined")
    me = await pages.get("/me")  # the member's own page keeps what was offered, and the answer
    assert "为您保留" in me.text and "已放弃" in me.text
    late = await pages.post(f"/offers/{offer.id}/accept")
    assert late.status_code == 409 and "此名额当前为“已放弃”，已无法答复。" in late.text
    assert (await pages.post(f"/offers/{offer.id}/maybe")).status_code == 404

    # a member may not see the desk; the curator cancels with an empty reason
    assert (await pages.get(campaign_path)).status_code in (403, 404)
    pages.login(curator)
    cancelled = await pages.post(f"{campaign_path}/cancel", {"reason": ""})
    assert cancelled.status_code == 303
    listed = await pages.get("/desk/campaigns?state=cancelled")
    assert "双职工家庭亲子阅读" in listed.text
    assert "双职工家庭亲子阅读" not in (await pages.get("/desk/campaigns?state=running")).text
    async with factory.sessionmaker() as db:
        campaign = (await db.execute(sa.select(Campaign))).scalar_one()
        assert campaign.state == "cancelled" and (await db.get(ListingSession, session.id)).seats_taken == 0
