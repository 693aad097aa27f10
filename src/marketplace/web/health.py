import sqlalchemy as sa
from litestar import Response, get
from litestar.datastructures import State

from .. import __version__


@get("/healthz", tags=["service"])
async def healthz(state: State) -> Response[dict]:
    """Database and Redis reachable, with their versions; 503 when either is not."""
    body: dict = {"status": "ok", "version": __version__}
    try:
        async with state.engine.connect() as conn:
            version = (await conn.execute(sa.text("SHOW server_version"))).scalar_one()
        body["database"] = {"ok": True, "version": version}
    except Exception as exc:  # reported, not raised: this endpoint exists to say what is down
        body["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        info = await state.redis.info("server")
        body["redis"] = {"ok": True, "version": info.get("redis_version")}
    except Exception as exc:
        body["redis"] = {"ok": False, "error": type(exc).__name__}
    if not (body["database"]["ok"] and body["redis"]["ok"]):
        body["status"] = "unavailable"
        return Response(body, status_code=503)
    return Response(body)
