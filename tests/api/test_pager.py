"""Public lists link a handful of pages, not every page: the first, the last, two either side, 上一页/下一页."""

from __future__ import annotations

import re
from html import unescape

from api.pages.templating import templates


def _links(page: int, pages: int) -> list[str]:
    macro = templates.env.get_template("pages/_pager.html.j2").module.pager  # type: ignore[attr-defined]
    html = str(macro(page, pages, "&q=%E6%B0%B4"))
    assert all(unescape(href).endswith("&q=%E6%B0%B4") for href in re.findall(r'href="([^"]+)"', html))
    return re.findall(r">([^<>]+)</(?:a|strong)>", html)


def test_a_long_list_links_its_ends_and_the_pages_near_this_one() -> None:
    assert _links(10, 5000) == ["上一页", "1", "8", "9", "10", "11", "12", "5000", "下一页"]


def test_the_first_and_last_pages_have_no_link_beyond_them() -> None:
    assert _links(1, 3) == ["1", "2", "3", "下一页"]
    assert _links(3, 3) == ["上一页", "1", "2", "3"]


def test_a_single_page_needs_no_pager() -> None:
    assert _links(1, 1) == []
