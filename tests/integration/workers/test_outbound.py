"""Notices out of the app: 上新 to a follower, the signed webhook with retries and back-off."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marketplace.domain.roles import Role
from marketplace.models import CategoryFollow
from marketplace.models.base import utcnow
from marketplace.schemas.listings import BatchIn
from marketplace.services import listings, notices

from .conftest import make_jobs

SECRET = "webhook-test-secret"


class Receiver:
    """A local HTTP endpoint on 127.0.0.1 that answers the statuses it is given, then 200."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        self.failing: set[str] | None = None  # when set, only these deliveries (notice ids) get the statuses
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                chosen = receiver.failing is None or self.headers["X-Marketplace-Delivery"] in receiver.failing
                status = receiver.statuses.pop(0) if receiver.statuses and chosen else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
async def hooked(settings, engine, client):
    """Jobs of a process configured with a webhook (WEBHOOK_URL is set per test)."""
    made = []

    async def make(url: str, **more):
        configured = settings.model_copy(
            update={"webhook_url": url, "webhook_secret": SECRET, "job_retry_seconds": 600, **more}
        )
        made.append(await make_jobs(configured, engine))
        return made[-1]

    yield make
    for jobs in made:
        await jobs.redis.aclose()


async def test_a_new_listing_reaches_a_follower_in_the_app_and_through_the_webhook_after_a_retry(
    factory, receiver, hooked
):
    hook = receiver([500])
    jobs = await hooked(hook.url)
    curator = await factory.user(Role.curator)
    provider = await factory.user(Role.provider)
    domain = await factory.category("教育培训")
    follower = await factory.user(name="关注者")
    async with factory.sessionmaker() as db, db.begin():
        db.add(CategoryFollow(user_id=follower.id, category_id=domain.id))
    listing = await factory.listing(
        provider, await factory.category("少儿编程", parent=domain), state="submitted", title="少儿编程入门"
    )
    batch = await jobs.run(lambda db: listings.create_batch(db, curator, BatchIn(name="第二批")))
    await jobs.run(lambda db: listings.approve(db, curator, listing.id, batch.id))

    told = await jobs.notices(follower.id, "new_listing")
    assert [n.title for n in told] == ["上新：少儿编程入门"]  # in the app at once
    key, delivery = f"notice:{told[0].id}:out", str(told[0].id)
    hook.failing = {delivery}  # (the provider's own notice of the approval goes out beside it)

    async def follower_row():
        [row] = [r for r in await jobs.rows("deliver_notice") if r.dedupe_key == key]
        return row

    def follower_requests():
        return [r for r in hook.requests if r[0]["X-Marketplace-Delivery"] == delivery]

    # the receiver fails once: the job is recorded for a retry with back-off, other work goes on
    await jobs.drain()
    row = await follower_row()
    assert (row.state, row.attempts) == ("pending", 1) and "500" in row.last_error
    assert timedelta(seconds=590) < row.due_at - utcnow() <= timedelta(seconds=600)
    await jobs.drain()
    assert len(follower_requests()) == 1  # not due yet: not sent again
    await jobs.drain(utcnow() + timedelta(seconds=601))
    row = await follower_row()
    assert (row.state, row.attempts) == ("done", 2)

    assert len(follower_requests()) == 2
    headers, body = follower_requests()[-1]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Marketplace-Signature"], expected)
    assert headers["X-Marketplace-Delivery"] == str(told[0].id)
    sent = json.loads(body)
    assert sent["kind"] == "new_listing" and sent["title"] == "上新：少儿编程入门"
    assert sent["user"]["phone"] == follower.phone and sent["data"] == {"listing_id": listing.id}
    assert follower_requests()[0][1] == body  # the retry sends the same notice


async def test_a_job_that_keeps_failing_is_recorded_failed_without_holding_up_others(factory, receiver, hooked):
    hook = receiver([503] * 10)
    jobs = await hooked(hook.url, job_max_attempts=2)
    member, other = await factory.members(2)
    for user in (member, other):
        await jobs.run(
            lambda db, user=user: notices.notify(
                db, user.id, factory.market_id, "test", "你好", dedupe_key=f"t:{user.id}"
            )
        )
    await jobs.drain()
    await jobs.drain(utcnow() + timedelta(seconds=601))
    rows = await jobs.rows("deliver_notice")
    assert [(r.state, r.attempts) for r in rows] == [("failed", 2), ("failed", 2)]
    assert all("503" in r.last_error for r in rows)
    assert len(hook.requests) == 4
    # the inbox does not depend on the channel
    assert len(await jobs.notices(member.id)) == 1


async def test_without_a_webhook_nothing_is_queued_to_send(client, factory, jobs):
    member = await factory.user()
    await jobs.run(lambda db: notices.notify(db, member.id, factory.market_id, "test", "你好"))
    assert len(await jobs.notices(member.id)) == 1
    assert await jobs.rows("deliver_notice") == []


async def test_without_webhook_secret_notices_are_signed_with_a_key_of_their_own(factory, receiver, hooked):
    """WEBHOOK_URL alone: the body is signed with the key derived from SECRET_KEY for this use (the one
    `marketplace webhook-key` prints), which is neither the secret nor the tokens', CSRF's or SMS's key."""
    from typer.testing import CliRunner

    from marketplace.cli import app
    from marketplace.services import outbound, sms
    from marketplace.settings import get_settings

    hook = receiver([])
    jobs = await hooked(hook.url, webhook_secret=None)
    configured = jobs.settings
    member = await factory.user()
    await jobs.run(lambda db: notices.notify(db, member.id, factory.market_id, "test", "你好", dedupe_key="k"))
    await jobs.drain()
    [(headers, body)] = hook.requests
    key = configured.key("webhook")
    assert key not in (
        configured.secret_key,
        configured.key("tokens"),
        configured.key("csrf"),
        sms.webhook_key(configured),
    )
    expected = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Marketplace-Signature"], expected)
    assert outbound.webhook_key(configured) == key
    env = {"SECRET_KEY": configured.secret_key, "WEBHOOK_URL": hook.url, "DATA_DIR": str(configured.data_dir)}
    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(app, ["webhook-key"], env=env)
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0 and printed.output.strip() == key
