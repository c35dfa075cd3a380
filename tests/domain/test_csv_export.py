"""The CSV helper quotes formula-like text only: typed numbers, negative ones included, stay numbers."""

from __future__ import annotations

import csv
import io

from domain.csv_export import csv_bytes


def test_text_that_starts_like_a_formula_is_quoted_numbers_are_not() -> None:
    raw = csv_bytes(["n", "x", "t"], [{"n": -3, "x": 2.5, "t": "-3"}, {"n": 0, "x": None, "t": "\tcmd"},
                                      {"n": 1, "x": True, "t": "\r=1"}, {"n": 2, "t": "a=b", "extra": "=1"}])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [["n", "x", "t"], ["-3", "2.5", "'-3"], ["0", "", "'\tcmd"], ["1", "True", "'\r=1"],
                    ["2", "", "a=b"]]
