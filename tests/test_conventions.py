"""Conventions: every switch, and the published figures each preset reproduces.

Expected numbers are worked out here from the MobileNetV1 paper's Table 1 (Howard et al. 2017),
or cited; never copied from mobicalc's output.
"""

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from mobicalc.cli import main
from mobicalc.count import conventions
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.errors import NetworkError

# MobileNetV1, paper Table 1: (output size, depthwise channels, pointwise output channels) per pair.
V1_PAIRS = [(112, 32, 64), (56, 64, 128), (56, 128, 128), (28, 128, 256), (28, 256, 256), (14, 256, 512)]
V1_PAIRS += [(14, 512, 512)] * 5 + [(7, 512, 1024), (7, 1024, 1024)]
STEM = 3 * 3 * 3 * 32  # Conv / s2, 3x3x3x32, output 112x112x32
V1_WEIGHTS = STEM + sum(9 * dw + dw * pw for _, dw, pw in V1_PAIRS)
V1_BN_CHANNELS = 32 + sum(dw + pw for _, dw, pw in V1_PAIRS)
V1_BN_ELEMENTS = 112 * 112 * 32 + sum(size * size * (dw + pw) for size, dw, pw in V1_PAIRS)
FC = 1024 * 1000


def totals(model: str, convention: str, **settings):
    return network_cost(model, Settings(convention=convention, **settings)).totals


def test_the_hand_computed_body_is_the_papers():
    # Paper Table 1 and the slim docstring's per-layer table: 3,185,088 body weights.
    assert V1_WEIGHTS == 3_185_088
    assert V1_BN_CHANNELS == 10_944


def test_keras_is_the_default_and_unchanged():
    # keras.io Applications page (older): MobileNet 4,253,864 parameters.
    assert totals("v1", "keras") == network_cost("v1").totals
    assert totals("v1", "keras").params == V1_WEIGHTS + FC + 1000 + 4 * V1_BN_CHANNELS == 4_253_864


def test_paper_counts_kernel_weights_only():
    # MobileNetV1 paper Table 8, "1.0 MobileNet-224": 4.2 million parameters (conv and FC weights).
    cost = totals("v1", "paper")
    assert cost.params == V1_WEIGHTS + FC
    assert cost.bias == cost.batch_norm_trainable == cost.batch_norm_non_trainable == 0


def test_folded_bn_gives_each_normalised_layer_a_bias():
    # Each of the 10,944 batch-norm channels becomes one bias; the classifier keeps its own.
    assert totals("v1", "folded-bn").params == V1_WEIGHTS + FC + 1000 + V1_BN_CHANNELS


def test_slim_has_a_background_class():
    # TF-slim checkpoints: 1001-way logits (class 0 is background), a 1x1 conv with bias.
    network = network_cost("v1", Settings(convention="slim"))
    assert network.classes == 1001
    assert network.totals.params == V1_WEIGHTS + 1024 * 1001 + 1001  # 4,211,113
    # slim README (mobilenet_v1.md), MobileNet_v1_1.0_224: 569 million MACs.
    assert network.totals.macs == network_cost("v1").totals.macs + 1024


def test_slim_min_depth_keeps_eight_channels():
    # slim's mobilenet_v1: depth(d) = max(int(d * depth_multiplier), min_depth), min_depth = 8.
    narrow = network_cost("v1", Settings(alpha=Fraction(1, 8), convention="slim"))
    assert narrow.layers[0].output.channels == 8  # int(32 / 8) = 4, floored at 8
    keras = network_cost("v1", Settings(alpha=Fraction(1, 8)))
    assert keras.layers[0].output.channels == 4


def test_tf_profiler_flops_of_v1():
    # docs/counting.md worked example: the V1 profiler total 1,147,687,920 = 2 x MACs + 10,207,216.
    # Per op (tensorflow/python/profiler/internal/flops_registry.py): batch-norm Mul + AddV2 per element,
    # AddV2, Rsqrt (2), Mul, Mul, Sub per channel; Mean 1 per input element; Softmax 5; BiasAdd 1.
    elementwise = 2 * V1_BN_ELEMENTS + 6 * V1_BN_CHANNELS + 7 * 7 * 1024 + 5 * 1000 + 1000
    assert elementwise == 10_207_216
    cost = totals("v1", "tf-profiler")
    assert cost.flops == 2 * cost.macs + elementwise == 1_147_687_920
    assert cost.params == totals("v1", "keras").params


