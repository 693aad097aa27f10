"""Failures stay with their row: data from before the input bounds (a session in year 9999, written
straight into the database) never makes a page answer 500; and page forms refuse hostile text with
the sentence beside its field, in the page's language."""

import sqlalchemy as sa

from marketplace.domain.roles import Role

FAR = "9999-12-31 17:00:00+00"  # overflows when shown in the market's zone (UTC+8)


async def _odd_market(factory, client):
    category = await factory.category("书法培训")
    provider = await factory.provider([category], name="王老师")
    listing = await factory.listing(provider, category, title="书法培训（9999）", sessions=[(3, 10), (5, 10)])
    fine = await factory.listing(provider, category, title="正常的课")
    member = await factory.user(name="刘师傅")
    order = await factory.order_in_state(member, listing, "accepted")
    need = await client.post(
        "/api/v1/orders", json={"category_id": category.id, "title": "想学毛笔字"}, headers=factory.headers(member)
    )
    async with factory.sessionmaker() as db, db.begin():
        await db.execute(
            sa.text(f"UPDATE listing_sessions SET starts_at = '{FAR}', ends_at = '{FAR}' WHERE listing_id = :id"),
            {"id": listing.id},
        )
        odd_times = '[{"starts_at": "9999-12-31T17:00:00+00:00", "ends_at": "9999-12-31T18:00:00+00:00"}]'
        await db.execute(
            sa.text(
                "UPDATE orders SET preferred_times = CAST(:times AS jsonb),"
                " arrangement = CAST(:arrangement AS jsonb) WHERE id IN (:need, :order)"
            ),
            {
                "times": odd_times,
                "arrangement": '{"starts_at": "9999-12-31T17:00:00+00:00"}',
                "need": need.json()["id"],
                "order": order.id,
            },
        )
    session = (await factory.sessions_of(listing))[0]
    return provider, member, listing, fine, order, session


async def test_a_year_9999_session_in_the_database_breaks_no_page(pages, factory, client):
    provider, member, listing, fine, order, session = await _odd_market(factory, client)
    curator = await factory.user(Role.curator, Role.operator)
    visits = [
        (None, ["/", "/menu", "/menu?sort=soon", f"/listings/{listing.id}", f"/listings/{fine.id}"]),
        (member, ["/", "/menu", "/orders", f"/orders/{order.id}", f"/listings/{listing.id}"]),
        (
            provider,
            [
                "/provider",
                "/provider/listings",
                f"/provider/listings/{listing.id}",
                "/provider/schedule",
                f"/provider/sessions/{session.id}/attendance",
                f"/orders/{order.id}",
            ],
        ),
        (curator, ["/desk", "/desk/orders", "/desk/approvals", f"/orders/{order.id}"]),
    ]
    for who, paths in visits:
        pages.logout()
        if who is not None:
            pages.login(who)
        for path in paths:
            answer = await pages.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
    pages.logout()
    menu = await pages.get("/menu")
    assert "书法培训（9999）" in menu.text and "正常的课" in menu.text  # every row it can, the odd one too
    shown = await pages.get(f"/listings/{listing.id}")
    assert "9999-12-31 17:00 UTC" in shown.text  # shown as stored (UTC), never a crash
    for path in (f"/api/v1/listings/{listing.id}", "/api/v1/listings?sort=soon"):
        assert (await client.get(path)).status_code == 200
    assert (await client.get(f"/api/v1/orders/{order.id}", headers=factory.headers(member))).status_code == 200


async def test_page_forms_refuse_nul_and_invisible_text_beside_the_field(pages, factory, client):
    registered = await pages.post(
        "/register", {"phone": "13812345670", "name": "\u200b\u200b", "password": "long-enough-1", "code": "123456"}
    )
    assert registered.status_code == 400
    assert 'id="e-name"' in registered.text and "请填写看得见的内容" in registered.text
    member = await factory.user()
    pages.login(member)
    category = await factory.category("心理咨询")
    need = await pages.post("/need", {"category_id": str(category.id), "title": "想聊\x00聊", "description": "睡不好"})
    assert need.status_code == 400 and 'id="e-title"' in need.text and "控制字符" in need.text
    renamed = await pages.post("/me", {"name": "\u3164"})
    assert renamed.status_code == 400 and 'id="e-name"' in renamed.text
    far = await pages.post(
        "/need",
        {
            "category_id": str(category.id),
            "title": "想聊聊工作压力",
            "preferred_from": "9999-12-31T19:00",
            "preferred_to": "9999-12-31T21:00",
        },
    )
    assert far.status_code == 400 and "请选择" in far.text


async def test_nul_in_the_menu_search_is_a_400_page_in_chinese(pages):
    answer = await pages.get("/menu?q=%00")
    assert answer.status_code == 400
    assert "请检查" in answer.text and "Validation failed" not in answer.text
