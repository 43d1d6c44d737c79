"""`mobicalc bench` where nothing is measured: refusals, without TensorFlow, and what it never loads.

Every case here ends before TensorFlow would run an op: a missing or broken TensorFlow
is made real in a subprocess (as tests/test_verify_environment.py does), and a model too
large to run, or a usage error, is refused before TensorFlow is imported at all.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TIMEOUT, stderr_on_terminal
from test_verify_environment import INSTALL, assert_one_line, package, run

import mobicalc.tables
from mobicalc.cli.exits import Exit


def bench(*args: str) -> str:
    return f"from mobicalc.cli import main\nmain(['bench', *{list(args)!r}], prog_name='mobicalc')"


MISSING = "import sys; sys.modules['tensorflow'] = None\n"


TABLE = str(Path(mobicalc.tables.__file__).parent / "v1.toml")  # a table file, as a user's


@pytest.mark.parametrize(
    "args", [["v1"], ["ratio", "--N", "512", "--dk", "3", "--dp", "14"], ["--arch", TABLE, "--standard"]]
)
def test_without_tensorflow_bench_exits_3_naming_the_install(args):
    result = run(MISSING + bench(*args))
    assert result.returncode == Exit.MISSING_DEPENDENCY, result.stderr
    assert_one_line(result.stderr, "Error: bench needs TensorFlow, which is not installed", INSTALL)
    assert result.stdout == ""


def test_a_broken_tensorflow_exits_3_with_its_error(tmp_path):
    root = package(tmp_path, "tensorflow", 'raise RuntimeError("CPU lacks AVX")')
    result = run(bench("v1"), root)
    assert result.returncode == Exit.MISSING_DEPENDENCY
    assert_one_line(
        result.stderr, "bench needs TensorFlow, which fails to import (RuntimeError: CPU lacks AVX)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["v1", "--resolution", "20000"], "MACs a call is over its limit of 100,000,000,000"),
        (["v1", "--classes", "300000"], "params is over its limit"),
        (["ratio", "--N", "100000", "--dk", "3", "--dp", "100"], "MACs a call is over its limit"),
        (["v1", "--rounding", "exact", "--alpha", "0.3"], "fractional channels"),
        (
            ["ratio", "--N", "10", "--dk", "3", "--alpha", "0.33", "--rounding", "exact"],
            "fractional channels",
        ),
        (["v1", "--plot", "out.pdf"], "give a .svg or .png file"),
        (["v3-small", "--standard"], "the standard-convolution network cannot be built"),
        (["--keras", "model.keras", "--standard"], "for a Keras model it is not built"),
        (["--keras", "pkg.models:build", "--alpha", "0.5"], "--alpha shapes a table's layers"),
        (["v1", "--keras", "model.keras"], "give a model, --arch FILE or --keras SOURCE"),
        (["v1", "--custom-objects", "mine"], "--custom-objects is for a Keras model"),
        (["v1", "--rounds", "0"], "--rounds"),
        (["ratio", "--N", "8", "--dk", "3", "--threads", "-1"], "--threads"),
    ],
)
def test_refused_before_tensorflow_is_imported(tmp_path, args, message):
    # A TensorFlow that is imported would make this exit 3, not 2; and it is not imported at all.
    root = package(tmp_path, "tensorflow", 'raise RuntimeError("imported")')
    code = (
        "import sys\n"
        f"try:\n    {bench(*args).replace(chr(10), chr(10) + '    ')}\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, sorted({'tensorflow', 'keras'} & set(sys.modules)))"
    )
    result = run(code, root)
    assert result.stdout == "2 []\n", result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_plot_without_matplotlib_exits_3_before_measuring():
    result = run("import sys; sys.modules['matplotlib'] = None\n" + bench("v1", "--plot", "x.svg"))
    assert result.returncode == Exit.MISSING_DEPENDENCY
    assert_one_line(result.stderr, "--plot needs matplotlib", "pip install 'mobicalc[plot]'")


def test_other_commands_never_load_bench_or_tensorflow():
    code = (
        "import sys; from mobicalc.cli import main\n"
        "for args in (['table', 'v1', '--roofline'], ['ratio', '--N', '8', '--dk', '3']):\n"
        "    try: main(args)\n"
        "    except SystemExit: pass\n"
        "print(sorted(m for m in ('mobicalc.cli.bench', 'mobicalc.tf', 'mobicalc.views.bench', 'tensorflow')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stdout.splitlines()[-1] == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("source", [["v1"], ["--keras", "keras.applications:MobileNetV2"]])
def test_progress_shows_on_a_terminal_and_then_the_error(tmp_path, source):
    """stderr a terminal: what bench is doing shows while it works (here, importing TensorFlow), for a
    built-in model and a Keras one alike."""
    root = package(tmp_path, "tensorflow", 'import time; time.sleep(1); raise RuntimeError("no AVX")')
    code, stdout, screen = stderr_on_terminal(
        ["bench", *source], PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    )
    assert code == Exit.MISSING_DEPENDENCY
    assert "importing TensorFlow" in screen
    assert "bench needs TensorFlow, which fails to import (RuntimeError: no AVX)" in screen
    assert stdout == ""


def test_loading_a_keras_model_shows_what_it_does_on_a_terminal(tmp_path):
    """stderr a terminal: loading a Keras model says so while TensorFlow and Keras import (issue 18)."""
    root = package(tmp_path, "tensorflow", 'import time; time.sleep(1); raise RuntimeError("no AVX")')
    code, stdout, screen = stderr_on_terminal(
        ["table", "--keras", "keras.applications:MobileNetV2"],
        PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    )
    assert "loading keras.applications:MobileNetV2 and walking it" in screen
    assert code == Exit.MISSING_DEPENDENCY
    assert stdout == ""
