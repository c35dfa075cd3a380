"""The one CSV writer of every export (open data, department reports): UTF-8 with BOM, so spreadsheet
programs read the Chinese, and text cells that a spreadsheet would run as a formula neutralised
(OWASP CSV injection): a title like "=HYPERLINK(...)" comes out as "'=HYPERLINK(...)"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that starts like a formula gets a leading single quote; numbers (typed int/float) and
    everything else are written as they are, so -3 stays a number."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(fields: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """A header row of `fields`, then one row per mapping (other keys ignored, missing ones empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
