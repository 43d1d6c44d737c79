"""Bad input: a one-line message naming what was wrong, a non-zero exit, never a traceback."""

import csv
import io
import json
import os
from fractions import Fraction

import pytest
from click.testing import CliRunner
from helpers import mobicalc_process

from mobicalc.cli import main

RATIO = ["ratio", "--N", "512", "--dk", "3"]


def invoke(args):
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # ratio: every number validated at the edge
        (["ratio", "--dk", "3"], "Missing option '--N'"),
        (["ratio", "--N", "512"], "Missing option '--dk'"),
        (["ratio", "--N", "0", "--dk", "3"], "'--N' / '--n': '0' is not positive"),
        (["ratio", "--N", "-1", "--dk", "3"], "'-1' is negative: give a positive number"),
        (["ratio", "--N", "1.5", "--dk", "3"], "'1.5' is not a whole number: write digits 0-9 only"),
        (["ratio", "--N", "512", "--dk", "0"], "'--dk': '0' is not positive"),
        (["ratio", "--N", "512", "--dk", "three"], "'three' is not a whole number"),
        ([*RATIO, "--M", "0"], "'--M' / '--m': '0' is not positive"),
        ([*RATIO, "--dp", "-14"], "'--dp': '-14' is negative"),
        ([*RATIO, "--alpha", "0"], "'--alpha': '0' is not positive"),
        ([*RATIO, "--alpha", "-0.5"], "'-0.5' is negative"),
        (
            [*RATIO, "--alpha", "nan"],
            "'nan' is not a number: write digits 0-9 with at most one decimal point",
        ),
        ([*RATIO, "--alpha", "1e400"], "'1e400' is not a number"),
        ([*RATIO, "--alpha", "1000"], "out of range: at most 100"),
        ([*RATIO, "--alpha", "0.001"], "alpha x M is 0"),  # int(512 x 0.001) = 0 channels
        # exact rounding keeps 512 x 0.001 = 0.512 channels: still less than one
        ([*RATIO, "--alpha", "0.001", "--rounding", "exact"], "alpha x M is 0.512: a layer needs at least 1"),
        (
            ["ratio", "--N", "3", "--dk", "3", "--alpha", "0." + "0" * 96 + "1", "--rounding", "exact"],
            "alpha x M is 3e-97",
        ),
        ([*RATIO, "--rho", "inf"], "'--rho': 'inf' is not a number"),
        ([*RATIO, "--rho", "0.01"], "rho x Dp is 0"),  # Dp 1 x 0.01 rounds to 0
        ([*RATIO, "--rounding", "ceil"], "'ceil' is not one of"),
        ([*RATIO, "--format", "xml"], "'xml' is not one of 'table', 'json', 'csv', 'markdown'"),
        ([*RATIO, "--colour"], "No such option"),  # Click words the rest differently across releases
        # table: models, knobs, and networks the knobs break
        (["table"], "give a model (v1, v2, v3-large or v3-small) or --arch FILE"),
        (["table", "v3"], "'v3' is not one of 'v1', 'v2'"),
        (["table", "v1", "--arch", "x.toml"], "not both"),
        (["table", "v1", "--alpha", "abc"], "'abc' is not a number"),
        (["table", "v1", "--alpha", "inf"], "'inf' is not a number"),
        (["table", "v1", "--alpha", "0.001"], "layer conv1: alpha 0.001 leaves 0 channels"),
        (["table", "v2", "--alpha", "0.0001", "--rounding", "int"], "leaves 0 channels"),
        (["table", "v1", "--alpha", "0.01", "--rounding", "exact"], "conv1: alpha 0.01 leaves 0.32 channels"),
        (["table", "v1", "--resolution", "16"], "resolution 16 is too small for MobileNetV1"),
        (["table", "v1", "--resolution", "30"], "resolution 30 is too small"),
        (["table", "v1", "--resolution", "0"], "'--resolution': '0' is not positive"),
        (["table", "v1", "--resolution", "12.5"], "'12.5' is not a whole number"),
        # non-square sizes, input channels, depth multipliers
        (["table", "v1", "--resolution", "0x5"], "'0x5': the height '0' is not positive"),
        (["table", "v1", "--resolution", "5x0"], "'5x0': the width '0' is not positive"),
        (["table", "v1", "--resolution", "12x"], "'12x' is not an input size: give one positive integer"),
        (["table", "v1", "--resolution", "x12"], "'x12' is not an input size"),
        (["table", "v1", "--resolution", "1.5x2"], "'1.5x2': the height '1.5' is not a whole number"),
        (["table", "v1", "--resolution", "2x-3"], "'2x-3': the width '-3' is negative"),
        (["table", "v1", "--resolution", "3x4x5"], "'3x4x5' is not an input size"),
        (["table", "v1", "--resolution", "2x" + "9" * 1001], "the width 999999999999... (1,001 characters)"),
        (["table", "v1", "--resolution", "224x16"], "resolution 224x16 is too small for MobileNetV1"),
        (["check", "v1", "--max-macs", "1G", "--resolution", "x"], "'x' is not an input size"),
        (["verify", "v1", "--resolution", "0x1"], "the height '0' is not positive"),
        (["table", "v1", "--input-channels", "0"], "'--input-channels': '0' is not positive"),
        (["table", "v1", "--depth-multiplier", "1.5"], "'1.5' is not a whole number"),
        (["table", "v2", "--depth-multiplier", "2"], "depth multiplier 2: MobileNetV2 has bottleneck rows"),
        (["check", "v3-small", "--max-macs", "1G", "--depth-multiplier", "2"], "has bottleneck rows"),
        (["table", "v1", "--classes", "0"], "'--classes': '0' is not positive"),
        (["table", "v1", "--classes", "ten"], "'ten' is not a whole number"),
        (["table", "v1", "--format", "yaml"], "'yaml' is not one of"),
        (["table", "v1", "--rounding", "up"], "'up' is not one of"),
        # check: budgets
        (["check", "v1"], "give at least one budget"),
        (["check", "v1", "--max-macs", "lots"], "'lots' is not a count"),
        (["check", "v1", "--max-params", "-4M"], "'-4M' is not a count"),
        (["check", "v1", "--max-flops", "1.2.3G"], "'1.2.3G' is not a count"),
        (["check", "v1", "--max-macs", "0.0M"], "'0.0M' is not a budget: give a positive count"),
        (["check", "v1", "--max-macs", "²"], "'²' is not a count"),  # isdigit() says yes; Fraction says no
        (["check", "--max-macs", "1M"], "give a model (v1, v2, v3-large or v3-small) or --arch FILE"),
        # commands
        (["tabel", "v1"], "No such command 'tabel'"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("layers = [", "invalid TOML"),
        ("layers = []", "needs a non-empty 'layers' list"),
        ("layers = [{ operator = 'transformer' }]", "layer 1: field 'operator' is 'transformer'"),
        ("layers = [{ operator = 'conv', s = 2 }]", "layer 1 (conv): missing field 'c'"),
        ("layers = [{ operator = 'conv', c = -8 }]", "layer 1 (conv): field 'c' must be a positive integer, got -8"),
        ("layers = [{ operator = 'pool' }, { operator = 'separable', c = 0 }]", "layer 2 (separable): field 'c'"),
        ("layers = [{ operator = 'bottleneck', c = 8 }]", "layer 1 (bottleneck): missing field 't'"),
        ("layers = [{ operator = 'pool', c = 8 }]", "layer 1 (pool): field 'c' does not apply"),
        # Shapes that collapse: a 7x7 kernel, no padding, on a 4x4 input.
        ("resolution = 4\nlayers = [{ operator = 'conv', c = 8, kernel = 7, padding = 'valid' }]",
         "layer conv1: a 4x4 input with 7x7 kernel, stride 1 and padding 'valid' leaves no pixels"),
        ("layers = [{ operator = 'conv', c = 8 }, { operator = 'classifier' }]", "classifier: needs a 1x1 input"),
    ],
)  # fmt: skip
def test_bad_architecture_files(tmp_path, content, message):
    path = tmp_path / "net.toml"
    if content is not None:
        path.write_text(content)
    result = invoke(["table", "--arch", str(path)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "net.toml" in result.output


def test_arch_directory_and_unreadable(tmp_path):
    assert "is a directory" in invoke(["table", "--arch", str(tmp_path)]).output
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    result = invoke(["table", "--arch", str(binary)])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_errors_are_one_line():
    result = invoke(["table", "v1", "--resolution", "16"])
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1
    assert result.output.rstrip().splitlines()[-1] == error_lines[0]


def test_no_top_that_leaves_no_layers(tmp_path):
    path = tmp_path / "head.toml"
    path.write_text("layers = [{ operator = 'pool' }, { operator = 'classifier' }]")
    result = invoke(["table", "--arch", str(path), "--no-top"])
    assert result.exit_code == 2, result.output
    assert "head.toml" in result.output
    assert "--no-top leaves nothing" in result.output


def test_a_path_with_a_nul_byte():
    # Only Python callers can pass one (no shell can), but it must not escape as a ValueError.
    result = invoke(["table", "--arch", "net\x00.toml"])
    assert result.exit_code == 2
    assert "cannot read" in result.output


TEN_TO = {digits: "1" + "0" * int(digits) for digits in ("160", "310", "400")}
NINES = "9" * 1000  # the longest count an option takes


@pytest.mark.parametrize("output_format", ["table", "json", "csv", "markdown"])
def test_absurdly_large_numbers_are_counted_exactly(output_format):
    """Python ints have no ceiling, so neither do the counts: no overflow, no rounding."""
    classes = int(TEN_TO["310"])
    result = invoke(["table", "v1", "--classes", TEN_TO["310"], "--format", output_format])
    assert result.exit_code == 0, result.output
    # The classifier: 1024 inputs x 10**310 outputs of MACs; weights plus one bias per class.
    if output_format == "json":
        layer = json.loads(result.output)["layers"][-1]
        assert (layer["macs"], layer["params"]) == (1024 * classes, 1025 * classes)
    else:
        assert f"{1024 * classes}" in result.output.replace(",", "")
    for args, exit_code in (
        (["table", "v1", "--resolution", TEN_TO["160"], "--format", output_format], 0),
        (["ratio", "--N", TEN_TO["400"], "--dk", "3", "--format", output_format], 0),
        # Far over budget: exit 1, the verdict, not a crash.
        (["check", "v2", "--resolution", TEN_TO["160"], "--max-macs", "1T", "--format", output_format], 1),
        # Past Python's 4,300-digit guard on int <-> str: MACs of some 6,000 digits from 1,000-digit inputs.
        (["ratio", "--N", NINES, "--M", NINES, "--dk", NINES, "--dp", NINES, "--format", output_format], 0),
        (["table", "v1", "--resolution", NINES, "--classes", NINES, "--format", output_format], 0),
        (["check", "v1", "--classes", NINES, "--max-params", "4.3M", "--format", output_format], 1),
    ):
        assert invoke(args).exit_code == exit_code, args[:2]


def test_ratio_keeps_every_channel_past_float_precision():
    # int((2**53 + 1) x 1.0) in floating point is 2**53: Keras' arithmetic would lose a channel.
    N = 2**53 + 1
    data = json.loads(invoke(["ratio", "--N", str(N), "--dk", "3", "--format", "json"]).output)
    assert data["inputs"]["N"] == N
    assert data["pointwise"]["macs"] == N * N


def test_exact_rounding_with_a_long_alpha_prints_every_digit():
    alpha = "0.1234567890123456789012345678901234567"  # 37 decimals, past any float
    result = invoke(["table", "v1", "--alpha", alpha, "--rounding", "exact", "--format", "csv"])
    assert result.exit_code == 0, result.output
    first = next(csv.DictReader(io.StringIO(result.output)))
    # conv1: 3x3 kernel, 3 input channels, 32 x alpha output channels on a 112x112 output;
    # its params add batch-norm's 4 per channel (no bias).
    channels = 32 * Fraction(alpha)
    assert Fraction(first["macs"]) == 3 * 3 * 3 * channels * 112 * 112
    assert Fraction(first["params"]) == 3 * 3 * 3 * channels + 4 * channels


def assert_one_error_line(stderr: str, message: str) -> None:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, stderr
    assert stderr.rstrip().splitlines()[-1] == errors[0]
    assert message in errors[0]


def test_a_fifo_with_no_writer_does_not_hang(tmp_path):
    fifo = tmp_path / "net.toml"
    os.mkfifo(fifo)
    # A real process: what a FIFO or a device does depends on the process, not on CliRunner.
    result = mobicalc_process("table", "--arch", str(fifo), capture_output=True, text=True)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"{fifo}: not a regular file (a FIFO)")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused(device):
    result = mobicalc_process("table", "--arch", device, "--format", "json", capture_output=True, text=True)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, f"{device}: not a regular file (a character device)")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.symlink_to(path), "cannot read: too many levels of symbolic links"),
        (lambda path: path.write_bytes(b"#" * (1 << 20) + b"\n"), "is larger than the 1 MiB a table may be"),
        (lambda path: path.write_text("x = " + "[" * 5000), "nests too deep"),
        (lambda path: path.write_text("a" + ".b" * 5000 + " = 1"), "a dotted key has more than 32 parts"),
        (lambda path: path.write_text("layers = [{ operator = 'conv', c = 8, n = 1000000000 }]"),
         "layer 1 (conv): n = 1000000000 takes the table past 100,000 layers"),
        (lambda path: path.write_text("resolution = " + "9" * 100_000), "a number has more than 1,000 digits"),
    ],
)  # fmt: skip
def test_hostile_architecture_files(tmp_path, make, message):
    path = tmp_path / "net.toml"
    make(path)
    result = invoke(["table", "--arch", str(path)])
    assert result.exit_code == 2, result.output
    assert f"net.toml: {message}" in result.output
    assert_one_error_line(result.output, message)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfresolution = 32\nlayers = [{ operator = 'conv', c = 8 }]\n")
    result = invoke(["table", "--arch", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["totals"]["macs"] == 3 * 3 * 3 * 8 * 32 * 32


LONG_ALPHAS = {
    "50,000 decimals": "0." + "7" * 50_000,
    "a long integer part": "1" + "0" * 30_000 + "." + "5" * 20_000,
    "101 characters": "0." + "1" * 99,
}


@pytest.mark.parametrize("output_format", ["table", "json", "csv", "markdown"])
@pytest.mark.parametrize("rounding", ["keras", "exact"])
@pytest.mark.parametrize("alpha", LONG_ALPHAS.values(), ids=LONG_ALPHAS.keys())
def test_a_number_of_thousands_of_digits_is_refused_not_computed(alpha, rounding, output_format):
    for args in (["table", "v1", "--alpha", alpha], [*RATIO, "--alpha", alpha], [*RATIO, "--rho", alpha]):
        result = invoke([*args, "--rounding", rounding, "--format", output_format])
        assert result.exit_code == 2, result.output
        assert (
            f"{alpha[:12]}... ({len(alpha):,} characters) is too long: at most 100 characters"
            in result.output
        )
        assert len(result.output) < 1000  # the number is not echoed


def test_an_alpha_of_100_characters_is_exact():
    alpha = "0." + "1" * 98
    result = invoke(["table", "v1", "--alpha", alpha, "--rounding", "exact", "--format", "csv"])
    assert result.exit_code == 0, result.output
    first = next(csv.DictReader(io.StringIO(result.output)))
    assert Fraction(first["macs"]) == 3 * 3 * 3 * 32 * Fraction(alpha) * 112 * 112


@pytest.mark.parametrize(
    "args",
    [
        ["table", "v1", "--classes"],
        ["table", "v2", "--resolution"],
        ["check", "v1", "--max-macs", "1M", "--classes"],
        [*RATIO, "--dp"],
        ["ratio", "--dk", "3", "--N"],
    ],
)
@pytest.mark.parametrize("digits", [1001, 50_000])
def test_a_count_of_more_than_1000_digits_is_refused(args, digits):
    result = invoke([*args, "9" * digits])
    assert result.exit_code == 2, result.output
    assert f"999999999999... ({digits:,} characters) is too long: at most 1,000 digits" in result.output


EXACT_TABLE = (
    "resolution = 32\n{}layers = [{{ operator = 'conv', c = 3{} }}, {{ operator = 'conv', c = 8 }}]\n"
)


@pytest.mark.parametrize(
    ("table", "args", "message"),
    [
        (EXACT_TABLE.format("rounding = 'exact'\n", ""), [],
         "net.toml: the table's own rounding 'exact' gives fractional channels (conv1 first)"),
        (EXACT_TABLE.format("", ", rounding = 'exact'"), [],
         "net.toml: layer 1's rounding 'exact' gives fractional channels (conv1 first)"),
        (EXACT_TABLE.format("", ""), ["--rounding", "exact"], "--rounding exact gives fractional channels"),
    ],
)  # fmt: skip
def test_verify_says_where_fractional_channels_come_from(tmp_path, table, args, message):
    path = tmp_path / "net.toml"
    path.write_text(table)
    result = invoke(["verify", "--arch", str(path), "--alpha", "0.5", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    if not args:
        assert "--rounding exact" not in result.output  # the user never passed it
        assert "pass --rounding int, divisible-by-8 or int-divisible-by-8" in result.output


def test_a_table_without_a_classifier_is_not_titled_none_classes(tmp_path):
    path = tmp_path / "trunk.toml"
    path.write_text("name = 'Trunk'\nresolution = 32\nlayers = [{ operator = 'conv', c = 8 }]\n")
    for output_format in ("table", "markdown"):
        output = invoke(["table", "--arch", str(path), "--format", output_format]).output
        assert "32x32, no classifier, rounding keras" in output
        assert "None" not in output
    assert "no top" in invoke(["table", "--arch", str(path), "--no-top"]).output
    assert "1000 classes" in invoke(["table", "v1"]).output
