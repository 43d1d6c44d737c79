"""`mobicalc verify` and the other commands where TensorFlow cannot help: here, Ctrl-C."""

import signal
import subprocess
import sys

import pytest

from mobicalc.exits import Exit

SLOW_TABLE = """
import sys, time
import mobicalc.cli

def slow(**options):
    print("ready", flush=True)
    time.sleep(60)

mobicalc.cli.build_network = slow
sys.argv = ["mobicalc", *{args!r}]
import runpy
runpy.run_module("mobicalc", run_name="__main__")  # as python -m mobicalc
"""


@pytest.mark.parametrize("args", [["table", "v1"], ["verify", "v1"], ["check", "v1", "--max-macs", "1G"]])
def test_ctrl_c_exits_130_with_one_line(args):
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_TABLE.format(args=args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline() == "ready\n"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == Exit.INTERRUPTED, stderr
    assert stderr == "interrupted\n"
    assert stdout == ""


def test_an_interrupt_in_process_exits_130_and_leaves_sigint_alone(monkeypatch):
    from click.testing import CliRunner

    import mobicalc.cli

    def interrupt(**options):
        raise KeyboardInterrupt

    monkeypatch.setattr(mobicalc.cli, "build_network", interrupt)
    result = CliRunner().invoke(mobicalc.cli.main, ["table", "v1"])
    assert result.exit_code == Exit.INTERRUPTED
    assert result.output == "interrupted\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
