"""The cross-checker against the real TensorFlow (no mocks).

TensorFlow's numbers come from TensorFlow: count_params(), the traced graph's
per-op flops statistics and tensor shapes. Each configuration builds two
models (from the table, and keras.applications), so the list is kept short.
"""

import json
import signal
import subprocess
import sys
import time
from fractions import Fraction

import pytest
from click.testing import CliRunner

from mobicalc.cli import main
from mobicalc.cli.exits import Exit
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.model.kinds import KINDS
from mobicalc.tf.build import build_model, reference_model
from mobicalc.tf.runtime import TensorFlowCannotBuild, check_buildable
from mobicalc.tf.verify import _match_by_name, tensorflow_totals, verify_network

# Every test here loads TensorFlow: `pytest -m "not tensorflow"` leaves them out, and tests/conftest.py skips
# them where TensorFlow is not installed (at run time: collecting this module does not import TensorFlow).
pytestmark = pytest.mark.tensorflow

CONFIGS = [
    # model, alpha, resolution, classes, include_top
    ("v1", "1", 224, 1000, True),
    ("v1", "0.5", 225, 10, True),
    ("v1", "0.6", 97, 1000, False),
    ("v1", "1.3", 33, 7, True),
    ("v2", "1", 224, 1000, True),
    ("v2", "0.35", 161, 1000, True),
    ("v2", "0.6", 97, 10, False),
    ("v2", "1.3", 33, 1000, True),
    ("v2", "1.4", 225, 1000, True),
    ("v2", "0.1", 64, 10, True),  # so narrow that block 0 keeps its 8 channels: a residual add appears
]


@pytest.mark.parametrize(("model", "alpha", "resolution", "classes", "include_top"), CONFIGS)
def test_engine_agrees_with_tensorflow(model, alpha, resolution, classes, include_top):
    settings = Settings(
        alpha=Fraction(alpha), resolution=resolution, classes=classes, include_top=include_top
    )
    verification = verify_network(network_cost(model, settings))
    assert [check.model for check in verification.checks] == [
        f"built from table {model}",
        f"keras.applications.{'MobileNet' if model == 'v1' else 'MobileNetV2'}",
    ]
    for check in verification.checks:
        differing = [layer for layer in check.layers if not layer.ok]
        assert differing == [], check.model
        assert check.engine_totals == check.tf_totals
        # Every cost-bearing layer was matched and measured by TensorFlow.
        assert all(layer.tf_params is not None for layer in check.layers if layer.kind not in ("pool", "add"))
        # The memory figures' unit: every layer's output values are those of TensorFlow's output tensor.
        assert all(layer.tf_elements is not None for layer in check.layers)
        assert [layer.engine_elements for layer in check.layers] == [
            layer.tf_elements for layer in check.layers
        ]
    assert verification.ok


V3_CONFIGS = [
    # model, alpha, resolution, classes, include_top, minimalistic
    ("v3-large", "1", 224, 1000, True, False),
    ("v3-small", "0.75", 225, 10, True, False),
    ("v3-large", "0.75", 200, 1000, False, True),
    ("v3-small", "1", 224, 1000, True, True),
    ("v3-small", "1.3", 97, 7, True, False),  # alpha above 1 grows the 1x1 conv after the pool
]


@pytest.mark.parametrize(
    ("model", "alpha", "resolution", "classes", "include_top", "minimalistic"), V3_CONFIGS
)
def test_v3_agrees_with_tensorflow(model, alpha, resolution, classes, include_top, minimalistic):
    from mobicalc.model.tables import load

    settings = Settings(
        alpha=Fraction(alpha), resolution=resolution, classes=classes, include_top=include_top
    )
    table = load(model, "minimalistic" if minimalistic else None)
    verification = verify_network(network_cost(table, settings))
    constructor = "MobileNetV3Large" if model == "v3-large" else "MobileNetV3Small"
    assert [check.model for check in verification.checks] == [
        f"built from table {model}",
        f"keras.applications.{constructor}" + ("(minimalistic=True)" if minimalistic else ""),
    ]
    for check in verification.checks:
        assert [layer for layer in check.layers if not layer.ok] == [], check.model
        assert check.engine_totals == check.tf_totals
        # Every layer with weights was matched and measured by TensorFlow, squeeze-and-excite's too.
        weighted = [
            layer for layer in check.layers if layer.kind not in ("pool", "add", "multiply", "rescale")
        ]
        assert all(layer.tf_params is not None and layer.tf_macs is not None for layer in weighted)
        assert all(layer.tf_shape is not None for layer in check.layers)
    kinds = {layer.kind for layer in verification.network.layers}
    assert ("excite" in kinds) == (not minimalistic)
    assert verification.ok


