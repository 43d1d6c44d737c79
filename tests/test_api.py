"""The Python API gives the CLI's numbers."""

import inspect
import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
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


# Every argument is read as the command line reads it, or refused naming the parameter (count/arguments.py).


def _json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.parametrize("given", ["128", " 128 ", "128x128", np.int64(128), [128, 128], ("128", 128)])
def test_a_resolution_is_read_as_the_cli_reads_it(given):
    """MobileNetV1 1.0 at 128: 186 million MACs (the TF-slim README's table of checkpoints)."""
    network = mobicalc.cost("v1", resolution=given)
    assert round(network.macs / 10**6) == 186
    assert network.macs == _json("table", "v1", "--resolution", "128")["totals"]["macs"]


def test_a_non_square_resolution_as_text_is_height_by_width():
    """The first layer, a 3x3 convolution of stride 2 from 3 to 32 channels, on 192x256: 96x128 outputs."""
    network = mobicalc.cost("v1", resolution="192x256")
    assert network.resolution == (192, 256)
    assert network.records[0].cost.macs == 3 * 3 * 3 * 32 * 96 * 128


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: mobicalc.cost("v1", resolution=64.0), "resolution"),
        (lambda: mobicalc.cost("v1", resolution=(64.5, 64)), "resolution height"),
        (lambda: mobicalc.cost("v1", resolution=True), "resolution"),
        (lambda: mobicalc.cost("v1", resolution="64.0"), "resolution"),
        (lambda: mobicalc.cost("v1", resolution="+64"), "resolution"),
        (lambda: mobicalc.cost("v1", resolution=(64, 64, 3)), "resolution"),
        (lambda: mobicalc.cost("v1", classes=10.0), "classes"),
        (lambda: mobicalc.cost("v1", classes="1e3"), "classes"),
        (lambda: mobicalc.cost("v1", input_channels=True), "input_channels"),
        (lambda: mobicalc.cost("v1", alpha=float("nan")), "alpha"),
        (lambda: mobicalc.cost("v1", alpha="1e0"), "alpha"),
        (lambda: mobicalc.cost("v1", alpha=True), "alpha"),
        (lambda: mobicalc.cost("v1", include_top="no"), "include_top"),
        (lambda: mobicalc.cost("v1", rounding=["int"]), "unknown rounding"),
        (lambda: mobicalc.cost("v1", input_shape=(32, 32, 3)), "input_shape"),
        (lambda: mobicalc.cost("v1").check({"macs": float("nan")}), "budget 'macs'"),
        (lambda: mobicalc.cost("v1").check({"macs": -1}), "budget 'macs'"),
        (lambda: mobicalc.cost("v1").check({"macs": 0}), "budget 'macs'"),
        (lambda: mobicalc.cost("v1").check({"macs": "0M"}), "budget 'macs'"),
        (lambda: mobicalc.cost("v1").check({"macs": "3e8"}), "budget 'macs'"),
        (lambda: mobicalc.cost("v1").check({"params_bytes": "lots"}), "budget 'params_bytes'"),
        (lambda: mobicalc.cost("v1").check([("macs", 1)]), "budgets"),
        (lambda: mobicalc.sweep("v1", ["1"], [128], budgets={"macs": float("inf")}), "budget 'macs'"),
        (lambda: mobicalc.design_space("v2", budgets={"params": "-4M"}), "budget 'params'"),
        (lambda: mobicalc.sweep("v1", ["1"], [128.0]), "resolutions item"),
        (lambda: mobicalc.sweep("v1", [None], [128]), "alpha"),
        (lambda: mobicalc.sweep("v1", ["1"], 128), "resolutions"),
        (lambda: mobicalc.compare_layer(N=512.0, dk=3), "N"),
        (lambda: mobicalc.compare_layer(N=512, dk="+3"), "dk"),
        (lambda: mobicalc.compare_layer(N=512, dk=3, M=True), "M"),
        (lambda: mobicalc.compare_layer(N=512, dk=3, dp="14.0"), "dp"),
        (lambda: mobicalc.compare_layer(N=512, dk=3, rho="-1"), "rho"),
        (
            lambda: mobicalc.roofline(mobicalc.cost("v1"), peak_gflops="1e3", bandwidth_gbs="25"),
            "peak_gflops",
        ),
        (lambda: mobicalc.roofline(mobicalc.cost("v1"), peak_gflops=150, bandwidth_gbs=-1), "bandwidth_gbs"),
        (lambda: mobicalc.roofline("v1"), "roofline takes a network"),
        (lambda: mobicalc.frontier([(1, "x", mobicalc.cost("v1").totals)]), "point 1's resolution"),
        # bench's own arguments are read before TensorFlow loads (no test here imports it)
        (lambda: mobicalc.bench("v1", rounds=2.0), "rounds"),
        (lambda: mobicalc.bench("v1", rounds="two"), "rounds"),
        (lambda: mobicalc.bench("v1", rounds=0), "rounds"),
        (lambda: mobicalc.bench("v1", threads=-1), "threads"),
        (lambda: mobicalc.bench("v1", threads="+1"), "threads"),
        (lambda: mobicalc.bench("v1", threads=1025), "threads"),
        (lambda: mobicalc.bench("v1", standard=1), "standard"),
        (lambda: mobicalc.bench_ratio(N=512, dk=3, rounds=True), "rounds"),
        (lambda: mobicalc.bench_ratio(N="512.5", dk=3), "N"),
        # a Keras model's arguments are read before the file is looked for (it does not exist)
        (lambda: mobicalc.cost("missing.keras", resolution="64.0"), "resolution"),
        (lambda: mobicalc.cost("missing.keras", resolution=[64, 64.0]), "resolution width"),
        (lambda: mobicalc.cost("missing.keras", input_shape=[(True, 32, 3)]), "input_shape size"),
        (lambda: mobicalc.cost("missing.keras", input_shape=[("3", "2.5", "3")]), "input_shape size"),
        (lambda: mobicalc.cost("missing.keras", input_shape="32x32x"), "input_shape"),
        (lambda: mobicalc.cost("missing.keras", input_shape=[]), "input_shape"),
        (lambda: mobicalc.cost("missing.keras", input_shape=[(32, 32, 3), 5]), "input_shape \\(input 2\\)"),
        (lambda: mobicalc.cost("missing.keras", input_channels=3.0), "input_channels"),
        (lambda: mobicalc.cost("missing.keras", unsafe="yes"), "unsafe"),
        (lambda: mobicalc.cost("missing.keras", custom_objects=[1]), "custom_objects"),
        (lambda: mobicalc.cost("missing.keras", resolution=64, input_shape="64x64x3"), "give resolution"),
        (lambda: mobicalc.design_space("missing.keras", resolutions=["64.5"]), "resolutions item"),
        (lambda: mobicalc.design_space("missing.keras", budgets={"macs": "many"}), "budget 'macs'"),
        (lambda: mobicalc.sweep("missing.keras", ["1"], [True]), "resolutions item"),
        (lambda: mobicalc.bench("missing.keras", rounds="2.0"), "rounds"),
    ],
)
def test_a_bad_argument_is_a_mobicalc_error_naming_it(call, parameter):
    with pytest.raises(mobicalc.MobicalcError, match=f"^{parameter}"):
        call()


