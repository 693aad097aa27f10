import sqlalchemy as sa
from litestar import Request, Response, get
from litestar.datastructures import State

from .. import __version__
from ..auth import bearer_token, has_role, user_for_token
from ..domain.roles import Role
from ..errors import RETRY_AFTER_SECONDS


@get("/healthz", tags=["service"])
async def healthz(request: Request, state: State) -> Response[dict]:
    """{"status": "ok"} when the database and Redis answer, else 503 {"status": "unavailable"}. Which one
    failed, and the versions, only for a curator's or operator's bearer token (and `marketplace check`):
    versions tell an attacker which flaws to try."""
    checks: dict = {}
    try:
        async with state.engine.connect() as conn:
            version = (await conn.execute(sa.text("SHOW server_version"))).scalar_one()
        checks["database"] = {"ok": True, "version": version}
    except Exception as exc:  # reported, not raised: this endpoint exists to say what is down
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        info = await state.redis.info("server")
        checks["redis"] = {"ok": True, "version": info.get("redis_version")}
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
    ok = checks["database"]["ok"] and checks["redis"]["ok"]
    body: dict = {"status": "ok" if ok else "unavailable"}
    if checks["database"]["ok"] and await _staff(request, state):
        body |= {"version": __version__, **checks}
    # A load balancer or a client retries an unavailable service after the same pause as the 503s say.
    headers = None if ok else {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return Response(body, status_code=200 if ok else 503, headers=headers)


async def _staff(request: Request, state: State) -> bool:
    token = bearer_token(request)
    if not token:
        return False
    async with state.sessionmaker() as db:
        found = await user_for_token(db, state.settings, token)
    return found is not None and has_role(found[0], Role.curator, Role.operator)