SHAPE_CONFIGS = [
    # model, resolution (height, width), input channels, depth multiplier, alpha, minimalistic
    ("v1", (192, 256), 3, 1, "1", False),  # non-square: sizes per axis, 96x128 down to 6x8
    ("v2", (161, 97), 1, 1, "0.35", False),  # grayscale, odd sides: ceil on each axis (81x49 ...)
    ("v1", 128, 3, 2, "0.5", False),  # depth multiplier 2: every depthwise layer doubles its channels
    ("v1", (97, 33), 4, 3, "0.25", False),  # all at once, with odd sides: floor per axis
    ("v3-small", (200, 160), 1, 1, "0.75", True),  # V3 takes any shape and channels too
]


@pytest.mark.parametrize(
    ("model", "resolution", "channels", "multiplier", "alpha", "minimalistic"), SHAPE_CONFIGS
)
def test_any_input_shape_agrees_with_tensorflow(model, resolution, channels, multiplier, alpha, minimalistic):
    from mobicalc.model.tables import load

    settings = Settings(
        alpha=Fraction(alpha), resolution=resolution, input_channels=channels, depth_multiplier=multiplier
    )
    network = network_cost(load(model, "minimalistic" if minimalistic else None), settings)
    height, width = resolution if isinstance(resolution, tuple) else (resolution, resolution)
    assert network.layers[0].input == (height, width, channels)
    verification = verify_network(network)
    assert len(verification.checks) == 2 and verification.skipped == ()
    reference = verification.checks[1].model
    assert reference.startswith("keras.applications.")
    assert ("depth_multiplier=" in reference) == (multiplier != 1)
    for check in verification.checks:
        assert [layer for layer in check.layers if not layer.ok] == [], check.model
        assert check.engine_totals == check.tf_totals
        # Shapes, height and width apart, are TensorFlow's for every layer.
        assert all(layer.tf_shape == layer.engine_shape for layer in check.layers)
    assert verification.ok


def test_keras_applications_needs_32_pixels_on_each_side():
    network = network_cost("v1", Settings(resolution=(31, 64)))
    model, reason = reference_model(network)
    assert model is None and "at least 32" in reason


def test_v3_published_figures_come_out_of_tensorflow():
    # keras.applications.MobileNetV3Large/Small at 1.0, 224: TensorFlow's exact counts. The Keras
    # docstring says 217M MACs, 5.4M params (Large) and 66M, 2.9M (Small); the paper 219M, 5.4M and
    # 56M, 2.5M. The Small model Keras builds has 56.5M MACs and 2.55M params.
    assert tensorflow_totals(network_cost("v3-large")) == (216_589_760, 5_507_432)
    assert tensorflow_totals(network_cost("v3-small")) == (56_510_400, 2_554_968)


def test_published_figures_come_out_of_tensorflow():
    # keras.applications.MobileNet(): 4,253,864 params (model.summary()) and
    # 569M mult-adds (paper Table 1); TensorFlow's exact count of the MACs is 568,740,352.
    network = network_cost("v1")
    assert tensorflow_totals(network) == (568_740_352, 4_253_864)
    check = verify_network(network).checks[1]
    assert check.tf_totals["trainable_params"] == 4_231_976  # model.summary()'s trainable
    # The profiler counts elementwise work too, so its total exceeds 2 x MACs.
    assert check.profiler_flops > 2 * 568_740_352