def test_tf_profiler_json_names_every_switch():
    result = CliRunner().invoke(main, ["table", "v1", "--convention", "tf-profiler", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"]["flops"] == 1_147_687_920
    assert data["convention"]["name"] == "tf-profiler"
    assert set(data["convention"]["switches"]) == set(conventions.SWITCHES)
    assert data["convention"]["switches"]["flops"]["value"] == "profiler"


def test_keras_output_does_not_name_a_convention_in_titles():
    result = CliRunner().invoke(main, ["table", "v1"])
    assert "convention" not in result.output.splitlines()[0]
    result = CliRunner().invoke(main, ["table", "v1", "--convention", "paper"])
    assert "convention paper" in result.output


def test_every_switch_is_explained_once_and_every_preset_sets_only_switches():
    for convention in conventions.CONVENTIONS.values():
        assert set(convention.switches) == set(conventions.SWITCHES)
        assert convention.batch_norm_params in conventions.BATCH_NORM_PARAMS


def test_an_unknown_convention_is_refused():
    with pytest.raises(NetworkError):
        Settings(convention="nope")
    result = CliRunner().invoke(main, ["table", "v1", "--convention", "nope"])
    assert result.exit_code == 2


def test_verify_refuses_conventions_no_keras_model_has():
    result = CliRunner().invoke(main, ["verify", "v1", "--convention", "paper"])
    assert result.exit_code == 2
    assert "tf-profiler" in result.output


def test_docs_carry_every_switch_and_preset_text():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "counting.md").read_text("utf-8")
    for explanation in conventions.SWITCHES.values():
        assert explanation in text
    for convention in conventions.CONVENTIONS.values():
        assert convention.summary in text


@pytest.mark.parametrize(
    ("convention", "header"),
    [
        ("keras", "FLOPs (2 x MACs)"),
        ("paper", "FLOPs (2 x MACs)"),
        ("tf-profiler", "FLOPs (2 x MACs + elementwise)"),
    ],
)
def test_the_flops_header_says_what_flops_are(convention, header):
    result = CliRunner().invoke(main, ["table", "v1", "--convention", convention, "--wide"])
    assert result.exit_code == 0, result.output
    headers = [line.split("  ")[0] for line in result.output.splitlines() if line.startswith("FLOPs")]
    assert headers and set(headers) == {header}  # the totals and the standard-convolution totals
    data = json.loads(
        CliRunner().invoke(main, ["table", "v1", "--convention", convention, "--format", "json"]).output
    )
    flops = conventions.get(convention).flops
    assert data["conventions"]["flops"] == ("2 x MACs" if flops == "2x-macs" else conventions.FLOPS[flops][1])


@pytest.mark.parametrize(
    ("model", "params"),
    # torchvision's weight metadata (torchvision/models/mobilenetv2.py, mobilenetv3.py): num_params.
    [("v2", 3_504_872), ("v3-large", 5_483_032), ("v3-small", 2_542_856)],
)
def test_torch_counts_as_torchvision(model, params):
    totals = network_cost(model, Settings(convention="torch")).totals
    assert totals.params == params
    assert totals.flops == totals.macs  # one FLOP per multiply-add, as fvcore
    # torchvision's _ops in GFLOPS, 3 decimals: 0.301, 0.217, 0.057.
    assert round(totals.flops / 10**9, 3) == {"v2": 0.301, "v3-large": 0.217, "v3-small": 0.057}[model]


def test_torch_flops_in_a_sweep_equal_the_table():
    # MobileNetV2 1.0-224: 300,774,272 MACs (docs/counting.md; keras.applications, verified by TensorFlow).
    args = ["sweep", "v2", "--alpha", "1", "--resolution", "224", "--convention", "torch", "--format", "json"]
    data = json.loads(CliRunner().invoke(main, args).output)
    assert data["configurations"][0]["flops"] == data["configurations"][0]["macs"] == 300_774_272
    result = CliRunner().invoke(main, ["table", "v1", "--convention", "torch", "--wide"])
    assert "FLOPs (MACs)" in result.output


@pytest.mark.parametrize(
    ("alpha", "scaled"),
    # _make_divisible(16 x alpha, 8) (slim's mobilenet.py): 8 at 0.5 (8.0 -> 8), 8 at 0.35 (5.6: at
    # least 8), 16 at 0.75 (12 + 4 = 16), 24 at 1.25 (20 + 4 = 24, floored to a multiple of 8).
    [("0.5", 8), ("0.35", 8), ("0.75", 16), ("1.25", 24), ("1", 16)],
)
def test_scale_fixed_scales_the_v3_first_conv(alpha, scaled):
    def first_conv(convention: str) -> int:
        layers = network_cost("v3-large", Settings(alpha=Fraction(alpha), convention=convention)).layers
        return next(layer for layer in layers if layer.name == "conv").output.channels

    assert first_conv("paper") == first_conv("slim") == scaled
    assert first_conv("keras") == first_conv("torch") == 16  # keras.applications: Conv2D(16) at every alpha
    assert conventions.get("paper").scale_fixed and not conventions.get("keras").scale_fixed
