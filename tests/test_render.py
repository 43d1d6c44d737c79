"""Renderers: exact numbers in every format."""

import csv
import io
import json
from fractions import Fraction

import pytest

from mobicalc.numbers import exact_decimal, grouped, human, percent
from mobicalc.render.machine import render_csv, render_json
from mobicalc.render.target import Target
from mobicalc.render.terminal import render_rich
from mobicalc.render.text import render_markdown, render_text
from mobicalc.views.model import Column, Style, View


@pytest.mark.parametrize(
    ("value", "text"),
    [(568740352, "568740352"), (Fraction(1234567, 4), "308641.75"), (Fraction(-1, 8), "-0.125"),
     (Fraction(96, 5), "19.2"), (Fraction(1, 400), "0.0025"), (Fraction(10, 1), "10"),
     (Fraction(3, 10**70), "0." + "0" * 69 + "3"), (Fraction(1, 3), "1/3")],
)  # fmt: skip
def test_exact_decimal(value, text):
    assert exact_decimal(value) == text


def test_grouped_and_human():
    assert grouped(568740352) == "568,740,352"
    assert grouped(Fraction(1234567, 4)) == "308,641.75"
    assert human(568740352) == "568.7M"
    assert human(4253864) == "4.254M"
    assert human(10**12 + 1) == "1T"
    assert human(999) == "999"
    assert human(Fraction(1, 3)) == "0.3333"
    assert human(1500 * 10**12) == "1500T"
    assert human(10**310) == "1e+298T"  # float() would overflow
    assert human(999_950) == "1M"  # 999.95K to 4 digits is 1000K: one unit up
    assert human(999_949) == "999.9K"


def test_percent_of_any_size():
    assert percent(Fraction(1, 8)) == "12.50%"
    assert percent(Fraction(10**400)) == "1" + "0" * 402 + ".00%"


def test_json_keeps_a_never_ending_fraction_exact_as_a_string():
    assert json.loads(render_json({"alpha": Fraction(1, 3), "macs": Fraction(5, 2)})) == {
        "alpha": "1/3",
        "macs": 2.5,
    }


SHEET = View(
    "demo",
    (Column("name", "name"), Column("MACs", "MACs", Style.COUNT), Column("share", "share", Style.SHARE)),
    rows=[
        {"name": "a|b", "MACs": 1234567, "share": Fraction(1, 4)},
        {"name": "c", "MACs": Fraction(5, 2), "share": Fraction(3, 4)},
    ],
    notes=["a note"],
)


def test_csv_keeps_raw_exact_values():
    rows = list(csv.reader(io.StringIO(render_csv(SHEET))))
    assert rows == [["name", "MACs", "share"], ["a|b", "1234567", "0.25"], ["c", "2.5", "0.75"]]


def test_markdown_table_escapes_pipes_and_groups_digits():
    text = render_markdown([SHEET])
    assert "| a\\|b | 1,234,567 | 25.00% |" in text
    assert "| --- | ---: | ---: |" in text
    assert "a note" in text


def test_json_is_valid_and_exact():
    document = {"macs": 10**15 + 1, "fraction": Fraction(1, 8), "nested": [{"x": [1, 2]}], "empty": {}}
    text = render_json(document)
    assert json.loads(text) == {"macs": 10**15 + 1, "fraction": 0.125, "nested": [{"x": [1, 2]}], "empty": {}}
    assert '"fraction": 0.125' in text


def test_rich_tables_draw_bars_on_a_terminal():
    output = render_rich([SHEET], Target(width=200, rich=True))
    assert "1,234,567" in output
    assert "75.00% ██████████" in output  # the largest share gets the full bar
    assert "25.00% ███▍" in output  # a third of it: 10 x 8 / 3 = 26.7 -> 27 eighths, 3 blocks + 3/8


def test_plain_text_aligns_columns():
    text = render_text([SHEET], Target())
    lines = text.splitlines()
    assert lines[0] == "demo"
    assert lines[2].split() == ["name", "MACs", "share"]
    assert lines[4].endswith("1,234,567  25.00%")
    assert lines[5].endswith("      2.5  75.00%")
