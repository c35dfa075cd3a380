"""Security headers on every response, in one place: a Content-Security-Policy without inline script or
style (the pages use only /static/app.css and server-drawn SVG), nosniff, a Referrer-Policy that keeps
tracking codes (a citizen's capability, sometimes in the URL) out of Referer headers, and HSTS when the
site is served over https."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.settings import get_settings

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
          "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
# /docs (Swagger UI) and /redoc load their bundles from /docs-assets (api/pages/docs.py, no CDN) and start
# them with an inline script; they show only the OpenAPI document, never user data, so only these paths
# get the relaxed policy.
DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; worker-src 'self' blob:; "
               "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
TRACKING_PREFIXES = ("/track", "/api/track", "/api/objections/track/", "/api/complaints/track/", "/filed/",
                     "/objections/new", "/complaints/new")
HSTS = "max-age=31536000"  # no includeSubDomains: other hosts of the same government domain are not ours


def headers_for(path: str, https: bool) -> dict[bytes, bytes]:
    """The headers a response to `path` carries (names lower-case, as ASGI wants them)."""
    tracking = path.startswith(TRACKING_PREFIXES)
    out = {b"content-security-policy": (DOCS_POLICY if path in DOCS_PATHS else POLICY).encode(),
           b"x-content-type-options": b"nosniff",
           b"referrer-policy": b"no-referrer" if tracking else b"same-origin"}
    if tracking:  # pages and answers that may hold a code or a filer's input: kept in no cache
        out[b"cache-control"] = b"no-store"
    if https:
        out[b"strict-transport-security"] = HSTS.encode()
    return out


class SecurityHeadersMiddleware:
    """Adds the headers to every HTTP response; create_app wraps the whole stack with it, so that
    Starlette's 500 page and the 413 refusals get them too.
    A response that sets its own Content-Security-Policy keeps it (the sandboxed /dev/mail body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https" or get_settings().public_base_url.startswith("https://")
        extra = headers_for(scope.get("path", ""), https)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in extra.items() if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
