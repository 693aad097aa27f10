"""The account pages: logout that ends the session, my sessions, password change, CSRF rotation, deactivation."""

from marketplace import auth
from marketplace.domain.roles import Role

from ...factories import PASSWORD
from .conftest import CSRF_COOKIE


async def test_page_logout_ends_the_session_on_the_server(pages, factory, client):
    member = await factory.user()
    assert (await pages.post("/login", {"phone": member.phone, "password": PASSWORD})).status_code == 303
    token = pages.client.cookies[auth.SESSION_COOKIE]
    assert (await pages.post("/logout")).status_code == 303
    # the copied cookie no longer works: not as a cookie, not as a bearer token
    pages.client.cookies.set(auth.SESSION_COOKIE, token)
    assert (await pages.get("/me")).status_code == 303
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_the_csrf_cookie_is_new_after_login_and_after_logout(pages, factory):
    member = await factory.user()
    before = await pages.token()
    logged_in = await pages.post("/login", {"phone": member.phone, "password": PASSWORD})
    assert f"{CSRF_COOKIE}=" in logged_in.headers["set-cookie"]
    assert CSRF_COOKIE not in pages.client.cookies  # dropped: the next page gets a new one
    after = await pages.token()
    assert after != before
    # a form carrying the token from before the login is refused
    stale = await pages.client.post("/me", data={"name": "x", "_csrf_token": before}, follow_redirects=False)
    assert stale.status_code == 403
    await pages.post("/logout")
    assert CSRF_COOKIE not in pages.client.cookies
    assert await pages.token() not in (before, after)


async def test_me_lists_sessions_ends_one_and_logs_out_everywhere(pages, factory, client):
    member = await factory.user()
    other_device = await factory.log_in(member)
    await pages.post("/login", {"phone": member.phone, "password": PASSWORD})
    me = await pages.get("/me")
    assert me.status_code == 200
    assert "本设备" in me.text and me.text.count("退出该设备") == 2  # the factory's login and the other device

    listed = await client.get("/api/v1/me/sessions", headers={"Authorization": f"Bearer {other_device}"})
    mine = next(i["id"] for i in listed.json()["items"] if i["current"])
    ended = await pages.post(f"/me/sessions/{mine}/end")
    assert ended.status_code == 303 and ended.headers["location"] == "/me?ok=session_ended"
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_device}"})).status_code == 401

    everywhere = await pages.post("/me/sessions/end-all")
    assert everywhere.status_code == 303 and everywhere.headers["location"].startswith("/login")
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 401
    assert (await pages.get("/me")).status_code == 303


async def test_password_form_shows_refusals_beside_their_fields(pages, factory, client):
    member = await factory.user()
    pages.login(member)
    other_device = await factory.log_in(member)
    wrong = await pages.post("/me/password", {"old_password": "nope", "new_password": "calligraphy-wed"})
    assert wrong.status_code == 400 and 'id="e-old_password"' in wrong.text and "当前密码不对" in wrong.text
    weak = await pages.post("/me/password", {"old_password": PASSWORD, "new_password": "woaini1314"})
    assert weak.status_code == 400 and 'id="e-new_password"' in weak.text and "常见" in weak.text
    done = await pages.post("/me/password", {"old_password": PASSWORD, "new_password": "calligraphy-wed"})
    assert done.status_code == 303 and done.headers["location"] == "/me?ok=password"
    assert (await pages.get("/me")).status_code == 200  # this browser stays logged in
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_device}"})).status_code == 401


async def test_desk_deactivates_and_reactivates_an_account(pages, factory, client):
    operator = await factory.user(Role.operator)
    member = await factory.user(name="刘师傅")
    pages.login(operator)
    desk = await pages.get("/desk/accounts")
    assert desk.status_code == 200 and "刘师傅" in desk.text
    assert "保存角色" not in desk.text  # roles are the curators' to change
    off = await pages.post(f"/desk/accounts/{member.id}/deactivate", {"q": ""})
    assert off.status_code == 303 and off.headers["location"].endswith("ok=deactivated")
    assert (await client.get("/api/v1/me", headers=factory.headers(member))).status_code == 401
    assert "已停用" in (await pages.get("/desk/accounts")).text
    on = await pages.post(f"/desk/accounts/{member.id}/activate", {"q": ""})
    assert on.status_code == 303
    refused = await pages.post(f"/desk/accounts/{operator.id}/deactivate", {"q": ""})
    assert refused.status_code == 400 and "不能停用自己的账号" in refused.text


