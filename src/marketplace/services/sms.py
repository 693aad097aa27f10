"""How a one-time code (验证码) reaches a phone: a pluggable SMS gateway.

`SmsGateway` is the interface. `WebhookSms` is the real one: the code as JSON, POSTed to
SMS_WEBHOOK_URL with `X-Marketplace-Signature: sha256=<hex HMAC-SHA256 of the body>`, keyed with
SMS_WEBHOOK_SECRET or, unset, with a key derived from SECRET_KEY for this use alone
(`Settings.key("sms-webhook")`, shown by `marketplace sms-key`) — never the raw secret. `DevSms`
writes the code to the log and to a JSON-lines inbox file (DEV_SMS_INBOX, default
DATA_DIR/dev-sms.jsonl); it is the default outside production and production refuses it unless
ALLOW_DEV_SMS is set (settings.py).

Sending goes through the outbox: asking for a code writes a `send_code` job in the same transaction,
and the web process runs that job itself right after the commit (queue.run_after_commit), so the
code is on its way before the page answers. When that fails (the gateway is down, the process dies)
the row stays in the outbox and the worker's relay sends it with its usual retries: a Redis or
gateway outage loses no code. The job's arguments hold the code sealed (AES-GCM with a key derived
from SECRET_KEY, "code-seal"; the phone and purpose bound as associated data), so no plain code ever
rests in the database; the code itself is kept only as an HMAC (services/codes.py). A code that
expired or was used before its job runs is not sent.
"""

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..db import settings_of
from ..models import OneTimeCode
from ..models.base import utcnow
from ..settings import Settings
from .outbound import SIGNATURE_HEADER, DeliveryFailed, sign

log = logging.getLogger(__name__)
SEND_CODE = "send_code"
TEXTS = {
    "login": "【云集市】您的登录验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "register": "【云集市】您正在注册，验证码是{code}，{minutes}分钟内有效。如非本人操作，请忽略本短信。",
    "reset": "【云集市】您正在重设密码，验证码是{code}，{minutes}分钟内有效。如非本人操作，请勿告诉他人。",
}


class SmsGateway(Protocol):
    name: str

    async def send_code(self, phone: str, code: str, purpose: str, expires_at: datetime, delivery: str) -> None:
        """Send one code to one phone, or raise DeliveryFailed (the job is retried)."""


def sms_text(code: str, purpose: str, seconds: int) -> str:
    return TEXTS[purpose].format(code=code, minutes=max(1, round(seconds / 60)))


@dataclass
class WebhookSms:
    url: str
    key: str
    timeout: float = 10.0
    name: str = "webhook"

    async def send_code(self, phone: str, code: str, purpose: str, expires_at: datetime, delivery: str) -> None:
        seconds = max(0, int((expires_at - utcnow()).total_seconds()))
        payload = {
            "event": "one_time_code",
            "phone": phone,
            "code": code,
            "purpose": purpose,
            "expires_at": expires_at.isoformat(),
            "text": sms_text(code, purpose, seconds),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.key, body),
            "X-Marketplace-Event": "one_time_code",
            "X-Marketplace-Delivery": delivery,
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryFailed(f"{self.url} answered {response.status_code}")


@dataclass
class DevSms:
    """For development and tests: the code in the log and in a file, nothing sent."""

    inbox: Path
    name: str = "dev"

    async def send_code(self, phone: str, code: str, purpose: str, expires_at: datetime, delivery: str) -> None:
        log.warning("SMS (development sender, nothing sent): 验证码 %s for %s (%s)", code, phone, purpose)
        line = json.dumps({"phone": phone, "code": code, "purpose": purpose, "at": utcnow().isoformat()})
        self.inbox.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.inbox, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as out:
            out.write(line + "\n")


def webhook_key(settings: Settings) -> str:
    """The key the SMS gateway checks signatures with."""
    return settings.sms_webhook_secret or settings.key("sms-webhook")


def gateway_for(settings: Settings) -> SmsGateway:
    if settings.sms == "webhook":
        return WebhookSms(settings.sms_webhook_url or "", webhook_key(settings), settings.webhook_timeout_seconds)
    return DevSms(Path(settings.sms_inbox))


def _aead(settings: Settings, purpose: str) -> AESGCM:
    return AESGCM(hashlib.sha256(settings.key(purpose).encode()).digest())


def seal(settings: Settings, code: str, bound_to: str, purpose: str = "code-seal") -> str:
    """`code` encrypted (AES-GCM) under the key derived for `purpose`, bound to `bound_to`."""
    nonce = os.urandom(12)
    sealed = _aead(settings, purpose).encrypt(nonce, code.encode(), bound_to.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(settings: Settings, sealed: str, bound_to: str, purpose: str = "code-seal") -> str | None:
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        return _aead(settings, purpose).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()
    except (InvalidTag, ValueError):
        return None


async def send_code(db, args: dict) -> str:
    """The `send_code` job: send the code of row `code_id`, unless it was used or expired meanwhile."""
    settings = settings_of(db)
    row = await db.get(OneTimeCode, args["code_id"])
    if row is None or row.used_at is not None:
        return "used or gone: not sent"
    if row.expires_at <= datetime.now(UTC):
        return "expired: not sent"
    code = unseal(settings, args["sealed"], f"{row.id}:{row.phone}:{row.purpose}")
    if code is None:  # sealed under another SECRET_KEY: the member asks again
        return "unreadable (the secret changed): not sent"
    gateway = gateway_for(settings)
    await gateway.send_code(row.phone, code, row.purpose, row.expires_at, f"code:{row.id}")
    return f"sent by {gateway.name}"