@pytest.mark.parametrize(
    ("budgets", "limit"),
    [
        ({"macs": "300M"}, 300_000_000),
        ({"macs": " 300m "}, 300_000_000),  # the CLI reads --max-macs 300m too
        ({"macs": "0.3G"}, 300_000_000),
        ({"macs": 300_000_000.0}, 300_000_000),
        ({"macs": np.int64(300_000_000)}, 300_000_000),
        ({"params": "4.3M"}, 4_300_000),
        ({"peak_activation_bytes": "8MB"}, 8_000_000),
        ({"peak_activation_bytes": "1.5MiB"}, 3 * 2**19),
    ],
)
def test_a_budget_is_read_as_the_cli_reads_it(budgets, limit):
    (check,) = mobicalc.cost("v2", alpha=0.75).check(budgets).checks
    assert check.budget == limit
    (point,) = mobicalc.sweep("v2", ["0.75"], [224])
    kept = mobicalc.sweep("v2", ["0.75"], [224], budgets=budgets)
    assert kept == ([point] if check.ok else [])


def test_budgets_as_text_give_the_clis_verdict():
    """MobileNetV2 0.75 at 224: 209 million MACs, 2.61 million params (the TF-slim README)."""
    verdict = mobicalc.cost("v2", alpha=0.75).check({"macs": "300M", "params": "2.6M"})
    cli = _json("check", "v2", "--alpha", "0.75", "--max-macs", "300M", "--max-params", "2.6M")
    assert verdict.over == ("params",)
    assert [check["metric"] for check in cli["checks"] if not check["ok"]] == ["params"]
    space = mobicalc.design_space("v2", budgets={"macs": "300M"})
    assert space.most_accurate() == mobicalc.design_space("v2", budgets={"macs": 300_000_000}).most_accurate()


