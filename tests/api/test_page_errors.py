"""Bad periods and parameters on every page are a zh-CN page with a 4xx status, never a 500 and never the
API's JSON. The routes are read off the app itself, so a new page is walked without touching this test."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import quote

import httpx
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from api.app import create_app
from api.pages.errors import NOT_PAGES
from tests.api.test_staff_pages import _login

BAD = ["abc", "-1", "0", "1900", "99999", "1900Q1", "2026Q5", "2026-13", "2000Q1", "99999999999999999999",
       "x" * 300, "\x00", "<script>", "nope", "1.5", " ", "%"]
ENGLISH = re.compile(r"Field required|Input should|Not Found|Internal Server Error|value_error|\"detail\"")


def all_routes(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The app's routes, with those of included routers (FastAPI keeps an included router as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from all_routes(included.routes) if included is not None else (route,)


def page_routes() -> list[APIRoute]:
    """Every GET page of the app: a route outside the API's schema, not the docs or data files."""
    return [r for r in all_routes(create_app().routes) if isinstance(r, APIRoute) and "GET" in r.methods
            and not r.include_in_schema and not r.path.startswith(NOT_PAGES)]


def urls(route: APIRoute) -> list[tuple[str, dict[str, str]]]:
    """The route with each bad value in every path parameter, and in each query parameter in turn."""
    names = [p.name for p in route.dependant.path_params]
    fill = {n: "1" for n in names}
    out = [(route.path.format(**dict.fromkeys(names, quote(v, safe=""))), {}) for v in BAD] if names else []
    out += [(route.path.format(**fill), {q.name: v}) for q in route.dependant.query_params for v in BAD]
    return out or [(route.path, {})]


def assert_page(r: httpx.Response, what: str) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("text/html"), (what, r.status_code, r.text[:300])
        assert '<html lang="zh-CN">' in r.text and not ENGLISH.search(r.text), (what, r.text[:500])


async def test_every_page_route_is_walked() -> None:
    paths = {r.path for r in page_routes()}
    assert {"/", "/ranking", "/commitments", "/records", "/departments/{code}", "/staff/{kind_name}/{case_id}",
            "/admin/calendar", "/about/deadlines", "/open-data"} <= paths


async def test_bad_values_on_every_page_are_a_zh_cn_4xx_page(api, tokens) -> None:
    routes = page_routes()
    statuses: dict[int, int] = {}
    for who in (None, "admin", "xyb", "fgw"):
        if who:
            await _login(api, who)
        else:
            api.cookies.clear()
        for route in routes:
            for path, params in urls(route):
                r = await api.get(path, params=params)
                assert_page(r, f"{who} GET {path} {params}")
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    assert statuses.get(422, 0) > 100 and statuses.get(404, 0) > 50  # the walk reached the pages' checks


async def test_the_reported_cases(api) -> None:
    for path, params, status in [("/ranking", {"period": "1900"}, 422), ("/ranking", {"period": "99999"}, 422),
                                 ("/ranking", {"period": "2000Q1"}, 200),
                                 ("/commitments", {"page": "abc"}, 422), ("/commitments", {"department": "nope"}, 422),
                                 ("/commitments", {"state": "nope"}, 422), ("/records", {"page": "-1"}, 422),
                                 ("/commitments", {"figure": "nope", "period": "2026Q1"}, 422),
                                 ("/records", {"figure": "breached", "period": "2026Q1"}, 422),
                                 ("/commitments", {"period": "2026Q1"}, 422),
                                 ("/commitments/abc", {}, 422), ("/departments/nope", {}, 404)]:
        r = await api.get(path, params=params)
        assert r.status_code == status, (path, params, r.status_code)
        assert_page(r, f"{path} {params}")
    r = await api.get("/commitments", params={"page": "abc"})
    assert "页码：应为整数" in r.text  # the field named in Chinese, with what is wrong
    r = await api.get("/ranking", params={"period": "1900"})
    assert "年份在 2000 至 2100 之间" in r.text
    # an unknown address asked for by a browser is a page; the API's unknown address stays JSON
    r = await api.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and '<html lang="zh-CN">' in r.text and "Not Found" not in r.text
    r = await api.get("/api/no-such-thing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await api.get("/api/reports/departments", params={"period": "1900"})
    assert r.headers["content-type"] == "application/problem+json"
