"""One reading of numbers everywhere (numbers.read_number): the same spelling means the same value, or
the same refusal, in table's and sweep's options, sizes, ranges, budgets and the Python API."""

from fractions import Fraction

import pytest
from helpers import run, run_json

import mobicalc
from mobicalc.count.arguments import read_resolution, read_shapes
from mobicalc.numbers import NumberError, read_bytes, read_count, read_number

ARABIC_128 = "\u0661\u0662\u0668"  # Arabic-Indic digits one, two, eight: int() reads them as 128


@pytest.mark.parametrize(
    ("text", "value"),
    [("224", 224), ("0.75", Fraction(3, 4)), (".5", Fraction(1, 2)), ("1.", 1), (" 0.6 ", Fraction(3, 5))],
)
def test_decimal_spellings_are_read_exactly(text, value):
    assert read_number(text) == value


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("+1", "is not a number"),
        ("1e0", "is not a number"),
        ("1_0", "is not a number"),
        (ARABIC_128, "is not a number"),
        ("inf", "is not a number"),
        ("nan", "is not a number"),
        ("0x10", "is not a number"),
        ("1.2.3", "is not a number"),
        ("", "is not a number"),
        ("-0.5", "is negative"),
        ("0", "is not positive"),
        ("0.000", "is not positive"),
    ],
)
def test_other_spellings_are_refused_with_the_rule(text, rule):
    with pytest.raises(NumberError, match=rule):
        read_number(text, "alpha")


@pytest.mark.parametrize("text", ["128.0", "1.5", ".5", "+128", "1_28", ARABIC_128, "1e2"])
def test_a_whole_number_is_digits_only(text):
    with pytest.raises(NumberError, match="is not a whole number: write digits 0-9 only"):
        read_number(text, "resolution", whole=True)


def test_zero_is_read_where_zero_is_allowed():
    assert read_number("0", whole=True, positive=False) == 0


# --- the same in every command -------------------------------------------------------------------

WHOLE_SPELLINGS = ["+128", "1_28", ARABIC_128, "1e2", "128.0"]
"""Spellings of 128 that table (int()) and sweep (a regex) read differently before one parser."""


@pytest.mark.parametrize("text", WHOLE_SPELLINGS)
@pytest.mark.parametrize(
    "command",
    [
        ["table", "v1", "--resolution", "{}"],
        ["table", "v1", "--resolution", "{}x256"],
        ["table", "v1", "--classes", "{}"],
        ["sweep", "v1", "--alpha", "1", "--resolution", "{}"],
        ["sweep", "v1", "--alpha", "1", "--resolution", "{}x256"],
        ["sweep", "v1", "--alpha", "1", "--resolution", "96:{}:32"],
        ["ratio", "--N", "{}", "--dk", "3"],
    ],
)
def test_every_command_refuses_the_same_whole_number_spellings(command, text):
    result = run(*(part.format(text) for part in command), code=2)
    assert "not a whole number" in result.output


DECIMAL_SPELLINGS = ["+1", "1_0", "1e0", "\u0661", "inf"]


@pytest.mark.parametrize("text", DECIMAL_SPELLINGS)
@pytest.mark.parametrize(
    "command",
    [
        ["table", "v1", "--alpha", "{}"],
        ["sweep", "v1", "--alpha", "{}", "--resolution", "224"],
        ["sweep", "v1", "--alpha", "0.5:{}:0.25", "--resolution", "224"],
        ["ratio", "--N", "64", "--dk", "3", "--alpha", "{}"],
    ],
)
def test_every_command_refuses_the_same_decimal_spellings(command, text):
    result = run(*(part.format(text) for part in command), code=2)
    assert "is not a number: write digits 0-9 with at most one decimal point" in result.output


@pytest.mark.parametrize("text", DECIMAL_SPELLINGS)
def test_the_python_api_reads_a_string_as_the_cli_does(text):
    with pytest.raises(mobicalc.MobicalcError, match="is not a number"):
        mobicalc.cost("v1", alpha=text)
    with pytest.raises(mobicalc.MobicalcError, match="is not a number"):
        mobicalc.sweep("v1", [text], [224])


@pytest.mark.parametrize("budget", ["1_000M", "1e9", "\u0661G", "+1G"])
def test_budgets_take_the_same_digits(budget):
    assert "is not a count" in run("check", "v1", "--max-macs", budget, code=2).output


def test_a_value_spelt_two_ways_is_one_value_in_table_and_sweep():
    """0.5 as ".5" and "0.50": one width, the same count from table and from sweep (and sweep keeps
    it once, as the same value given twice)."""
    table = run_json("table", "v1", "--alpha", ".5", "--format", "json")["totals"]["macs"]
    assert run_json("table", "v1", "--alpha", "0.50", "--format", "json")["totals"]["macs"] == table
    sweep = run_json("sweep", "v1", "--alpha", ".5,0.50", "--resolution", "224", "--format", "json")
    assert [row["macs"] for row in sweep["configurations"]] == [table]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--threads", "+2"], "'+2' is not a whole number"),
        (["--threads", "2.0"], "'2.0' is not a whole number"),
        (["--threads", "1025"], "1025 is out of range: from 0 to 1024"),
        (["--rounds", "0"], "'0' is not positive"),
        (["--rounds", "1_0"], "'1_0' is not a whole number"),
    ],
)
def test_bench_counts_are_read_the_same_way(args, message):
    """Refused as options, before TensorFlow is imported."""
    assert message in run("bench", "v1", *args, code=2).output


@pytest.mark.parametrize(
    ("budget", "macs"), [("300M", 300 * 10**6), ("300m", 300 * 10**6), ("300 M", 300 * 10**6)]
)
def test_a_count_suffix_in_either_case_and_after_one_space(budget, macs):
    assert read_count(budget) == macs


def test_a_lowercase_b_is_a_bit_not_a_byte():
    with pytest.raises(NumberError, match="b is a bit; write B for bytes"):
        read_bytes("8Mb")
    assert read_bytes("8 MB") == read_bytes("8mB") == 8 * 10**6


@pytest.mark.parametrize("text", ["64x64x3", "64X64X3", " 64 x 64 x 3 "])
def test_an_input_shape_is_spelt_as_a_resolution_is(text):
    """--input-shape reads x or X with spaces around it, as --resolution does (192X256)."""
    assert read_shapes(text) == [(64, 64, 3)]
    assert read_resolution("64X64") == 64


@pytest.mark.parametrize("text", ["64x64x", "1e2", "+3", "0x3", "3.0", ",", "6\u0664"])
def test_an_input_shape_takes_whole_numbers_only(text):
    with pytest.raises(NumberError, match="is not a list of shapes"):
        read_shapes(text)
