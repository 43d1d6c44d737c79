"""Edges a hostile or unlucky user meets: each a class of defect, closed and tested (issue 19's "Edges").

Streams that break or fill, plots that cannot be written, table files whose values make arithmetic
fail, tables from standard input, columns a narrow terminal leaves out.
"""

import errno
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from helpers import ROOT, TIMEOUT, mobicalc_process, run, run_json

from mobicalc.cli import main
from mobicalc.cli.base import write
from mobicalc.cli.exits import Exit

TABLE = 'name = "mine"\nlayers = [{ operator = "conv", c = 8, s = 2 }, { operator = "pool" }, { operator = "classifier" }]\n'


# --- streams -----------------------------------------------------------------------------------


def test_a_pipe_that_breaks_after_64_kib_is_a_broken_pipe():
    """A reader that goes away mid-write: Linux takes part of a large write without an error, which
    Python's buffered stdout then loses; the exit code must still say so (141), not 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mobicalc", "sweep", "v1", "--alpha", "0.25:1:0.001", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert len(process.stdout.read(70_000)) == 70_000  # more than a pipe's 64 KiB buffer
    process.stdout.close()
    assert process.wait(timeout=TIMEOUT) == Exit.BROKEN_PIPE
    assert process.stderr.read() == b""


STREAMED = ["sweep", "v1", "--alpha", "0.25:1:0.005", "--resolution", "96:1000:2"]
"""151 x 453 = 68,403 configurations: written batch by batch (render.machine.BATCH rows at a time)."""


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_a_reader_that_leaves_mid_stream_is_a_broken_pipe(output_format):
    """Rows are written as they are made: the reader takes the first pieces of a sweep and goes away
    long before its end; the sweep then stops with 141, quietly."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mobicalc", *STREAMED, "--format", output_format],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = process.stdout.read(300_000)  # several batches; the whole output is over 5 MB
    assert first.startswith(b"alpha,resolution," if output_format == "csv" else b'{\n  "model": {')
    process.stdout.close()
    assert process.wait(timeout=TIMEOUT) == Exit.BROKEN_PIPE
    assert process.stderr.read() == b""


@pytest.mark.parametrize("output_format", ["csv", "json"])
def test_a_stream_to_a_full_device_is_an_output_error(output_format):
    with open("/dev/full", "w") as full:
        result = mobicalc_process(*STREAMED, "--format", output_format, stdout=full, stderr=subprocess.PIPE,
                                  text=True)  # fmt: skip
    assert result.returncode == Exit.OUTPUT_ERROR
    assert result.stderr == "mobicalc: cannot write the output: No space left on device\n"


def test_a_fault_while_making_the_output_is_not_taken_for_a_failed_write(capsys):
    """Pieces are made outside the handling of write errors: a ValueError of the renderer's is no
    "cannot write the output" (exit 74), but the fault it is."""

    def pieces():
        yield "first\n"
        raise ValueError("a renderer's fault")

    with pytest.raises(ValueError, match="a renderer's fault"):
        write(pieces())
    assert capsys.readouterr().out == "first\n"


def test_a_usage_error_with_stderr_closed_writes_nothing_to_stdout():
    result = mobicalc_process("table", "v1", "--alpha", "x", stderr=subprocess.DEVNULL, capture_output=False,
                              stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2))  # fmt: skip
    assert result.returncode == Exit.USAGE
    assert result.stdout == b""


def test_a_usage_error_with_stderr_on_a_full_device_is_still_a_usage_error():
    with open("/dev/full", "w") as full:
        result = mobicalc_process("table", "v1", "--alpha", "x", stderr=full, stdout=subprocess.PIPE)
    assert result.returncode == Exit.USAGE


