"""`mobicalc verify` where TensorFlow cannot help: missing, broken, too small a machine, Ctrl-C.

None of these needs TensorFlow installed: each import failure is made real in a
subprocess, by a fake package on PYTHONPATH (which shadows an installed one) or
by ``sys.modules[name] = None`` (which makes ``import name`` fail).
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import stderr_on_terminal

from mobicalc.cli.exits import Exit

INSTALL = "pip install 'mobicalc[tf]' (or pip install -e '.[tf]' from a checkout)"

# Imports fine and answers what import_tensorflow asks, so that Keras is what fails.
WORKING_TENSORFLOW = """
import logging

class config:
    @staticmethod
    def list_physical_devices(kind):
        return []

def get_logger():
    return logging.getLogger("tensorflow")
"""


def package(root: Path, name: str, source: str) -> Path:
    """A fake package ``name`` under ``root``: ``name/__init__.py`` holding ``source``."""
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text(textwrap.dedent(source))
    return root


def run(code: str, *paths: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """Python code in a fresh interpreter, with ``paths`` first on PYTHONPATH."""
    pythonpath = os.pathsep.join([*map(str, paths), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": pythonpath},
    )


VERIFY = "from mobicalc.cli import main\nmain(['verify', 'v1'], prog_name='mobicalc')"


def assert_one_line(stderr: str, *parts: str) -> None:
    assert "Traceback" not in stderr
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    for part in parts:
        assert part in stderr, stderr


def test_verify_shows_on_a_terminal_what_it_is_doing(tmp_path):
    """Not a blank screen while TensorFlow loads: stderr's terminal says so; a pipe gets nothing."""
    root = package(tmp_path, "tensorflow", 'import time; time.sleep(1); raise RuntimeError("no AVX")')
    code, stdout, screen = stderr_on_terminal(
        ["verify", "v1"], PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    )
    assert code == Exit.MISSING_DEPENDENCY
    assert "importing TensorFlow" in screen
    assert "verify needs TensorFlow, which fails to import (RuntimeError: no AVX)" in screen
    assert stdout == ""


class TestMissingDependency:
    """Each exits Exit.MISSING_DEPENDENCY (3, not 1, "counts differ") with one line saying what to install."""

    def test_tensorflow_not_installed(self):
        result = run("import sys; sys.modules['tensorflow'] = None\n" + VERIFY)
        assert result.returncode == Exit.MISSING_DEPENDENCY
        assert_one_line(
            result.stderr,
            "Error: verify needs TensorFlow, which is not installed",
            "ModuleNotFoundError",
            INSTALL,
        )
        assert result.stdout == ""

    def test_tensorflow_raising_runtime_error(self, tmp_path):
        root = package(tmp_path, "tensorflow", 'raise RuntimeError("CPU lacks AVX\\nmore detail")')
        result = run(VERIFY, root)
        assert result.returncode == Exit.MISSING_DEPENDENCY
        assert_one_line(
            result.stderr,
            "verify needs TensorFlow, which fails to import (RuntimeError: CPU lacks AVX)",
            INSTALL,
        )

    def test_tensorflow_with_a_broken_c_extension(self, tmp_path):
        # The ImportError comes from deep inside the package, as a missing shared library's does.
        package(tmp_path, "tensorflow", "from tensorflow.python import _pywrap_tensorflow_internal")
        package(
            tmp_path / "tensorflow",
            "python",
            'raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")',
        )
        result = run(VERIFY, tmp_path)
        assert result.returncode == Exit.MISSING_DEPENDENCY
        assert_one_line(
            result.stderr, "TensorFlow, which fails to import", "libtensorflow_framework.so.2", INSTALL
        )

    def test_keras_missing_while_tensorflow_imports(self, tmp_path):
        root = package(tmp_path, "tensorflow", WORKING_TENSORFLOW)
        result = run("import sys; sys.modules['keras'] = None\n" + VERIFY, root)
        assert result.returncode == Exit.MISSING_DEPENDENCY
        assert_one_line(result.stderr, "verify needs Keras, which is not installed", INSTALL)

    def test_keras_raising_on_import(self, tmp_path):
        package(tmp_path, "tensorflow", WORKING_TENSORFLOW)
        package(tmp_path, "keras", 'raise ImportError("keras needs ml_dtypes>=0.5")')
        result = run(VERIFY, tmp_path)
        assert result.returncode == Exit.MISSING_DEPENDENCY
        assert_one_line(result.stderr, "verify needs Keras, which fails to import", "ml_dtypes>=0.5", INSTALL)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--classes", "10000000000000"], "TensorFlow cannot build this model for verify: its weights"),
        (["--resolution", "3000000000"], "TensorFlow cannot count this model: its flops statistics"),
        (["--alpha", "100"], "over verify's limit of 268,435,456 (1 GiB at float32"),
        (["--resolution", "1" + "0" * 400], "over verify's limit of 2**62"),
    ],
)
def test_too_large_for_tensorflow_is_refused_before_importing_it(tmp_path, options, message):
    # A TensorFlow that is imported would make this exit 3, not 2; and it is not imported at all.
    root = package(tmp_path, "tensorflow", 'raise RuntimeError("imported")')
    code = (
        "import sys\nfrom mobicalc.cli import main\n"
        f"try: main(['verify', 'v1', *{options!r}], prog_name='mobicalc')\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    )
    result = run(code, root)
    assert result.stdout == "2 []\n", result.stdout + result.stderr
    assert_one_line(result.stderr, "Error: ", message)


def test_the_limits_leave_the_published_models_alone():
    from mobicalc.count.network import network_cost
    from mobicalc.count.settings import Settings
    from mobicalc.tf.runtime import check_buildable

    for model in ("v1", "v2"):
        check_buildable(network_cost(model))
        check_buildable(network_cost(model, Settings(resolution=4096)))


SLOW_TABLE = """
import sys, time
import mobicalc.cli.bench, mobicalc.cli.network, mobicalc.cli.verify

def slow(**options):
    print("ready", flush=True)
    time.sleep(60)

mobicalc.cli.network.network_of = mobicalc.cli.verify.network_of = mobicalc.cli.bench.network_of = slow
sys.argv = ["mobicalc", *{args!r}]
import runpy
runpy.run_module("mobicalc", run_name="__main__")  # as python -m mobicalc
"""


@pytest.mark.parametrize(
    "args", [["table", "v1"], ["verify", "v1"], ["check", "v1", "--max-macs", "1G"], ["bench", "v1"]]
)
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
    import mobicalc.cli.network

    def interrupt(**options):
        raise KeyboardInterrupt

    monkeypatch.setattr(mobicalc.cli.network, "network_of", interrupt)
    result = CliRunner().invoke(mobicalc.cli.main, ["table", "v1"])
    assert result.exit_code == Exit.INTERRUPTED
    assert result.output == "interrupted\n"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
