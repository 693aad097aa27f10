"""One-time codes as a phone would receive them: read back from the development SMS sender's inbox
(services/sms.py DevSms), never from the database, which holds only their HMACs."""

import json

from marketplace.settings import Settings


def sent_codes(settings: Settings, phone: str, purpose: str | None = None) -> list[str]:
    """The codes sent to `phone` (for `purpose`), oldest first."""
    try:
        lines = settings.sms_inbox.read_text().splitlines()
    except FileNotFoundError:
        return []
    found = [json.loads(line) for line in lines if line.strip()]
    return [m["code"] for m in found if m["phone"] == phone and (purpose is None or m["purpose"] == purpose)]


def last_code(settings: Settings, phone: str, purpose: str | None = None) -> str:
    codes = sent_codes(settings, phone, purpose)
    assert codes, f"no code was sent to {phone}"
    return codes[-1]


async def ask_code(client, settings: Settings, phone: str, purpose: str) -> str:
    """Ask the API for a code and read it from the phone's (the dev sender's) inbox."""
    answer = await client.post("/api/v1/auth/code", json={"phone": phone, "purpose": purpose})
    assert answer.status_code == 202, answer.text
    return last_code(settings, phone, purpose)


async def register(client, settings: Settings, phone: str, name: str, password: str):
    """Register through the API, the phone proven by a code first."""
    code = await ask_code(client, settings, phone, "register")
    return await client.post(
        "/api/v1/auth/register", json={"phone": phone, "name": name, "password": password, "code": code}
    )
