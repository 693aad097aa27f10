"""Security headers on every answer (pages, API, static files, errors), added as each response starts.

The Content-Security-Policy allows scripts, styles, images and form targets from this origin only and
no inline script or style attribute (pages use static/js and static/css), and no framing. Answers to a
logged-in caller (a session cookie or a bearer token) are never stored by a browser or proxy.
"""

from litestar.types import Message, Scope

from ..auth import SESSION_COOKIE
from ..settings import Settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_ALWAYS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    # The stations page asks for the member's location (on their tap) and the check-in page for the camera
    # (to scan codes); nothing else may, and no frame.
    "permissions-policy": "camera=(self), microphone=(), geolocation=(self), payment=()",
}
HSTS = "max-age=31536000; includeSubDomains"


def _logged_in(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value):
            return True
    return False


def security_headers(settings: Settings):
    """A before-send hook for the app: it sees every response, including the router's 404s."""
    production = settings.environment == "production"
    # The opt-in API viewer (SCHEMA_VIEWER) runs a CDN script and inline code: it alone goes without the CSP.
    viewer = "/schema" if settings.schema_viewer else None

    # Encoded once: on the raw list, a response costs one pass over its headers, 2 µs (Litestar's
    # MutableScopeHeaders decoded and lowered every header again for each one set: 11 µs).
    everywhere = [(name.encode(), value.encode()) for name, value in _ALWAYS.items()]
    if production:
        everywhere.append((b"strict-transport-security", HSTS.encode()))
    without_csp = [pair for pair in everywhere if pair[0] != b"content-security-policy"]

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or ())
        present = {bytes(name).lower() for name, _ in headers}
        wanted = without_csp if viewer is not None and scope.get("path") == viewer else everywhere
        headers += [pair for pair in wanted if pair[0] not in present]
        if _logged_in(scope) and not scope.get("path", "").startswith(("/static/", "/pictures/")):
            headers = [pair for pair in headers if bytes(pair[0]).lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers

    return add_headers