def test_ctrl_c_while_the_cli_loads_is_one_line_and_130():
    """The console script's entry point catches Ctrl-C before the CLI's modules load."""
    code = textwrap.dedent(
        """
        import builtins, sys
        real = builtins.__import__
        def interrupted(name, *args, **kwargs):
            if name == "mobicalc.cli":
                raise KeyboardInterrupt
            return real(name, *args, **kwargs)
        builtins.__import__ = interrupted
        from mobicalc.__main__ import main
        main()
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == Exit.INTERRUPTED
    assert result.stderr == "interrupted\n"
    assert 'mobicalc = "mobicalc.__main__:main"' in (ROOT / "pyproject.toml").read_text("utf-8")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # this process: untouched


# --- output that was cut or reordered ----------------------------------------------------------


def test_reproduce_csv_has_every_source_s_figures():
    data = run_json("reproduce")
    rows = run("reproduce", "--format", "csv").output.splitlines()
    assert len(rows) == 1 + data["summary"]["figures"]
    assert {row.split(",")[0] for row in rows[1:]} == set(data["sources"])


def test_sizes_come_back_in_the_order_given():
    data = run_json("sweep", "v1", "--resolution", "128,192x256,160:176:16,128")
    assert data["resolutions"] == [128, [192, 256], 160, 176]  # 128 twice: kept where it first stands


# --- plots ---------------------------------------------------------------------------------------


class TestPlots:
    def test_an_empty_stem_is_a_usage_error(self, tmp_path):
        result = CliRunner().invoke(main, ["sweep", "v1", "--plot", str(tmp_path / ".svg")])
        assert result.exit_code == Exit.USAGE
        assert "give a .svg or .png file" in result.output

    def test_a_fifo_is_refused_not_opened(self, tmp_path):
        fifo = tmp_path / "plot.svg"
        os.mkfifo(fifo)
        result = mobicalc_process("sweep", "v1", "--plot", str(fifo), capture_output=True, text=True)
        assert result.returncode == Exit.USAGE
        assert "is not a regular file" in result.stderr

    def test_nothing_within_budget_prints_the_report_and_exits_1(self, tmp_path):
        target = tmp_path / "plot.svg"
        result = CliRunner().invoke(main, ["sweep", "v1", "--max-macs", "1K", "--plot", str(target)])
        assert result.exit_code == Exit.FAILED
        assert "No configuration is within budget." in result.output
        assert "was not drawn" in result.output
        assert not target.exists()

    @pytest.mark.parametrize(
        ("code", "exit_code"), [(errno.ENOSPC, Exit.OUTPUT_ERROR), (errno.EACCES, Exit.USAGE)]
    )
    def test_a_failed_write_leaves_no_file_behind(self, tmp_path, monkeypatch, code, exit_code):
        pytest.importorskip("matplotlib")
        from matplotlib.figure import Figure

        def fail(self, stream, **options):
            stream.write(b"<svg partial")
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(Figure, "savefig", fail)
        target = tmp_path / "plot.svg"
        target.write_text("the previous plot")
        result = CliRunner().invoke(main, ["sweep", "v1", "--plot", str(target)])
        assert result.exit_code == exit_code, result.output
        assert target.read_text() == "the previous plot"  # untouched: the new one never replaced it
        assert sorted(path.name for path in tmp_path.iterdir()) == ["plot.svg"]  # no partial file left


# --- table files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("nl", ['"RE"', '["RE"]', "{ HS = 1 }", "{ HS = { RE = 1 } }", '{ HS = ["RE"] }'])
def test_a_variant_s_nl_must_map_non_linearities(tmp_path, nl):
    path = tmp_path / "my.toml"
    path.write_text(f"variants = {{ small = {{ nl = {nl} }} }}\n{TABLE}")
    result = CliRunner().invoke(main, ["table", "--arch", str(path)])
    assert result.exit_code == Exit.USAGE
    assert "variants.small: field 'nl' must map non-linearities to non-linearities" in result.output
    assert str(path) in result.output


def test_an_expansion_too_large_for_a_float_is_counted_exactly(tmp_path):
    """exp of 310 digits: Keras' float arithmetic would overflow; mobicalc applies its rule exactly,
    as for any count past 2**53 (model/rounding.py)."""
    exp = 10**309
    path = tmp_path / "my.toml"
    path.write_text(f'layers = [{{ operator = "bottleneck", exp = {exp}, c = 8 }}]\n')
    data = run_json("table", "--arch", str(path))
    expand = data["layers"][0]
    # 224x224x3 in, 1x1 to exp channels (exp / 3 times the 3 it receives, exactly): 224 * 224 * 3 * exp MACs.
    assert expand["output_channels"] == exp
    assert expand["macs"] == 224 * 224 * 3 * exp


def test_a_table_from_standard_input():
    result = CliRunner().invoke(main, ["table", "--arch", "-", "--format", "json"], input=TABLE)
    assert result.exit_code == 0, result.output
    data = __import__("json").loads(result.output)
    assert data["model"]["table"] == "<stdin>"
    # conv 3x3 stride 2: 3 x 3 x 3 x 8 x 112 x 112; the classifier: 8 x 1000.
    assert data["totals"]["macs"] == 3 * 3 * 3 * 8 * 112 * 112 + 8 * 1000


def test_standard_input_is_bounded_like_a_file():
    result = CliRunner().invoke(main, ["table", "--arch", "-"], input="#" * (1024 * 1024 + 1))
    assert result.exit_code == Exit.USAGE
    assert "<stdin>: is larger than the 1 MiB a table may be" in result.output


# --- columns a narrow terminal leaves out --------------------------------------------------------------


def test_left_out_columns_are_named():
    narrow = CliRunner().invoke(main, ["table", "v1"], env={"COLUMNS": "80"}).output
    note = " ".join(line for line in narrow.splitlines() if line)
    assert "Left out to fit 80 columns: #, kind, input, kernel, stride" in note
    assert "--wide shows them all." in note
    wide = CliRunner().invoke(main, ["table", "v1", "--wide"], env={"COLUMNS": "80"}).output
    assert "Left out" not in wide
