"""Sending notices beyond the app, so a union can plug in its SMS or WeChat template-message gateway.

A notice asks to be delivered (`queue_delivery`, in its own transaction); the worker's
`deliver_notice` job hands it to the configured channel. The one channel is a signed
webhook: the notice as JSON, POSTed to WEBHOOK_URL with
`X-Marketplace-Signature: sha256=<hex HMAC-SHA256 of the body with WEBHOOK_SECRET>`.
A failed delivery raises, so the job is retried with back-off (jobs/__init__.py), and
delivery is at least once: receivers drop repeats by `X-Marketplace-Delivery` (the notice id).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from .. import queue, texts
from ..db import settings_of
from ..models import Market, Notification, User
from ..settings import Settings

DELIVER_NOTICE = "deliver_notice"
SIGNATURE_HEADER = "X-Marketplace-Signature"


class DeliveryFailed(Exception):
    """The channel did not take the notice; the job is retried later."""


class Channel(Protocol):
    name: str

    async def send(self, payload: dict) -> None:
        """Deliver one notice or raise DeliveryFailed."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class WebhookChannel:
    url: str
    secret: str
    timeout: float = 10.0
    name: str = "webhook"

    async def send(self, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.secret, body),
            "X-Marketplace-Event": "notification",
            "X-Marketplace-Delivery": str(payload["id"]),
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryFailed(f"{self.url} answered {response.status_code}")


def channel_for(settings: Settings) -> Channel | None:
    """The configured channel; None when WEBHOOK_URL is unset (the in-app inbox only)."""
    if not settings.webhook_url:
        return None
    return WebhookChannel(settings.webhook_url, webhook_key(settings), settings.webhook_timeout_seconds)


def webhook_key(settings: Settings) -> str:
    """The key the notice receiver checks signatures with: WEBHOOK_SECRET, or one derived for this use alone."""
    return settings.webhook_secret or settings.key("webhook")


async def queue_delivery(db: AsyncSession, notification_id: int) -> None:
    """Ask the worker to send this notice out, when a channel is configured."""
    await queue_deliveries(db, [notification_id])


async def queue_deliveries(db: AsyncSession, notification_ids: list[int]) -> None:
    """`queue_delivery` for several notices, in one statement."""
    if notification_ids and channel_for(settings_of(db)) is not None:
        await queue.enqueue_many(
            db,
            [(DELIVER_NOTICE, {"notification_id": i}, None, f"notice:{i}:out") for i in notification_ids],
        )


async def payload(db: AsyncSession, notification: Notification) -> dict:
    """The notice as the gateway sends it: title and body in the person's language (users.language, else
    the deployment's), finished sentences fit for an SMS."""
    from .notices import TEXT_KEY, words  # notices imports this module

    user = await db.get(User, notification.user_id)
    market = await db.get(Market, notification.market_id)
    settings = settings_of(db)
    lang = texts.language(user.language if user else None, settings.language)
    title, body = words(notification, lang, ZoneInfo(settings.time_zone))
    return {
        "id": notification.id,
        "market": market.slug if market else None,
        # The union's own gateway needs the number to reach the person.
        "user": {"id": user.id, "name": user.name, "phone": user.phone},
        "kind": notification.kind,
        "language": lang,
        "title": title,
        "body": body,
        "data": {k: v for k, v in (notification.data or {}).items() if k != TEXT_KEY},
        "created_at": notification.created_at.isoformat(),
    }


async def deliver(db: AsyncSession, notification_id: int) -> str:
    channel = channel_for(settings_of(db))
    if channel is None:
        return "no channel"
    notification = await db.get(Notification, notification_id)
    if notification is None:
        return "gone"
    await channel.send(await payload(db, notification))
    return f"sent by {channel.name}"
