"""Renderers: exact numbers in every format."""

import csv
import io
import json
from fractions import Fraction

import pytest

from mobicalc.numbers import exact_decimal, grouped, human, percent
from mobicalc.render.machine import BATCH, csv_chunks, json_chunks, render_csv, render_json
from mobicalc.render.target import Target
from mobicalc.render.terminal import render_rich
from mobicalc.render.text import render_markdown, render_text
from mobicalc.views.model import Block, Column, Style, View


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


def test_a_percentage_never_rounds_into_saying_something_else():
    # 568,740,352 MACs against a budget of 568,740,351.5: over by 0.5 / 568,740,351.5 = 8.79e-10, so
    # 100.0000000879...%: it takes 7 decimals to read as more than 100%
    assert percent(Fraction(568740352) / Fraction("568740351.5")) == "100.0000001%"
    assert percent(Fraction(99999, 100000)) == "99.999%"  # under by 0.001%: never "100.00%"
    assert percent(Fraction(64, 10**9)) == "<0.01%"  # 0.0000064%: never "0.00%"
    assert percent(Fraction(1, 20000)) == "<0.01%"  # 0.005% rounds (half to even) to 0.00
    assert (percent(0), percent(1), percent(Fraction(1, 10000))) == ("0.00%", "100.00%", "0.01%")


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


def test_csv_writes_each_value_as_json_does():
    """A measured float and a share are floats for machines: CSV writes the shortest text that reads back
    as the same float, the text JSON writes, never the float's binary value to 17 digits."""
    view = View(
        "measured",
        (Column("use", "use", Style.SHARE), Column("time", "time", Style.SECONDS)),
        rows=[{"use": Fraction(568740352, 400), "time": 0.000073946}, {"use": Fraction(4816896, 8 * 10**6),
              "time": 0.0000174149}],
    )  # fmt: skip
    rows = list(csv.reader(io.StringIO(render_csv(view))))
    # 568,740,352 / 400 = 1,421,850.88 and 4,816,896 / 8,000,000 = 0.602112 exactly; the times as measured
    assert rows[1:] == [["1421850.88", "7.3946e-05"], ["0.602112", "1.74149e-05"]]
    records = json.loads(render_json({"rows": view}))["rows"]
    assert [[str(record["use"]), str(record["time"])] for record in records] == rows[1:]


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


# --- views in blocks: written as they are made, in the text their rows' dicts would give ---------------

BLOCK_COLUMNS = (
    Column("alpha", "alpha", Style.DECIMAL),
    Column("size", "size", Style.SIZE),
    Column("macs", "MACs", Style.COUNT),
    Column("name", "name"),
    Column("50%", "odd key", Style.TEXT),
    Column("missing", "in no row"),
    Column("ok", "ok", Style.VERDICT),
)
ODD_VALUES = [None, True, False, 0, -7, 10**40, Fraction(3, 4), Fraction(1, 3), "plain", 'a "quoted", comma',
              "two\nlines", "100% %s %d", "ünï", [192, 256], [], {"x": 1}]  # fmt: skip


def _blocks():
    """Three blocks: keys in the columns' order, keys out of it (and one no column has), no rows."""
    yield Block({"alpha": Fraction(1, 4), "name": "a,b"}, ("size", "macs", "50%", "ok"),
                [(128, 5, "x", True), ([192, 256], 6, '"q"', False)])  # fmt: skip
    yield Block({"alpha": Fraction(1, 3), "ok": None, "name": "5% %s off"}, ("extra", "macs", "size"),
                [(value, value, value) for value in ODD_VALUES])  # fmt: skip
    yield Block({"alpha": 1}, ("macs",), [])


def _views():
    streamed = View("blocks", BLOCK_COLUMNS, blocks=_blocks)
    return streamed, View("rows", BLOCK_COLUMNS, [dict(row) for row in streamed.rows])


