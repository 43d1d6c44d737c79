"""Whole-network counts against hand calculations and the published tables.

The hand calculations below walk the papers' tables directly with the formulas
of test_costs.py; they share no code with the engine.
"""

import math
import subprocess
import sys
from fractions import Fraction

import pytest

from mobicalc.count.layer import compare_layer
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.count.sweep import sweep

# MobileNetV1 paper, Table 1: (output channels, stride) of the 13 depthwise
# separable blocks, last stride 1 (the printed s2 is a misprint).
V1_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), *[(512, 1)] * 5, (1024, 2), (1024, 1)]

# MobileNetV2 paper, Table 2: (t, c, n, s).
V2_ROWS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def v1_by_hand(alpha: float = 1.0, resolution: int = 224, classes: int = 1000) -> tuple[int, int]:
    """MobileNetV1 as keras.applications builds it; params include batch-norm (4 per channel)."""
    size = math.ceil(resolution / 2)  # 3x3 conv, stride 2, "same"
    channels = int(32 * alpha)
    macs = 3 * 3 * 3 * channels * size * size
    params = 3 * 3 * 3 * channels + 4 * channels
    for width, stride in V1_BLOCKS:
        if stride == 2:
            size //= 2  # pad bottom/right by 1, then "valid": floor(size / 2)
        out = int(width * alpha)
        macs += 3 * 3 * channels * size * size + channels * out * size * size
        params += 3 * 3 * channels + 4 * channels + channels * out + 4 * out
        channels = out
    macs += channels * classes
    params += channels * classes + classes
    return macs, params


def v2_by_hand(resolution: int = 224, classes: int = 1000) -> tuple[int, int]:
    """MobileNetV2 at alpha 1 (no rounding needed): expand, depthwise, project, then 1x1 to 1280."""
    size = math.ceil(resolution / 2)
    channels = 32
    macs = 3 * 3 * 3 * 32 * size * size
    params = 3 * 3 * 3 * 32 + 4 * 32
    for t, c, n, s in V2_ROWS:
        for repeat in range(n):
            hidden = t * channels
            if t != 1:
                macs += channels * hidden * size * size
                params += channels * hidden + 4 * hidden
            size = math.ceil(size / (s if repeat == 0 else 1))
            macs += 3 * 3 * hidden * size * size + hidden * c * size * size
            params += 3 * 3 * hidden + 4 * hidden + hidden * c + 4 * c
            channels = c
    macs += channels * 1280 * size * size + 1280 * classes
    params += channels * 1280 + 4 * 1280 + 1280 * classes + classes
    return macs, params


@pytest.mark.parametrize(
    ("model", "alpha", "macs", "params"),
    [
        # What TensorFlow counts for keras.applications (model.count_params(), and
        # the graph's Conv2D/DepthwiseConv2dNative/MatMul flops / 2); see test_tensorflow_bridge.py.
        ("v1", "1", 568_740_352, 4_253_864),
        ("v1", "0.5", 149_497_088, 1_342_536),
        ("v2", "1", 300_774_272, 3_538_984),
        ("v2", "1.4", 582_195_824, 6_156_712),
    ],
)
def test_published_totals(model, alpha, macs, params):
    network = network_cost(model, Settings(alpha=Fraction(alpha)))
    assert (network.macs, network.params) == (macs, params)


@pytest.mark.parametrize("alpha", [1.0, 0.75, 0.6, 0.5, 0.25, 1.3])
@pytest.mark.parametrize("resolution", [224, 192, 225, 97, 33])
def test_v1_matches_hand_calculation(alpha, resolution):
    network = network_cost("v1", Settings(alpha=Fraction(str(alpha)), resolution=resolution))
    assert (network.macs, network.params) == v1_by_hand(alpha, resolution)


@pytest.mark.parametrize("resolution", [224, 160, 225, 97, 33, 1])
@pytest.mark.parametrize("classes", [1000, 10])
def test_v2_matches_hand_calculation(resolution, classes):
    network = network_cost("v2", Settings(resolution=resolution, classes=classes))
    assert (network.macs, network.params) == v2_by_hand(resolution, classes)


