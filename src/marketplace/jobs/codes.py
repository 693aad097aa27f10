"""One-time codes (验证码) sent through the SMS gateway (services/sms.py)."""

from ..services import sms
from .registry import job


@job(sms.SEND_CODE)
async def send_code(db, args: dict) -> str:
    return await sms.send_code(db, args)
