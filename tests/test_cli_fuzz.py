"""Random argument lists thrown at every command: never a traceback, exit 0, 1 or 2."""

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobicalc.cli import main

# verify imports TensorFlow and builds models: its argument handling is the
# shared model options, fuzzed here through table and check.
COMMANDS = sorted(name for name in main.commands if name != "verify")
OPTIONS = ["--N", "--n", "--M", "--dk", "--dp", "--alpha", "--rho", "--resolution", "--classes", "--rounding",
           "--format", "--arch", "--max-macs", "--max-flops", "--max-params", "--no-top", "--help", "-h"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        [
            "v1",
            "v2",
            "v3",
            "0",
            "-1",
            "1",
            "3",
            "512",
            "0.5",
            "1e400",
            "nan",
            "inf",
            "-inf",
            "",
            "1e-400",
            "300M",
            "4.3M",
            "1.2.3",
            "keras",
            "exact",
            "json",
            "csv",
            "markdown",
            "table",
            "/nonexistent.toml",
            "/",
            "💥",
            "10" * 30,
            "1" + "0" * 400,  # past float's range
            "9007199254740993",  # 2**53 + 1: past float's precision
            "1e-320",  # a subnormal float
            "0.1234567890123456789012345678901234567",  # more digits than a float holds
        ]
    ),
    st.integers(-(10**6), 10**6).map(str),
    st.text(max_size=8),
)
ARGUMENTS = st.lists(st.one_of(st.sampled_from(OPTIONS), VALUES), max_size=8)


def assert_handled(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code)
    assert "Traceback" not in result.output


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command=st.sampled_from(COMMANDS), arguments=ARGUMENTS)
def test_random_arguments_never_crash(command, arguments):
    assert_handled([command, *arguments])


@pytest.mark.parametrize(
    "args",
    [
        ["ratio", "--N", "10" * 30, "--dk", "3"],  # a 60-digit N: exact, just large
        ["ratio", "--N", "512", "--dk", "3", "--alpha", "99", "--rho", "99", "--dp", "1000"],
        ["table", "v2", "--resolution", "100000", "--format", "json"],
        ["table", "v1", "--alpha", "1e-9"],
        ["table", "v2", "--alpha", "0.000001", "--rounding", "exact"],
        ["table", "v1", "--alpha", "100", "--resolution", "31"],
        ["check", "v1", "--max-macs", "0"],
        ["check", "v1", "--max-params", "99999999999999999999T"],
        ["table", "--arch", "/"],
        ["table", "--arch", "/dev/null"],
        ["--version"],
    ],
)
def test_nasty_inputs(args):
    assert_handled(args)