@pytest.mark.parametrize(
    ("alpha", "resolution", "millions"),
    # MobileNetV1 paper, Table 6 (width multiplier) and Table 7 (resolution): mult-adds.
    [("1", 224, 569), ("0.75", 224, 325), ("0.5", 224, 149), ("0.25", 224, 41), ("1", 192, 418),
     ("1", 160, 290), ("1", 128, 186)],
)  # fmt: skip
def test_v1_paper_tables_6_and_7(alpha, resolution, millions):
    network = network_cost("v1", Settings(alpha=Fraction(alpha), resolution=resolution))
    # The paper prints whole millions, not always rounded the same way (290.7M is "290").
    assert abs(network.macs / 1e6 - millions) < 1


def test_v1_paper_table_2_resources_per_layer_type():
    """Paper Table 2; params there are kernel weights only. Its 1.19% for the
    full 3x3 conv is a misprint of 1.91% (the column must add to 100%)."""
    network = network_cost("v1")
    breakdown = network.breakdown()
    weights = sum(cost.weights for cost in breakdown.values())

    def shares(kind):
        cost = breakdown[kind]
        return round(100 * cost.macs / network.macs, 2), round(100 * cost.weights / weights, 2)

    assert shares("pointwise") == (94.86, 74.59)
    assert shares("depthwise") == (3.06, 1.06)
    assert shares("conv") == (1.91, 0.02)
    assert shares("dense") == (0.18, 24.33)


def test_v1_standard_counterpart_is_paper_conv_mobilenet():
    """Paper Table 4: Conv MobileNet, every separable block one full 3x3 conv: 4866M, 29.3M."""
    network = network_cost("v1")
    macs = 3 * 3 * 3 * 32 * 112 * 112 + 1024 * 1000
    weights = 3 * 3 * 3 * 32 + 1024 * 1000
    batch_norm = 4 * 32
    channels, size = 32, 112
    for width, stride in V1_BLOCKS:
        size //= stride
        macs += 3 * 3 * channels * width * size * size
        weights += 3 * 3 * channels * width
        batch_norm += 4 * width
        channels = width
    assert network.standard.macs == macs
    assert network.standard.params == weights + batch_norm + 1000
    # The paper's figures, to their printed precision (its 4866M leaves out the classifier's 1.0M).
    assert abs(network.standard.macs / 1e6 - 4866) < 2
    assert round(network.standard.weights / 1e6, 1) == 29.3
    assert network.standard.macs / network.macs == pytest.approx(4866 / 569, rel=0.01)


def test_totals_are_sums_of_rows():
    network = network_cost("v2", Settings(alpha=Fraction("0.75")))
    assert network.macs == sum(record.cost.macs for record in network.records)
    assert network.params == sum(record.cost.params for record in network.records)
    assert sum(cost.macs for cost in network.breakdown().values()) == network.macs


def test_v2_blocks_add_residuals_where_shapes_match():
    # Paper Table 2: repeats after the first of each row keep their shape:
    # 24 x1, 32 x2, 64 x3, 96 x2, 160 x2, 320 x0 -> 10 residual adds.
    adds = [record.layer for record in network_cost("v2").records if record.layer.kind == "add"]
    assert len(adds) == 1 + 2 + 3 + 2 + 2


def test_no_top_drops_pool_and_classifier():
    with_top, without = network_cost("v1"), network_cost("v1", Settings(include_top=False))
    assert [r.layer.kind for r in with_top.records][-2:] == ["pool", "dense"]
    assert without.records[-1].layer.name == "conv_pw_13"
    assert with_top.params - without.params == 1024 * 1000 + 1000
    assert without.classes is None


def test_exact_rounding_keeps_real_valued_channels():
    # alpha 0.6 x 32 = 19.2 channels: the first conv costs 3*3*3*19.2*112*112 exactly.
    network = network_cost("v1", Settings(alpha=Fraction("0.6"), rounding="exact"))
    first = network.records[0]
    assert first.layer.output.channels == Fraction(96, 5)
    assert first.cost.macs == Fraction(3 * 3 * 3 * 96 * 112 * 112, 5)


def test_exact_rounding_pointwise_costs_scale_with_alpha_squared():
    full = network_cost("v1", Settings(rounding="exact"))
    scaled = network_cost("v1", Settings(alpha=Fraction("0.6"), rounding="exact"))
    for a, b in zip(full.records, scaled.records, strict=True):
        if a.layer.kind == "pointwise":
            assert b.cost.macs == a.cost.macs * Fraction("0.6") ** 2
        if a.layer.kind == "depthwise":
            assert b.cost.macs == a.cost.macs * Fraction("0.6")