async def test_the_login_page_says_when_to_come_back(pages, factory):
    member = await factory.user()
    for _ in range(5):
        assert (await pages.post("/login", {"phone": member.phone, "password": "wrong-password"})).status_code == 401
    locked = await pages.post("/login", {"phone": member.phone, "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "登录尝试次数过多" in locked.text


async def test_odd_input_to_the_account_endpoints_is_refused_not_a_500(pages, factory, client):
    curator = await factory.user(Role.curator)
    h = factory.headers(curator)
    api = [
        (
            "post",
            "/api/v1/me/password",
            {"content": b"{not json", "headers": {**h, "content-type": "application/json"}},
        ),
        ("post", "/api/v1/me/password", {"json": {"old_password": "", "new_password": "x" * 500}, "headers": h}),
        ("post", "/api/v1/me/password", {"json": [1, 2], "headers": h}),
        ("delete", "/api/v1/me/sessions/99999999999", {"headers": h}),
        ("delete", "/api/v1/me/sessions/abc", {"headers": h}),
        ("get", "/api/v1/me/sessions?offset=-1", {"headers": h}),
        ("post", "/api/v1/admin/users/0/deactivate", {"headers": h}),
        ("post", "/api/v1/admin/users/99999/activate", {"headers": h}),
        ("post", "/api/v1/auth/logout", {"headers": {"Authorization": "Bearer " + "x" * 5000}}),
        (
            "post",
            "/api/v1/auth/login",
            {"json": {"phone": "1" * 500, "password": "x"}, "headers": {"User-Agent": "u" * 9000}},
        ),
    ]
    for method, path, kwargs in api:
        answer = await getattr(client, method)(path, **kwargs)
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text)
        assert answer.json()["detail"], path
    pages.login(curator)
    for path, form in [
        ("/me/password", {}),
        ("/me/password", {"old_password": "x" * 1000, "new_password": "y" * 1000}),
        ("/me/sessions/99999999999/end", {}),
        ("/me/sessions/424242/end", {}),
        ("/desk/accounts/424242/deactivate", {}),
        ("/desk/accounts/1/explode", {}),
    ]:
        answer = await pages.post(path, form)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


async def test_log_in_with_a_code_on_the_page(pages, factory, settings):
    from ...codes import last_code

    member = await factory.user()
    way = await pages.get("/login?way=code")
    assert 'formaction="/code/login"' in way.text and "验证码登录" in way.text
    sent = await pages.post("/code/login", {"phone": member.phone})
    assert sent.status_code == 303 and sent.headers["location"] == "/login?way=code"
    step_two = await pages.get("/login?way=code")
    assert 'name="code"' in step_two.text and f'value="{member.phone}"' in step_two.text
    wrong = await pages.post("/login/code", {"phone": member.phone, "code": "000000"})
    assert wrong.status_code == 400 and "验证码错误或已过期" in wrong.text
    code = last_code(settings, member.phone, "login")
    ok = await pages.post("/login/code", {"phone": member.phone, "code": code})
    assert ok.status_code == 303 and ok.headers["location"] == "/?ok=hello"
    assert 'mkt_code_phone=""' in ok.headers["set-cookie"] or "mkt_code_phone=;" in ok.headers["set-cookie"]
    assert (await pages.get("/me")).status_code == 200


async def test_reset_the_password_on_the_page_ends_other_sessions(pages, factory, settings, client):
    from ...codes import last_code

    member = await factory.user()
    elsewhere = factory.token(member)
    assert "忘记密码" in (await pages.get("/login")).text
    assert (await pages.post("/code/reset", {"phone": member.phone})).status_code == 303
    code = last_code(settings, member.phone, "reset")
    common = await pages.post("/reset", {"phone": member.phone, "code": code, "new_password": "12345678"})
    assert common.status_code == 400 and 'id="e-new_password"' in common.text
    done = await pages.post("/reset", {"phone": member.phone, "code": code, "new_password": "ink-and-paper-9"})
    assert done.status_code == 303 and done.headers["location"] == "/?ok=password_reset"
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {elsewhere}"})).status_code == 401
    assert "新密码已设置" in (await pages.get("/?ok=password_reset")).text
    pages.logout()
    again = await pages.post("/login", {"phone": member.phone, "password": "ink-and-paper-9"})
    assert again.status_code == 303


async def test_too_many_codes_are_refused_on_the_page_in_chinese_with_retry_after(pages, factory, settings):
    member = await factory.user()
    allowed = int(settings.code_limit_per_phone.split()[0])
    for _ in range(allowed):
        assert (await pages.post("/code/login", {"phone": member.phone})).status_code == 303
    refused = await pages.post("/code/login", {"phone": member.phone})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "获取验证码过于频繁" in refused.text


async def test_asking_for_a_code_on_the_page_reads_the_same_for_any_phone(pages, factory):
    member = await factory.user()
    known = await pages.post("/code/reset", {"phone": member.phone})
    unknown = await pages.post("/code/reset", {"phone": "13912340009"})
    assert (known.status_code, known.headers["location"]) == (unknown.status_code, unknown.headers["location"])


async def test_a_double_tap_sends_one_code_and_logs_in_once(pages, factory, settings):
    import asyncio

    from ...codes import last_code, sent_codes

    member = await factory.user()
    tap = {"phone": member.phone, "_form_key": "form:double-tap-send-1"}
    first, second = await asyncio.gather(pages.post("/code/login", tap), pages.post("/code/login", tap))
    assert (first.status_code, second.status_code) == (303, 303)
    assert "mkt_code_phone=" + member.phone in second.headers["set-cookie"]
    assert len(sent_codes(settings, member.phone, "login")) == 1
    code = last_code(settings, member.phone, "login")
    tap = {"phone": member.phone, "code": code, "_form_key": "form:double-tap-login-1"}
    first, second = await asyncio.gather(pages.post("/login/code", tap), pages.post("/login/code", tap))
    assert (first.status_code, second.status_code) == (303, 303)  # not "the code was spent" for the second
    assert first.headers["location"] == second.headers["location"] == "/?ok=hello"
    tokens = {a.headers["set-cookie"].split("mkt_session=")[1].split(";")[0] for a in (first, second)}
    assert len(tokens) == 1  # the same login, answered twice
    refused = await pages.post("/login/code", {**tap, "_form_key": "form:another-1"})
    assert refused.status_code == 400  # a new form with the spent code is refused
