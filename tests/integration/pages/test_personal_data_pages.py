"""The 我的 page's data download and account deletion (issue #12, PIPL)."""

from marketplace.models import User

from ...factories import PASSWORD


async def test_the_me_page_downloads_and_deletes(pages, factory):
    member = await factory.user()
    pages.login(member)
    me = await pages.get("/me")
    assert 'href="/me/data.json"' in me.text and 'action="/me/delete"' in me.text
    data = await pages.get("/me/data.json")
    assert data.json()["account"]["name"] == member.name
    refused = await pages.post("/me/delete", {"delete_password": "wrong"})
    assert refused.status_code == 400 and "密码不正确" in refused.text
    deleted = await pages.post("/me/delete", {"delete_password": PASSWORD})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/?ok=deleted"
    async with factory.sessionmaker() as db:
        assert (await db.get(User, member.id)).name == "已注销用户"