def test_divisible_by_8_policy_applies_to_every_layer():
    network = network_cost("v1", Settings(alpha=Fraction("0.6"), rounding="divisible-by-8"))
    channels = {
        record.layer.output.channels for record in network.records if record.layer.kind == "pointwise"
    }
    # 64 x 0.6 = 38.4 -> 40; 128 x 0.6 = 76.8 -> 80; 256 -> 153.6 -> 152; 512 -> 307.2 -> 304; 1024 -> 614.4 -> 616
    assert channels == {40, 80, 152, 304, 616}


class TestPaperTable3:
    """MobileNetV1 paper, Table 3: one 14x14x512 -> 14x14x512 layer, Dk = 3."""

    def test_standard_vs_separable(self):
        layer = compare_layer(N=512, dk=3, M=512, dp=14)
        assert layer.standard.macs == 3 * 3 * 512 * 512 * 14 * 14  # 462M
        assert layer.standard.params == 3 * 3 * 512 * 512  # 2.36M
        assert layer.separable.macs == 3 * 3 * 512 * 14 * 14 + 512 * 512 * 14 * 14  # 52.3M
        assert layer.separable.params == 3 * 3 * 512 + 512 * 512  # 0.27M
        assert (round(layer.standard.macs / 1e6), round(layer.separable.macs / 1e6, 1)) == (462, 52.3)
        assert (round(layer.standard.params / 1e6, 2), round(layer.separable.params / 1e6, 2)) == (2.36, 0.27)

    def test_width_multiplier(self):
        layer = compare_layer(N=512, dk=3, M=512, dp=14, alpha=Fraction("0.75"))
        assert layer.separable.macs == 3 * 3 * 384 * 14 * 14 + 384 * 384 * 14 * 14
        assert (round(layer.separable.macs / 1e6, 1), round(layer.separable.params / 1e6, 2)) == (29.6, 0.15)

    def test_resolution_multiplier_rounds_dp(self):
        layer = compare_layer(N=512, dk=3, M=512, dp=14, alpha=Fraction("0.75"), rho=Fraction("0.714"))
        assert layer.dp == 10  # 14 x 0.714 = 9.996
        assert layer.separable.macs == 3 * 3 * 384 * 10 * 10 + 384 * 384 * 10 * 10
        assert round(layer.separable.macs / 1e6, 1) == 15.1


@pytest.mark.parametrize(("N", "dk"), [(512, 3), (32, 3), (1024, 5), (7, 1)])
def test_ratio_is_one_over_n_plus_one_over_dk_squared(N, dk):
    layer = compare_layer(N=N, dk=dk, dp=7)
    assert layer.ratio == Fraction(1, N) + Fraction(1, dk * dk) == layer.closed_form


def test_ratio_for_512_and_3_is_0_113():
    assert round(float(compare_layer(N=512, dk=3).ratio), 3) == 0.113


