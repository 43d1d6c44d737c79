"""The Python API gives the CLI's numbers."""

import inspect
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

import mobicalc
from mobicalc.cli import main


def test_cost_matches_the_cli():
    network = mobicalc.cost("v2", alpha=0.75)
    result = CliRunner().invoke(main, ["table", "v2", "--alpha", "0.75", "--format", "json"])
    totals = json.loads(result.output)["totals"]
    assert (network.macs, network.params) == (totals["macs"], totals["params"])


def test_cost_takes_alpha_as_written():
    assert mobicalc.cost("v1", alpha=0.6).settings.alpha == Fraction(3, 5)
    # MobileNetV1 0.5 at 224: what TensorFlow counts for keras.applications.MobileNet(alpha=0.5).
    assert mobicalc.cost("v1", alpha="0.5").macs == 149_497_088


def test_cost_knobs():
    network = mobicalc.cost("v1", resolution=128, classes=10, include_top=True)
    assert network.resolution == 128
    assert network.classes == 10
    assert mobicalc.cost("v1", include_top=False).classes is None


def test_cost_takes_any_input_shape():
    import mobicalc

    network = mobicalc.cost("v1", resolution=(192, 256), input_channels=1, depth_multiplier=2)
    assert network.layers[0].input == (192, 256, 1)
    assert network.resolution == (192, 256) and network.depth_multiplier == 2


def test_the_api_docs_examples_run():
    """docs/api.md: every ```python block, in order, in one namespace (each asserts its own numbers)."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 5
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/api.md", "exec"), namespace)


def test_cost_takes_every_option_the_table_command_takes():
    """The API has the CLI's options under the same names (--no-top is Keras' include_top)."""
    from mobicalc.cli import main

    command = main.commands["table"]
    roofline = {"roofline", "peak_gflops", "bandwidth_gbs"}  # a view of the network: mobicalc.roofline
    options = {param.name for param in command.params} - {"model", "arch", "output_format", "wide", "no_top"}
    accepted = set(inspect.signature(mobicalc.cost).parameters)
    assert options - roofline <= accepted, options - roofline - accepted
    assert "include_top" in accepted
    assert roofline - {"roofline"} <= set(inspect.signature(mobicalc.roofline).parameters)


def test_bench_takes_every_option_the_bench_commands_take():
    """``mobicalc.bench`` is ``bench MODEL`` (the options of cost, then bench's own); ``bench_ratio`` is
    ``bench ratio`` (the arguments of compare_layer, then bench's own). --plot draws; it is the CLI's.
    A Keras model's options are ``mobicalc.bench``'s under the same names, as ``mobicalc.cost``'s."""
    from mobicalc.cli import main

    group = main.commands["bench"]
    for name, function in (("model", mobicalc.bench), ("ratio", mobicalc.bench_ratio)):
        command = group.commands[name]
        options = {param.name for param in command.params} - {
            "model", "arch", "output_format", "wide", "no_top", "plot",
        }  # fmt: skip
        accepted = set(inspect.signature(function).parameters)
        assert options <= accepted, (name, options - accepted)


def test_sweep_takes_every_option_the_sweep_command_takes():
    """Its budget options (--max-macs, ...) are one ``budgets`` mapping of metric to limit."""
    from mobicalc.cli import main
    from mobicalc.cli.options import BUDGETS

    command = main.commands["sweep"]
    options = {param.name for param in command.params} - {
        "model", "arch", "output_format", "wide", "no_top", "plot", "plot_kind", *BUDGETS,
    }  # fmt: skip
    for function in (mobicalc.sweep, mobicalc.design_space):
        accepted = set(inspect.signature(function).parameters)
        assert options | {"budgets"} <= accepted, (function.__name__, options - accepted)


def test_every_error_is_a_mobicalc_error():
    for call in (
        lambda: mobicalc.cost("v1", convention="nope"),
        lambda: mobicalc.cost("v1", dtype="float64"),
        lambda: mobicalc.cost("v1", alpha=0.001),
        lambda: mobicalc.cost("v2", depth_multiplier=2),
        lambda: mobicalc.cost("v1", minimalistic=True),
        lambda: mobicalc.cost("/nonexistent.toml"),
        lambda: mobicalc.sweep("v1", ["0.5"], [224], budgets={"latency": 1}),
    ):
        with pytest.raises(mobicalc.MobicalcError):
            call()


def test_the_package_is_typed_and_exports_its_records():
    assert (Path(mobicalc.__file__).parent / "py.typed").exists()
    for name in mobicalc.__all__:
        assert getattr(mobicalc, name) is not None
    network = mobicalc.cost("v1")
    assert isinstance(network.records[0], mobicalc.LayerRecord)
    assert isinstance(network.totals, mobicalc.Cost)
    assert isinstance(network.settings, mobicalc.Settings)


def test_importing_mobicalc_changes_nothing_process_wide():
    """A notebook that imports and calls mobicalc behaves exactly as before."""
    code = (
        "import os, sys\n"
        "before = (sys.get_int_max_str_digits(), dict(os.environ))\n"
        "import mobicalc\n"
        "mobicalc.cost('v3-small', convention='tf-profiler').memory\n"
        "mobicalc.design_space('v2', budgets={'macs': 300_000_000})\n"
        "from click.testing import CliRunner\n"
        "from mobicalc.cli import main\n"
        "CliRunner().invoke(main, ['table', 'v1', '--classes', '1' + '0' * 5000])\n"
        "print(before == (sys.get_int_max_str_digits(), dict(os.environ)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("call", "knob"),
    [
        (lambda: mobicalc.cost("model.keras", alpha=0.5), "alpha"),
        (lambda: mobicalc.cost("model.keras", rounding="int"), "rounding"),
        (lambda: mobicalc.design_space("model.h5", alphas=["0.5"]), "alphas"),
        (lambda: mobicalc.design_space("model.h5", variant="minimalistic"), "variant"),
        (lambda: mobicalc.bench("model.keras", classes=10), "classes"),
        (lambda: mobicalc.bench(keras="pkg.models:build", depth_multiplier=2), "depth_multiplier"),
    ],
)
def test_a_tables_knob_with_a_keras_model_is_refused_before_it_loads(call, knob):
    """A Keras model's widths are as it was built: a table's knob is an error, named, before any file is read."""
    with pytest.raises(mobicalc.MobicalcError, match=f"^{knob} shapes a table's layers"):
        call()


def test_bench_of_a_keras_model_with_its_standard_network_is_refused_before_it_loads():
    """The standard-convolution network is built for a table only (docs/bench.md says why)."""
    with pytest.raises(mobicalc.MobicalcError, match="for a Keras model it is not built"):
        mobicalc.bench(keras="pkg.models:build", standard=True)