def test_sweep_reads_its_lists_as_the_cli_reads_them():
    by_items = mobicalc.sweep("v1", ["0.5", "1"], ["128", "192x256"])
    by_text = mobicalc.sweep("v1", "0.5,1", "128,192x256")
    by_numbers = mobicalc.sweep("v1", [Fraction(1, 2), 1], [128, (192, 256)])
    assert by_items == by_text == by_numbers
    assert [(point.alpha, point.resolution) for point in by_text] == [
        (Fraction(1, 2), 128), (Fraction(1, 2), (192, 256)), (1, 128), (1, (192, 256)),
    ]  # fmt: skip


def test_compare_layer_reads_its_arguments_as_mobicalc_ratio_does():
    """1/N + 1/Dk² for N = 512, Dk = 3 (the paper's Section 3)."""
    comparison = mobicalc.compare_layer(N="512", dk="3", M=np.int32(512), dp=" 14 ", alpha="1", rho=1.0)
    assert comparison.ratio == Fraction(1, 512) + Fraction(1, 9)
    assert comparison.standard.macs == 3 * 3 * 512 * 512 * 14 * 14


def test_roofline_reads_the_machine_as_written():
    network = mobicalc.cost("v1")
    as_text = mobicalc.roofline(network, peak_gflops="150", bandwidth_gbs="25.6")
    assert as_text == mobicalc.roofline(network, peak_gflops=150, bandwidth_gbs=Fraction(128, 5))
    assert as_text == mobicalc.roofline(network, peak_gflops=150.0, bandwidth_gbs=25.6)


def _open_sized_model():
    import keras

    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, keras.layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs))


SIXTY_FOUR = 64 * 64 * 3 * 3 * 3 * 8
"""A 3x3 convolution from 3 to 8 channels, "same" padding, on 64x64: Dk·Dk·M·N·Dp·Dp."""


@pytest.mark.tensorflow
@pytest.mark.parametrize(
    "sizes",
    [
        {"resolution": 64}, {"resolution": "64"}, {"resolution": "64x64"}, {"resolution": np.int64(64)},
        {"input_shape": [(64, 64, 3)]}, {"input_shape": (64, 64, 3)}, {"input_shape": "64x64x3"},
        {"input_shape": [("64", "64", "3")]},
    ],
)  # fmt: skip
def test_a_keras_models_size_is_read_as_the_cli_reads_it(sizes):
    network = mobicalc.cost(_open_sized_model(), **sizes)
    assert network.macs == SIXTY_FOUR


@pytest.mark.tensorflow
def test_a_keras_models_sweep_reads_its_sizes_as_the_cli_reads_them():
    model = _open_sized_model()
    space = mobicalc.design_space(model, resolutions=["64", 32], budgets={"macs": "1M"})
    assert [(c.resolution, c.totals.macs) for c in space.configurations] == [
        (64, SIXTY_FOUR),
        (32, SIXTY_FOUR // 4),
    ]
    points = mobicalc.sweep(model, ["1"], "64,32")
    assert [(point.resolution, point.totals.macs) for point in points] == [
        (64, SIXTY_FOUR),
        (32, SIXTY_FOUR // 4),
    ]