def test_engine_imports_neither_click_rich_nor_tensorflow():
    code = (
        "import sys, mobicalc.count.network, mobicalc.count.sweep, mobicalc.model.tables\n"
        "print(sorted(m for m in ('click', 'rich', 'tensorflow', 'keras') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


class TestSweep:
    """A sweep shares work across configurations; each cell is still exactly what one table gives."""

    @pytest.mark.parametrize(
        ("model", "options"),
        [
            ("v1", {}),
            ("v2", {}),
            ("v2", {"classes": 10, "include_top": False}),
            ("v1", {"rounding": "exact"}),
        ],
    )
    def test_every_cell_equals_the_table(self, model, options):
        alphas, resolutions = ["0.35", "0.5", "1", "1.3"], [33, 97, 128, 225]
        points = sweep(model, alphas, resolutions, **options)
        assert [(point.alpha, point.resolution) for point in points] == [
            (Fraction(alpha), resolution) for alpha in alphas for resolution in resolutions
        ]
        for point in points:
            settings = Settings(alpha=point.alpha, resolution=point.resolution, **options)
            assert point.totals == network_cost(model, settings).totals

    def test_a_user_table(self, tmp_path):
        path = tmp_path / "net.toml"
        path.write_text(
            'layers = [{ operator = "conv", c = 24, s = 2 }, { operator = "bottleneck", t = 4, c = 24, n = 2 },'
            ' { operator = "pool" }, { operator = "classifier" }]\n'
        )
        for point in sweep(path, ["0.5", "0.75"], [31, 64]):
            assert (
                point.totals
                == network_cost(path, Settings(alpha=point.alpha, resolution=point.resolution)).totals
            )

    def test_v1_at_224_is_the_published_count(self):
        # MobileNetV1 1.0-224: 569M mult-adds (paper Table 8); 568,740,352 exactly, as TensorFlow counts.
        (point,) = sweep("v1", [1], [224])
        assert point.totals.macs == v1_by_hand()[0] == 568_740_352


class TestBudgets:
    def test_verdicts_are_inclusive(self):
        macs, params = v1_by_hand()
        network = network_cost("v1")
        assert network.check({"macs": Fraction(macs)}).ok
        verdict = network.check(
            {"macs": Fraction(macs - 1), "params": Fraction(params), "flops": Fraction(2 * macs)}
        )
        assert not verdict.ok
        assert verdict.over == ("macs",)
        assert [check.value for check in verdict.checks] == [macs, params, 2 * macs]

    def test_an_unknown_metric_is_refused(self):
        with pytest.raises(ValueError, match="unknown budget 'latency'"):
            network_cost("v1").check({"latency": Fraction(1)})


def v1_shape_by_hand(height: int, width: int, channels_in: int = 3, multiplier: int = 1) -> tuple[int, int]:
    """MobileNetV1 (alpha 1, 1000 classes) on a height x width x channels_in input, with a depth
    multiplier: each axis sized on its own; a depthwise layer gives ``multiplier`` channels per input
    channel (3 x 3 x M x dm weights), and its pointwise layer takes M x dm channels."""
    h, w = math.ceil(height / 2), math.ceil(width / 2)  # 3x3 conv, stride 2, "same": ceil per axis
    macs = 3 * 3 * channels_in * 32 * h * w
    params = 3 * 3 * channels_in * 32 + 4 * 32
    channels = 32
    for out, stride in V1_BLOCKS:
        if stride == 2:
            h, w = h // 2, w // 2  # pad bottom/right by 1, then "valid": floor per axis
        widened = channels * multiplier
        macs += 3 * 3 * widened * h * w + widened * out * h * w
        params += 3 * 3 * widened + 4 * widened + widened * out + 4 * out
        channels = out
    return macs + channels * 1000, params + channels * 1000 + 1000


@pytest.mark.parametrize(("height", "width"), [(192, 256), (256, 192), (225, 97), (97, 33), (224, 224)])
def test_v1_non_square_matches_hand_calculation(height, width):
    network = network_cost("v1", Settings(resolution=(height, width)))
    assert (network.macs, network.params) == v1_shape_by_hand(height, width)
    assert network.layers[0].input == (height, width, 3)


def test_v1_192x256_per_layer_sizes_and_totals():
    network = network_cost("v1", Settings(resolution=(192, 256)))
    sizes = [
        (layer.output.height, layer.output.width) for layer in network.layers if layer.kind == "depthwise"
    ]
    # 192x256 -> conv1 96x128 -> halved on each axis at each stride-2 block: 48x64, 24x32, 12x16, 6x8.
    assert sizes == [(96, 128), (48, 64), (48, 64), (24, 32), (24, 32), *[(12, 16)] * 6, (6, 8), (6, 8)]
    # MACs follow height x width; params do not depend on the size.
    assert network.macs == v1_shape_by_hand(192, 256)[0] == 557_154_304  # TensorFlow's count (verify)
    assert network.params == network_cost("v1").params == 4_253_864
    assert network.resolution == (192, 256) and (network.height, network.width) == (192, 256)


def test_square_given_as_a_pair_is_the_square_model():
    pair = network_cost("v1", Settings(resolution=(160, 160)))
    assert pair.resolution == 160
    assert pair.totals == network_cost("v1", Settings(resolution=160)).totals


def test_input_channels_change_only_the_first_convolution():
    rgb = network_cost("v1", Settings(resolution=128))
    gray = network_cost("v1", Settings(resolution=128, input_channels=1))
    # conv1: 3 x 3 x 1 x 32 weights instead of 3 x 3 x 3 x 32, at 64 x 64 output pixels.
    assert rgb.params - gray.params == 3 * 3 * (3 - 1) * 32 == 576
    assert rgb.macs - gray.macs == 3 * 3 * (3 - 1) * 32 * 64 * 64
    assert [record.cost for record in rgb.records[1:]] == [record.cost for record in gray.records[1:]]
    assert gray.params == 4_253_288  # keras.applications.MobileNet(input_shape=(128, 128, 1))
    assert (gray.macs, gray.params) == v1_shape_by_hand(128, 128, channels_in=1)
    four = network_cost("v2", Settings(input_channels=4))
    assert four.layers[0].input.channels == 4
    assert four.params - network_cost("v2").params == 3 * 3 * 1 * 32


def test_depth_multiplier_2_block_by_block():
    network = network_cost("v1", Settings(resolution=128, depth_multiplier=2))
    by_name = {record.layer.name: record for record in network.records}
    # Block 1 at 64x64: conv_dw_1 takes 32 channels and gives 64 (2 per input channel):
    # 3 x 3 x 32 x 2 = 576 weights and MACs per pixel, batch-norm 4 x 64.
    dw1 = by_name["conv_dw_1"]
    assert dw1.layer.output.channels == 64
    assert dw1.cost.macs == 3 * 3 * 32 * 2 * 64 * 64
    assert dw1.cost.params == 3 * 3 * 32 * 2 + 4 * 64
    # conv_pw_1 then takes those 64 channels to 64: 64 x 64 weights, not 32 x 64.
    pw1 = by_name["conv_pw_1"]
    assert pw1.layer.input.channels == 64 and pw1.layer.output.channels == 64
    assert pw1.cost.macs == 64 * 64 * 64 * 64
    # Block 2, stride 2, 64 -> 32x32: the depthwise gives 128 channels, the pointwise 128 -> 128.
    assert by_name["conv_dw_2"].cost.macs == 3 * 3 * 64 * 2 * 32 * 32
    assert by_name["conv_pw_2"].cost.params == 128 * 128 + 4 * 128
    # The pair's standard counterpart is the same full 3x3 convolution from M to N as without the
    # multiplier: 3 x 3 x 32 x 64 per pixel for block 1.
    assert dw1.standard.macs == 3 * 3 * 32 * 64 * 64 * 64
    assert network.standard == network_cost("v1", Settings(resolution=128)).standard
    # keras.applications.MobileNet(input_shape=(128, 128, 3), depth_multiplier=2): 7,457,928 params.
    assert (network.macs, network.params) == v1_shape_by_hand(128, 128, multiplier=2)
    assert network.params == 7_457_928


def test_all_three_at_once():
    network = network_cost("v1", Settings(resolution=(97, 33), input_channels=4, depth_multiplier=3))
    assert (network.macs, network.params) == v1_shape_by_hand(97, 33, channels_in=4, multiplier=3)


@pytest.mark.parametrize("model", ["v2", "v3-large", "v3-small"])
def test_depth_multiplier_is_refused_for_bottleneck_tables(model):
    from mobicalc.errors import NetworkError

    with pytest.raises(NetworkError, match="has bottleneck rows"):
        network_cost(model, Settings(depth_multiplier=2))
    assert network_cost(model, Settings(depth_multiplier=1)).totals == network_cost(model).totals


def test_sweep_takes_non_square_sizes_and_shape_knobs():
    points = sweep("v1", ["0.5", "1"], [128, (160, 192)], input_channels=1, depth_multiplier=2)
    assert [point.resolution for point in points] == [128, (160, 192)] * 2
    for point in points:
        settings = Settings(
            alpha=point.alpha, resolution=point.resolution, input_channels=1, depth_multiplier=2
        )
        assert point.totals == network_cost("v1", settings).totals


def test_a_non_square_sweep_under_the_profiler_convention_equals_the_table():
    # The profiler counts pooling per input pixel: height x width, not a square.
    for resolution in [(97, 161), (161, 97), 128]:
        (point,) = sweep("v2", ["0.5"], [resolution], convention="tf-profiler")
        settings = Settings(alpha=Fraction("0.5"), resolution=resolution, convention="tf-profiler")
        assert point.totals == network_cost("v2", settings).totals
