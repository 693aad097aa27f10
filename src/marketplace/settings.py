"""One settings object, read from the environment and an optional `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import keys

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev-secret-not-for-production"}
LIMIT_SETTINGS = (
    "login_limit_per_phone",
    "login_limit_per_ip",
    "register_limit_per_ip",
    "order_limit_per_member",
    "code_limit_per_phone",
    "code_limit_per_ip",
    "code_verify_limit_per_phone",
    "message_limit_per_user",
)
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # Unset means "use the embedded PostgreSQL / Redis" (see embedded.py).
    database_url: str | None = None
    redis_url: str | None = None
    # Unset (or a placeholder) outside production: a random secret kept in DATA_DIR (keys.py).
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False
    language: Literal["zh-CN", "en"] = "zh-CN"
    time_zone: str = "Asia/Shanghai"
    default_market: str = "nanshan"
    data_dir: Path = Field(default=PROJECT_ROOT / ".marketplace")
    # The largest picture file a provider may upload for a listing (PICTURE_MAX_BYTES); pictures are
    # kept under data_dir/pictures.
    picture_max_bytes: int = Field(default=5_000_000, ge=10_000, le=20_000_000)
    # arq queue name; tests use their own so parallel runs never share jobs.
    queue_name: str = "marketplace:queue"
    token_ttl_hours: int = 24 * 14
    # The most database connections one web process opens; each stays open once opened, because opening
    # one costs more than a dozen orders (asyncpg's connect and type set-up), and closing it again under
    # load is pool churn (issue #6). Requests beyond it wait for a free connection; a few per core are
    # enough to keep PostgreSQL busy. The worker opens max(this, WORKER_MAX_JOBS).
    db_pool_size: int = Field(default=20, ge=1)
    # What `marketplace up` starts against the one PostgreSQL and Redis: web processes (uvicorn workers
    # sharing the port) and worker processes (sharing the queue; every job is idempotent). One of each
    # fits a district; docs/scaling.md says when to add more.
    web_processes: int = Field(default=1, ge=1, le=32)
    worker_processes: int = Field(default=1, ge=1, le=32)
    # How long a public menu answer may be served from the cache (seats left lag by at most this).
    menu_cache_seconds: int = 5
    # Jobs one worker process runs at once; each holds a database connection while it runs.
    worker_max_jobs: int = 40
    # Background work (the worker): matching, deadlines, reminders, outbound notices.
    match_batch_size: int = Field(default=500, ge=1)  # needs matched in one transaction
    max_offer_attempts: int = Field(default=3, ge=1)  # offers of one need (declined or unanswered) before operators
    # A need the classifier files with less confidence than this goes to the curators' review queue.
    classify_review_below: float = Field(default=0.5, ge=0, le=1)
    # An accepted order whose service ended unrecorded: its provider is asked to record attendance after
    # this long, the operators take it on after that long.
    attendance_remind_hours: float = Field(default=2, ge=0)
    attendance_escalate_hours: float = Field(default=48, ge=0)
    auto_receive_days: int = Field(default=7, ge=1)  # silence after delivery that signs off by itself
    # A follow-up case (回访) still open this long after a poor answer, or not resolved after the second
    # figure, is overdue: escalated to the curators.
    case_contact_hours: float = Field(default=48, ge=0)
    case_resolve_hours: float = Field(default=168, ge=0)
    confirm_window_hours: int = Field(default=24, ge=1)  # a promoted waitlisted member confirms within it
    job_max_attempts: int = Field(default=8, ge=1)  # runs of a failing job before it is recorded failed
    job_retry_seconds: float = Field(default=30, ge=0)  # first back-off; doubles each time, at most an hour
    outbox_stuck_seconds: float = Field(default=600, ge=0)  # a job sent but not run by then is sent again
    # Finished orders (and read notices) whose last move is older than this leave the hot indexes nightly
    # (services/archive.py): still kept and counted, shown under "history". Two years keeps last year's
    # figures and this year's hot; a union that reviews one year at a time may choose 365.
    archive_after_days: int = Field(default=730, ge=30)
    archive_batch_size: int = Field(default=1000, ge=1)  # rows flagged per short transaction
    # Outbound notices: a signed webhook (HMAC-SHA256 of the body) to the union's SMS / WeChat gateway.
    # The receiver checks the signature with WEBHOOK_SECRET; unset, a key derived from SECRET_KEY
    # ("webhook", printed by `marketplace webhook-key`).
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_timeout_seconds: float = Field(default=10, gt=0)
    # Rate limits ("N per period", shared by every process through Redis; ratelimits.py).
    login_limit_per_phone: str = "5 per 15 minutes"  # login attempts on one phone number
    login_limit_per_ip: str = "30 per 15 minutes"  # login attempts from one address
    register_limit_per_ip: str = "10 per hour"
    order_limit_per_member: str = "30 per minute"
    message_limit_per_user: str = "20 per 10 minutes"  # messages in orders' threads, by one person
    # One-time codes (验证码, services/codes.py): how long one holds, wrong tries per code, and how often a
    # phone (or an address) may ask for one or try one.
    code_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    code_max_attempts: int = Field(default=5, ge=1, le=20)
    code_limit_per_phone: str = "5 per 15 minutes"  # codes sent to one phone number
    code_limit_per_ip: str = "20 per 15 minutes"  # codes asked for from one address
    code_verify_limit_per_phone: str = "10 per 15 minutes"  # codes tried on one phone number
    # How codes reach a phone (services/sms.py): "webhook" POSTs them, signed, to the union's SMS gateway;
    # "dev" writes them to the log and DEV_SMS_INBOX (default outside production; production refuses it
    # unless ALLOW_DEV_SMS). Unset: "webhook" when SMS_WEBHOOK_URL is set, else "dev".
    sms_gateway: Literal["dev", "webhook"] | None = None
    sms_webhook_url: str | None = None
    # The gateway checks the signature with this; unset, a key derived from SECRET_KEY ("sms-webhook",
    # printed by `marketplace sms-key`).
    sms_webhook_secret: str | None = None
    allow_dev_sms: bool = False
    dev_sms_inbox: Path | None = None  # the dev sender's file (JSON lines); default DATA_DIR/dev-sms.jsonl
    # The browsable API viewer at /schema loads a script from a CDN: off unless asked for.
    schema_viewer: bool = False
    # Password hashing cost (argon2id); the defaults follow argon2-cffi's RFC 9106 "low memory" profile.
    password_time_cost: int = 3
    password_memory_kib: int = 65536

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        for name in LIMIT_SETTINGS:
            try:
                parse(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"{name.upper()}: {exc} (write it as, e.g., '5 per 15 minutes')") from exc
        if self.environment == "production":
            if _placeholder(self.secret_key) or len(self.secret_key) < 32:
                raise ValueError(
                    "SECRET_KEY must be set to a random value of at least 32 characters in production "
                    '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
            if not self.database_url or not self.redis_url:
                raise ValueError("DATABASE_URL and REDIS_URL must be set in production")
            if self.sms == "dev" and not self.allow_dev_sms:
                raise ValueError(
                    "Production sends one-time codes through the union's SMS gateway: set SMS_WEBHOOK_URL "
                    "(or ALLOW_DEV_SMS=true to write codes to the log, for a trial only)"
                )
        if self.sms == "webhook" and not self.sms_webhook_url:
            raise ValueError("SMS_GATEWAY=webhook needs SMS_WEBHOOK_URL")
        return self

    @property
    def sms(self) -> str:
        """The SMS gateway in use: "webhook" or "dev"."""
        return self.sms_gateway or ("webhook" if self.sms_webhook_url else "dev")

    @property
    def sms_inbox(self) -> Path:
        return self.dev_sms_inbox or Path(self.data_dir) / "dev-sms.jsonl"

    def key(self, purpose: str) -> str:
        """The signing key for one purpose ("tokens", "csrf", "webhook", …), derived from the instance secret."""
        secret = keys.stored_secret(self.data_dir) if _placeholder(self.secret_key) else self.secret_key
        return keys.derive(secret, purpose)


def _placeholder(secret: str | None) -> bool:
    return secret is None or secret.strip().lower() in PLACEHOLDER_SECRETS


@lru_cache
def get_settings() -> Settings:
    return Settings()
