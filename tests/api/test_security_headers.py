"""Security headers as a browser receives them: a CSP without inline script or style on pages, API answers
and problem+json errors alike; no Referer from tracking pages (the code is a capability); HSTS only over
https; the relaxed policy only on /docs."""

from __future__ import annotations

import httpx

from api.app import create_app


def csp(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy as directive → sources."""
    header = response.headers.get("content-security-policy", "")
    out = {}
    for part in header.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def assert_strict(response: httpx.Response) -> None:
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]  # nothing inline
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # plain http: a browser would ignore it anyway


async def test_pages_api_answers_and_errors_carry_the_headers(api) -> None:
    page = await api.get("/")
    assert page.status_code == 200 and '<link rel="stylesheet" href="/static/app.css">' in page.text
    assert "<style" not in page.text and " style=" not in page.text and "<script" not in page.text
    assert_strict(page)
    assert page.headers["referrer-policy"] == "same-origin"
    css = await api.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ".card" in css.text

    listing = await api.get("/api/commitments")
    assert listing.status_code == 200 and listing.headers["content-type"] == "application/json"
    assert_strict(listing)
    missing = await api.get("/api/commitments/999999")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert_strict(missing)
    too_large = await api.post("/api/complaints", content=b"x" * 1_000_001,
                               headers={"content-type": "application/json"})
    assert too_large.status_code == 413
    assert_strict(too_large)


async def test_an_unexpected_error_carries_the_headers_too(temporal_client) -> None:
    app = create_app()
    app.state.temporal = temporal_client

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://chengxin.test") as c:
        r = await c.get("/boom")
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert_strict(r)


async def test_tracking_pages_send_no_referrer(api) -> None:
    form = await api.get("/track")
    assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
    looked_up = await api.post("/track", data={"code": "not-a-real-code"})
    assert looked_up.status_code == 404 and looked_up.headers["referrer-policy"] == "no-referrer"
    for path in ("/api/objections/track/not-a-real-code", "/api/complaints/track/not-a-real-code"):
        r = await api.get(path)
        assert r.status_code == 404 and r.headers["referrer-policy"] == "no-referrer", path
        assert_strict(r)
    assert (await api.get("/records")).headers["referrer-policy"] == "same-origin"


async def test_hsts_only_over_https_and_docs_alone_relaxed(api, temporal_client) -> None:
    app = create_app()
    app.state.temporal = temporal_client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://chengxin.test") as secure:
        r = await secure.get("/")
        assert r.headers["strict-transport-security"] == "max-age=31536000"
    docs = await api.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    policy = csp(docs)
    assert "'unsafe-inline'" in policy["script-src"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in (await api.get("/")).headers["content-security-policy"]