def test_user_table(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text(
        """
        name = "TestNet"
        resolution = 45
        classes = 12
        layers = [
          { operator = "conv", kernel = 3, c = 16, s = 2, padding = "valid" },
          { operator = "depthwise", kernel = 5, s = 2, padding = [1, 2] },
          { operator = "pointwise", c = 24, bias = true, batch_norm = false },
          { operator = "separable", c = 24, n = 2 },
          { operator = "bottleneck", t = 3, c = 24, s = 1 },
          { operator = "bottleneck", t = 4, c = 40, s = 2, kernel = 5 },
          { operator = "pool" },
          { operator = "classifier" },
        ]
        """
    )
    verification = verify_network(network_cost(path, Settings(alpha=Fraction("0.75"))))
    built, reference = verification.checks
    assert built.ok and all(layer.ok for layer in built.layers)
    assert reference.skipped == "has no model for a user table"
    assert verification.ok and verification.skipped == (reference,)
    assert any(layer.kind == "add" for layer in built.layers)


def test_user_names_that_look_like_helper_layers(tmp_path):
    """A table may name a layer x_bn: the batch-norm of layer x then takes another name."""
    path = tmp_path / "net.toml"
    path.write_text(
        """
        resolution = 32
        layers = [
          { operator = "conv", c = 8, s = 2, name = "x" },
          { operator = "conv", c = 8, name = "x_bn" },
          { operator = "depthwise", name = "x_bn_bn", padding = [0, 1] },
          { operator = "pointwise", c = 8, name = "x_bn_bn_pad" },
        ]
        """
    )
    network = network_cost(path)
    model = build_model(tuple(record.layer for record in network.records))
    assert {"x", "x_bn", "x_bn_bn", "x_bn_bn_pad", "x_bn_2", "x_bn_bn_2", "x_bn_bn_pad_2"} <= {
        layer.name for layer in model.layers
    }
    assert verify_network(network).checks[0].ok


def test_a_wrong_formula_is_caught(monkeypatch):
    """The checker can fail: depthwise MACs one too many per output pixel show up per layer."""
    right = KINDS["depthwise"].formula
    wrong = KINDS["depthwise"]._replace(formula=lambda *args: (right(*args)[0] + 1, right(*args)[1]))
    monkeypatch.setitem(KINDS, "depthwise", wrong)
    network = network_cost("v1", Settings(alpha=Fraction("0.25"), resolution=64))
    verification = verify_network(network)
    assert not verification.ok
    for check in verification.checks:
        assert {layer.name for layer in check.layers if not layer.ok} == {
            f"conv_dw_{block}" for block in range(1, 14)
        }
        extra = sum(
            layer.engine_shape[0] * layer.engine_shape[1]
            for layer in check.layers
            if layer.kind == "depthwise"
        )
        assert check.engine_totals["macs"] == check.tf_totals["macs"] + extra


def test_a_table_that_differs_from_keras_is_caught(monkeypatch):
    """Wrong padding in the v1 table (ceil instead of Keras' floor) shows at odd sizes."""
    from mobicalc.model import tables as architecture

    table = architecture.load("v1")
    rows = tuple(
        row if row.padding == "same" else row.__class__(**{**_fields(row), "padding": "same"})
        for row in table.rows
    )
    monkeypatch.setattr(
        architecture, "_builtin", lambda name: table.__class__(**{**_fields(table), "rows": rows})
    )
    verification = verify_network(network_cost("v1", Settings(resolution=225, alpha=Fraction("0.25"))))
    built, reference = verification.checks
    assert built.ok  # the model built from the (wrong) table agrees with the engine...
    assert not reference.ok  # ...but keras.applications does not
    assert "conv_dw_2" in {layer.name for layer in reference.layers if not layer.ok}


# The Keras layer class of each engine kind (the classifier's depends on the model).
KERAS_CLASS = {
    "conv": "Conv2D",
    "pointwise": "Conv2D",
    "depthwise": "DepthwiseConv2D",
    "add": "Add",
    "pool": "GlobalAveragePooling2D",
    "excite": "Conv2D",
    "multiply": "Multiply",
    "rescale": "Rescaling",
}


@pytest.mark.parametrize("model", ["v1", "v2", "v3-large", "v3-small"])
@pytest.mark.parametrize("alpha", ["1", "0.35"])
@pytest.mark.parametrize("include_top", [True, False])
def test_engine_names_are_keras_names(model, alpha, include_top):
    """Each engine layer has a namesake of its kind in keras.applications' model built in a fresh session."""
    import keras

    network = network_cost(model, Settings(alpha=Fraction(alpha), resolution=96, include_top=include_top))
    keras.backend.clear_session()
    reference, _ = reference_model(network)
    keras.backend.clear_session()
    classes = {layer.name: type(layer).__name__ for layer in reference.layers}
    # V1's and V3's classifiers are 1x1 convolutions in Keras, V2's a Dense layer.
    expected = {**KERAS_CLASS, "dense": "Dense" if model == "v2" else "Conv2D"}
    assert {record.layer.name: classes.get(record.layer.name) for record in network.records} == {
        record.layer.name: expected[record.layer.kind] for record in network.records
    }


def test_keras_pool_is_matched_by_kind_when_its_auto_name_has_a_suffix():
    import keras

    network = network_cost("v2", Settings(alpha=Fraction("0.35"), resolution=32))
    keras.backend.clear_session()
    reference_model(network)
    second, _ = reference_model(network)  # the same session: Keras numbers the pool's name
    keras.backend.clear_session()
    pool = next(layer for layer in second.layers if type(layer).__name__ == "GlobalAveragePooling2D")
    assert pool.name == "global_average_pooling2d_1"
    matched = _match_by_name(network.records, second)
    assert matched["global_average_pooling2d"] is pool
    assert set(matched) == {record.layer.name for record in network.records}


def test_keras_rescaling_is_matched_by_kind_when_its_auto_name_has_a_suffix():
    import keras

    network = network_cost("v3-small", Settings(alpha=Fraction("0.35"), resolution=32))
    keras.backend.clear_session()
    reference_model(network)
    second, _ = reference_model(network)  # the same session: Keras numbers the auto-named layers
    keras.backend.clear_session()
    rescaling = next(layer for layer in second.layers if type(layer).__name__ == "Rescaling")
    assert rescaling.name == "rescaling_1"
    matched = _match_by_name(network.records, second)
    assert matched["rescaling"] is rescaling
    assert set(matched) == {record.layer.name for record in network.records}


def test_a_layer_without_a_keras_namesake_of_its_kind_is_a_difference(monkeypatch):
    """Matching is by name: a renamed layer, or names swapped between kinds, do not pass."""
    from mobicalc.model import tables as architecture

    table = architecture.load("v1")
    renamed = {"conv1": "stem", "conv_dw_1": "conv_pw_1", "conv_pw_1": "conv_dw_1"}
    rows = tuple(
        row.__class__(
            **{
                **_fields(row),
                "names": tuple(
                    tuple((part, renamed.get(name, name)) for part, name in names) for names in row.names
                ),
            }
        )
        for row in table.rows
    )
    monkeypatch.setattr(
        architecture, "_builtin", lambda name: table.__class__(**{**_fields(table), "rows": rows})
    )
    verification = verify_network(network_cost("v1", Settings(resolution=64, alpha=Fraction("0.25"))))
    built, reference = verification.checks
    assert built.ok
    differing = {layer.name: layer for layer in reference.layers if not layer.ok}
    assert set(differing) == {"stem", "conv_dw_1", "conv_pw_1"}
    assert all(layer.tf_shape is None and layer.tf_params is None for layer in differing.values())
    assert reference.engine_totals == reference.tf_totals  # the counts agree; only the names do not
    assert not verification.ok


def _fields(record) -> dict:
    return record._asdict()


def test_model_from_exact_rounding_is_refused():
    network = network_cost("v1", Settings(alpha=Fraction("0.6"), rounding="exact"))
    with pytest.raises(ValueError, match="channels: no real model"):
        build_model(tuple(record.layer for record in network.records))


class TestVerifyCommand:
    def test_agreement_exits_0_with_json(self):
        result = CliRunner().invoke(
            main, ["verify", "v2", "--alpha", "0.5", "--resolution", "96", "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["ok"] is True
        assert (
            data["checks"][1]["tensorflow_totals"]["params"] == data["checks"][1]["engine_totals"]["params"]
        )
        assert "elementwise" in data["checks"][0]["profiler_note"]

    def test_table_output_has_a_summary(self):
        result = CliRunner().invoke(main, ["verify", "v1", "--alpha", "0.25", "--resolution", "64"])
        assert result.exit_code == 0, result.output
        assert "✓ all agree" in result.output
        assert "TF profiler float_operation()" in result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80  # a pipe gets 80 columns

    def test_difference_exits_1_and_names_the_layers(self, monkeypatch):
        monkeypatch.setitem(KINDS, "dense", KINDS["dense"]._replace(formula=lambda *args: (1, 1)))
        result = CliRunner().invoke(main, ["verify", "v1", "--alpha", "0.25", "--resolution", "64"])
        assert result.exit_code == 1
        assert "✗ differs: conv_preds" in result.output
        assert result.output.endswith("DIFFERS (2 of 2 checks ran)\n")

    def test_exact_rounding_is_a_usage_error(self):
        result = CliRunner().invoke(main, ["verify", "v1", "--rounding", "exact", "--alpha", "0.6"])
        assert result.exit_code == 2
        assert "fractional channels" in result.output

    def test_other_rounding_skips_keras_applications(self):
        result = CliRunner().invoke(
            main, ["verify", "v1", "--rounding", "divisible-by-8", "--alpha", "0.3", "--resolution", "64"]
        )
        assert result.exit_code == 0, result.output
        text = " ".join(result.output.split())  # notes wrap at the output's width
        assert "skipped: rounds channels its own way: use --rounding keras" in text
        assert text.endswith(
            "ok (1 of 2 checks ran; keras.applications skipped: rounds channels its own way: "
            "use --rounding keras, not divisible-by-8)"
        )

    def test_below_32_pixels_says_keras_applications_was_skipped(self):
        options = ["verify", "v1", "--alpha", "0.25", "--resolution", "31"]
        summary = "ok (1 of 2 checks ran; keras.applications skipped: needs a resolution of at least 32)"
        text = CliRunner().invoke(main, options, env={"COLUMNS": "120"})  # the summary on one line
        assert text.exit_code == 0, text.output
        assert "keras.applications  skipped: needs a resolution of at least 32" in text.output
        assert text.output.endswith(summary + "\n")
        markdown = CliRunner().invoke(main, [*options, "--format", "markdown"])
        assert "| keras.applications | skipped: needs a resolution of at least 32 |" in markdown.output
        assert markdown.output.endswith(summary + "\n")
        data = json.loads(CliRunner().invoke(main, [*options, "--format", "json"]).output)
        assert data["ok"] is True
        assert data["summary"] == summary
        assert data["skipped"] == [
            {"model": "keras.applications", "reason": "needs a resolution of at least 32"}
        ]
        built, reference = data["checks"]
        assert built["skipped"] is None and built["layers"]
        assert reference["skipped"] == "needs a resolution of at least 32"
        assert reference["layers"] == [] and reference["tensorflow_totals"] is None

    def test_all_checks_ran_says_so(self):
        result = CliRunner().invoke(main, ["verify", "v1", "--alpha", "0.25", "--resolution", "32"])
        assert result.exit_code == 0, result.output
        assert result.output.endswith("\nok (2 of 2 checks ran)\n")
        assert "skipped" not in result.output


# Without TensorFlow, or with a broken one: tests/test_verify_environment.py.


def test_verify_writes_nothing_on_stderr():
    """TensorFlow's, absl's and Keras' start-up logs and warnings stay off stderr."""
    for options in (["v1"], ["v2", "--alpha", "0.35", "--resolution", "97", "--no-top"]):
        result = subprocess.run(
            [sys.executable, "-m", "mobicalc", "verify", *options], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.endswith("ok (2 of 2 checks ran)\n")


def test_ctrl_c_while_tensorflow_loads_exits_130():
    process = subprocess.Popen(
        [sys.executable, "-m", "mobicalc", "verify", "v1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)  # TensorFlow is importing, or building
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == Exit.INTERRUPTED, stderr
    assert stderr == "interrupted\n"
    assert stdout == ""


def test_the_largest_model_tensorflow_may_count_agrees():
    """Just under the int64 limit TensorFlow's counts are still exact; one pixel more is refused."""
    network = network_cost("v2", Settings(resolution=18_790_636))
    assert 2 * network.totals.macs > 2**61  # near the limit of 2**62
    assert verify_network(network).ok
    with pytest.raises(TensorFlowCannotBuild, match="over verify's limit of 2"):
        check_buildable(network_cost("v2", Settings(resolution=18_790_637)))


def test_importing_the_crosschecker_does_not_import_tensorflow():
    code = "import sys, mobicalc.tf.verify; print('tensorflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )
