"""Output where users run mobicalc: closed, full and broken streams, plain and ASCII terminals.

These run mobicalc as a real process, because what they test belongs to the
process: its file descriptors, its terminal, its locale and its exit code.
"""

import json
import os
import subprocess
import sys

import pytest
from helpers import ANSI, environment, mobicalc_process, on_terminal

from mobicalc.cli.exits import Exit

COMMANDS = [
    ["table", "v1", "--alpha", "0.5"],
    ["table", "v2"],
    ["ratio", "--N", "512", "--dk", "3"],
    ["check", "v2", "--alpha", "0.75", "--max-macs", "300M", "--max-params", "4.3M"],
]


def numbers_of(args: list[str]) -> set[str]:
    """Every count the JSON of a command holds, grouped as people read them."""
    data = json.loads(
        mobicalc_process(*args, "--format", "json", capture_output=True, check=True, text=True).stdout
    )
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("macs", "params", "value", "budget") and isinstance(item, int):
                    found.add(f"{item:,}")
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


class TestStreams:
    @pytest.mark.parametrize("output_format", ["table", "json", "csv", "markdown"])
    def test_closed_stdout_is_an_output_error(self, output_format):
        result = mobicalc_process("table", "v1", "--format", output_format, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, pass_fds=(), close_fds=True,
                                  preexec_fn=lambda: os.close(1))  # fmt: skip
        assert result.returncode == Exit.OUTPUT_ERROR == 74
        assert result.stderr == "mobicalc: cannot write the output: standard output is closed\n"

    @pytest.mark.parametrize("output_format", ["table", "json"])
    def test_full_device_is_an_output_error(self, output_format):
        with open("/dev/full", "w") as full:
            result = mobicalc_process(
                "table", "v1", "--format", output_format, stdout=full, stderr=subprocess.PIPE, text=True
            )
        assert result.returncode == Exit.OUTPUT_ERROR
        assert result.stderr == "mobicalc: cannot write the output: No space left on device\n"

    @pytest.mark.parametrize("args", [["--help"], ["--version"], ["table", "--help"], ["check", "--help"]])
    def test_help_and_version_fail_like_any_output(self, args):
        with open("/dev/full", "w") as full:
            result = mobicalc_process(*args, stdout=full, stderr=subprocess.PIPE, text=True)
        assert result.returncode == Exit.OUTPUT_ERROR
        assert result.stderr == "mobicalc: cannot write the output: No space left on device\n"

    @pytest.mark.parametrize("args", [["table", "v1"], ["table", "v2", "--format", "json"], ["--help"]])
    def test_broken_pipe_ends_quietly(self, args):
        read, write = os.pipe()
        os.close(read)  # the reader is gone before anything is written: every write fails
        try:
            result = mobicalc_process(*args, stdout=write, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(write)
        assert result.returncode == Exit.BROKEN_PIPE == 141
        assert result.stderr == ""

    def test_a_reader_that_stops_early_sees_whole_lines_and_no_traceback(self):
        shell = f"{sys.executable} -m mobicalc table v2 --wide | head -1"
        result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
        assert result.stdout.startswith("MobileNetV2")
        assert result.stderr == ""


class TestTerminals:
    @pytest.mark.parametrize(
        "env",
        [{"LC_ALL": "C"}, {"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "ascii", "FORCE_COLOR": "1"},
         {"LC_ALL": "C", "FORCE_COLOR": "1"}],
    )  # fmt: skip
    @pytest.mark.parametrize("args", COMMANDS)
    def test_ascii_only_outputs_fall_back_to_ascii(self, env, args):
        result = mobicalc_process(*args, capture_output=True, env=environment(**env, COLUMNS="200"))
        assert result.returncode == 0, result.stderr
        assert result.stderr == b""
        text = result.stdout.decode("ascii")  # not one byte beyond ASCII
        if args[0] == "ratio":
            assert "1/N + 1/Dk^2" in text and "Dk*Dk*M*N" in text

    def test_ascii_bars_on_a_forced_terminal(self):
        result = mobicalc_process(
            "table",
            "v1",
            "--alpha",
            "0.5",
            capture_output=True,
            env=environment(PYTHONIOENCODING="ascii", FORCE_COLOR="1", COLUMNS="200"),
        )
        assert "90.22% ##########" in ANSI.sub(
            "", result.stdout.decode("ascii")
        )  # pointwise, the largest kind: 134,873,088 of 149,497,088 MACs

    @pytest.mark.parametrize("term", ["dumb", "unknown", "xterm-256color"])
    @pytest.mark.parametrize("args", COMMANDS)
    def test_every_number_whole_and_no_line_wider_than_80(self, term, args):
        code, screen, stderr = on_terminal(args, 80, TERM=term)
        assert code == 0, stderr
        text = ANSI.sub("", screen)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "…" not in text
        missing = {number for number in numbers_of(args) if number not in text}
        assert missing == set()

    def test_plain_terminals_get_no_escape_codes(self):
        for env in (
            {"TERM": "dumb"},
            {"TERM": "xterm-256color", "NO_COLOR": "1"},
            {"TERM": "xterm-256color", "FORCE_COLOR": "0"},
        ):
            code, screen, _ = on_terminal(["table", "v1"], 120, **env)
            assert code == 0
            assert "\x1b[" not in screen, env

    def test_a_colour_terminal_gets_colour(self):
        code, screen, _ = on_terminal(["table", "v1"], 120, TERM="xterm-256color")
        assert code == 0 and "\x1b[" in screen

    def test_wide_shows_every_column(self):
        code, screen, _ = on_terminal(["table", "v1", "--wide"], 80, TERM="xterm-256color")
        assert code == 0
        text = ANSI.sub("", screen)
        for header in (
            "input",
            "kernel",
            "stride",
            "standard params",
            "sep/std",
            "batch-norm mean, variance",
        ):
            assert header in text


def test_control_characters_in_a_name_are_escaped_in_every_format(tmp_path):
    table = tmp_path / "evil.toml"
    table.write_text('name = "bad\\nname\\u001b[31m"\nlayers = [{ operator = "conv", c = 8 }]\n')
    for output_format in ("table", "csv", "markdown", "json"):
        result = mobicalc_process(
            "table", "--arch", str(table), "--format", output_format, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout
        if output_format == "json":
            assert json.loads(result.stdout)["model"]["name"] == "bad\nname\x1b[31m"
        elif output_format != "csv":  # CSV has the layers only
            assert "bad\\nname\\x1b[31m" in result.stdout
