"""/docs and /redoc work with no internet: every script, stylesheet and icon they name is served here."""

from __future__ import annotations

import re

from tests.api.test_security_headers import csp


async def test_docs_reference_no_external_host_and_their_assets_are_served(api) -> None:
    for page in ("/docs", "/redoc"):
        r = await api.get(page)
        assert r.status_code == 200
        assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text, page
        assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
        assert assets, page
        for url in assets:
            assert url.startswith("/"), url
            asset = await api.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url
        policy = csp(r)
        assert not any("http" in source for sources in policy.values() for source in sources), policy
    swagger = await api.get("/docs")
    assert "/docs-assets/swagger-ui-bundle.js" in swagger.text and "/openapi.json" in swagger.text
    assert (await api.get("/openapi.json")).json()["info"]["title"]
