"""The product app with one extra route, /bench/hello, so the menu is compared with a hello-world of the
same app (same middleware, same server settings) in the same run. Used only by bench/menu.py:

    python -m uvicorn bench.hello_app:create --factory
"""

from litestar import Litestar, get

from marketplace.app import create_app


@get("/bench/hello", include_in_schema=False)
async def hello() -> dict:
    return {"hello": "world"}


def create() -> Litestar:
    app = create_app()
    app.register(hello)
    return app