def test_a_view_in_blocks_is_written_as_its_rows_would_be():
    streamed, listed = _views()
    assert streamed.blocks is not None and listed.blocks is None
    assert len(listed.rows) == 2 + len(ODD_VALUES)
    streamed = View("blocks", BLOCK_COLUMNS, blocks=_blocks)  # its rows not made yet
    assert render_csv(streamed) == render_csv(listed)
    document = {"first": 1, "nested": {"rows": streamed, "after": [1, 2]}, "last": None}
    expected = render_json({"first": 1, "nested": {"rows": listed, "after": [1, 2]}, "last": None})
    assert render_json(document) == expected
    assert json.loads(expected)["nested"]["rows"][2 + ODD_VALUES.index(10**40)]["macs"] == 10**40
    assert render_json([streamed]) == render_json([listed])  # inside a list: written whole, the same


def test_an_empty_view_in_blocks():
    empty = View("none", BLOCK_COLUMNS, blocks=lambda: iter(()))
    assert render_json({"rows": empty}) == render_json({"rows": View("none", BLOCK_COLUMNS, [])})
    assert render_csv(empty) == "alpha,size,macs,name,50%,missing,ok\n"


def test_rows_in_blocks_are_made_a_batch_at_a_time():
    """The first piece of output is written before most rows are made: memory stays bounded."""
    made = []

    def rows():
        for index in range(10 * BATCH):
            made.append(index)
            yield (index, index, True)

    view = View("many", BLOCK_COLUMNS, blocks=lambda: [Block({"alpha": 1}, ("size", "macs", "ok"), rows())])
    for chunks in (csv_chunks(view), json_chunks({"rows": view})):
        made.clear()
        pieces = iter(chunks)
        while len(made) == 0:
            next(pieces)
        assert len(made) <= BATCH
        assert sum(1 for _ in pieces) >= 9  # and the rest, batch by batch


# --- long names: folded to fit the width, never a cut number -----------------------------------------

LONG = "convnext_tiny_stage_3_block_2_pointwise_conv_1"  # 46 characters
NAMED = View(
    "names",
    (Column("name", "layer", wraps=True), Column("macs", "MACs", Style.COUNT), Column("params", "params",
     Style.COUNT, 2)),
    rows=[{"name": LONG, "macs": 115605504, "params": 37248}, {"name": "add", "macs": 0, "params": 0}],
)  # fmt: skip


def _names(lines: list[str], width: int) -> list[str]:
    """The first column's texts, each folded one joined again (a continuation line starts indented)."""
    names: list[str] = []
    for line in lines:
        text = line[:width].strip()
        if line.startswith("  "):
            names[-1] += text
        else:
            names.append(text)
    return names


@pytest.mark.parametrize("rich", [False, True])
def test_a_long_name_continues_on_its_own_lines_to_fit(rich):
    target = Target(width=48, rich=rich, unicode=False)
    text = (render_rich if rich else render_text)([NAMED], target)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 48
    rule = next(index for index, line in enumerate(lines) if line.startswith("--"))
    body = lines[rule + 1 : rule + 4]  # the long name on two lines, then add
    width = lines[rule - 1].index("MACs") + len("MACs") - 11 - 2  # MACs: right-aligned, 11 wide
    # every column shown: the name takes what 115,605,504 (11) and "params" (6) leave of 48, two spaces
    # between columns, and folds after its separators, never inside block_2
    assert width <= 48 - 2 - 11 - 2 - len("params")
    assert body[0].split() == ["convnext_tiny_stage_3_", "115,605,504", "37,248"]
    assert body[1].rstrip() == "  block_2_pointwise_conv_1"
    assert _names(body, width) == [LONG, "add"]


def test_wide_and_machines_keep_a_long_name_whole():
    assert LONG in render_text([NAMED], Target(width=40, wide=True)).splitlines()[4]
    assert LONG in render_csv(NAMED) and LONG in render_markdown([NAMED])


def test_a_name_without_separators_is_cut_only_to_fit():
    name = "x" * 50
    view = View("names", NAMED.columns, rows=[{"name": name, "macs": 1, "params": 1}])
    lines = render_text([view], Target(width=40)).splitlines()
    assert max(map(len, lines)) <= 40
    width = len(lines[3].split()[0])
    assert _names(lines[4:], width) == [name]
