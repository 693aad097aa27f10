"""The needs loop's desk pages met as people meet them: empty fields, a double tap, someone else's ids and
odd links answer with a sentence in Chinese (4xx), never a 500 (issue #14)."""

from marketplace import auth
from marketplace.db import transaction
from marketplace.domain.roles import Role
from marketplace.services import surveys

from ..workers.test_survey_import import ROWS, csv_file, seed_tree


async def test_empty_fields_double_taps_and_other_peoples_ids_on_the_needs_loop_pages(pages, factory):
    await seed_tree(factory)
    curator = await factory.user(Role.curator)
    pages.login(curator)
    nothing = await pages.client.post(
        "/desk/surveys", data={"_csrf_token": await pages.token()}, follow_redirects=False
    )
    assert nothing.status_code == 400 and "文件" in nothing.text  # no file chosen: said, on the page

    async with transaction(factory.sessionmaker) as db:
        found, _ = await surveys.upload(db, curator, "s.csv", csv_file(ROWS))
    first = await pages.post(f"/desk/surveys/{found.id}/start", {})
    second = await pages.post(f"/desk/surveys/{found.id}/start", {})  # a double tap without the form's key
    assert first.status_code == 303 and second.status_code in (303, 409), second.text
    assert second.status_code == 303 or "导入" in second.text

    for path, params in (
        ("/desk/needs-list", {"since": "昨天"}),
        ("/desk/needs-list", {"group": "外星人", "district": "x" * 500}),
        ("/desk/gaps", {"until": "2026-13-45"}),
        ("/desk/hours", {"year": "今年"}),
        ("/desk/satisfaction", {"period": "x" * 50}),
        ("/desk/cases", {"state": "lost"}),
    ):
        shown = await pages.get(path, params=params)
        assert shown.status_code in (200, 400), (path, params, shown.status_code)
    empty = await pages.post("/desk/gaps/invite", {"category_id": "", "since": "", "until": ""})
    assert empty.status_code == 400 and "请从选项中选择" in empty.text  # the hidden category, emptied

    other = await factory.other_market()
    stranger = await other.user(Role.curator)
    pages.client.cookies.set(auth.SESSION_COOKIE, other.token(stranger))  # a curator of another union
    assert (await pages.get(f"/desk/surveys/{found.id}")).status_code == 404
    assert (await pages.get(f"/desk/surveys/{found.id}/progress")).status_code == 404
    assert (await pages.post(f"/desk/surveys/{found.id}/start", {})).status_code == 404
