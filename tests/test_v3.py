"""MobileNetV3 Large and Small against hand calculations (no TensorFlow).

The hand calculation walks the paper's Tables 1 and 2 with Keras's rules
(keras.applications.MobileNetV3: ``_depth``, expansion relative to the block's
input, squeeze-and-excite to a quarter of the expanded channels); it shares no
code with the engine. TensorFlow's own counts of the same models are asserted
in test_crosscheck.py.
"""

import math
from fractions import Fraction

import pytest
from helpers import ROOT

import mobicalc
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.model.architecture import ArchitectureError
from mobicalc.model.kinds import KINDS
from mobicalc.model.tables import load, parse

# The paper's rows: (kernel, expansion size, out, SE, non-linearity, stride).
LARGE = [
    (3, 16, 16, False, "RE", 1),
    (3, 64, 24, False, "RE", 2),
    (3, 72, 24, False, "RE", 1),
    (5, 72, 40, True, "RE", 2),
    (5, 120, 40, True, "RE", 1),
    (5, 120, 40, True, "RE", 1),
    (3, 240, 80, False, "HS", 2),
    (3, 200, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1),
    (3, 480, 112, True, "HS", 1),
    (3, 672, 112, True, "HS", 1),
    (5, 672, 160, True, "HS", 2),
    (5, 960, 160, True, "HS", 1),
    (5, 960, 160, True, "HS", 1),
]
SMALL = [
    (3, 16, 16, True, "RE", 2),
    (3, 72, 24, False, "RE", 2),
    (3, 88, 24, False, "RE", 1),
    (5, 96, 40, True, "HS", 2),
    (5, 240, 40, True, "HS", 1),
    (5, 240, 40, True, "HS", 1),
    (5, 120, 48, True, "HS", 1),
    (5, 144, 48, True, "HS", 1),
    (5, 288, 96, True, "HS", 2),
    (5, 576, 96, True, "HS", 1),
    (5, 576, 96, True, "HS", 1),
]
MODELS = {"v3-large": (LARGE, 1280), "v3-small": (SMALL, 1024)}


def depth(value: float) -> int:
    """Keras's _depth: the nearest multiple of 8, at least 8, never more than 10% below."""
    rounded = max(8, int(value + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * value else rounded


def by_hand(
    model: str,
    alpha: float = 1.0,
    resolution: int = 224,
    classes: int = 1000,
    include_top: bool = True,
    minimalistic: bool = False,
) -> tuple[int, int]:
    """(MACs, params) of MobileNetV3 as keras.applications builds it; batch-norm is 4 per channel."""
    rows, last_point = MODELS[model]
    size = math.ceil(resolution / 2)  # 3x3 conv, stride 2, "same"; 16 channels at every alpha
    macs = 3 * 3 * 3 * 16 * size * size
    params = 3 * 3 * 3 * 16 + 4 * 16
    channels = 16
    for block, (kernel, expansion, out, se, _, stride) in enumerate(rows):
        if minimalistic:
            kernel, se = 3, False
        inputs = rows[block - 1][2] if block else 16  # the paper's input channels
        hidden = depth(channels * (expansion / inputs)) if block else channels
        if block:  # the expand layer (Keras: every block but block 0)
            macs += channels * hidden * size * size
            params += channels * hidden + 4 * hidden
        size = math.ceil(size / stride)
        macs += kernel * kernel * hidden * size * size
        params += kernel * kernel * hidden + 4 * hidden
        if se:  # 1x1 convs with bias on the pooled 1x1 map: MACs per channel, not per pixel
            squeezed = depth(hidden * 0.25)
            macs += 2 * hidden * squeezed
            params += 2 * hidden * squeezed + squeezed + hidden
        out = depth(out * alpha)
        macs += hidden * out * size * size
        params += hidden * out + 4 * out
        channels = out
    last_conv = depth(channels * 6)
    macs += channels * last_conv * size * size
    params += channels * last_conv + 4 * last_conv
    if include_top:
        point = depth(last_point * alpha) if alpha > 1 else last_point
        macs += last_conv * point + point * classes
        params += last_conv * point + point + point * classes + classes
    return macs, params


def cost(model, alpha="1", minimalistic=False, **settings):
    architecture = load(model, "minimalistic" if minimalistic else None)
    return network_cost(architecture, Settings(alpha=Fraction(alpha), **settings))


@pytest.mark.parametrize("model", ["v3-large", "v3-small"])
@pytest.mark.parametrize(
    ("alpha", "resolution", "classes", "include_top", "minimalistic"),
    [
        ("1", 224, 1000, True, False),
        ("0.75", 224, 1000, True, False),
        ("1", 224, 1000, True, True),
        ("0.75", 225, 10, True, False),
        ("0.35", 200, 1000, False, False),
        ("1.3", 97, 7, True, True),  # grows the last 1x1 conv too
    ],
)
def test_v3_matches_hand_calculation(model, alpha, resolution, classes, include_top, minimalistic):
    network = cost(
        model, alpha, minimalistic, resolution=resolution, classes=classes, include_top=include_top
    )
    expected = by_hand(model, float(alpha), resolution, classes, include_top, minimalistic)
    assert (network.macs, network.params) == expected


def test_one_bneck_with_squeeze_excite_by_hand():
    # MobileNetV3-Large, block 3: 56x56x24 in, expansion 72, 5x5 depthwise stride 2, SE, 40 out.
    layers = {record.layer.name: record for record in cost("v3-large").records}
    prefix = "expanded_conv_3_"
    squeezed = 24  # 72 / 4 = 18, to a multiple of 8: 16 is more than 10% below 18, so 24
    expected = {
        "expand": (24 * 72 * 56 * 56, 24 * 72 + 4 * 72, (56, 56, 72)),
        "depthwise": (5 * 5 * 72 * 28 * 28, 5 * 5 * 72 + 4 * 72, (28, 28, 72)),
        "squeeze_excite_avg_pool": (0, 0, (1, 1, 72)),
        "squeeze_excite_conv": (72 * squeezed, 72 * squeezed + squeezed, (1, 1, squeezed)),
        "squeeze_excite_conv_1": (squeezed * 72, squeezed * 72 + 72, (1, 1, 72)),
        "squeeze_excite_mul": (0, 0, (28, 28, 72)),
        "project": (72 * 40 * 28 * 28, 72 * 40 + 4 * 40, (28, 28, 40)),
    }
    block = [name for name in layers if name.startswith(prefix)]
    assert block == [prefix + part for part in expected]  # in Keras's order, and no add (stride 2)
    for part, (macs, params, shape) in expected.items():
        record = layers[prefix + part]
        assert (record.cost.macs, record.cost.params, tuple(record.layer.output)) == (macs, params, shape)
    assert layers[prefix + "squeeze_excite_conv"].layer.activation == "relu"
    assert layers[prefix + "squeeze_excite_conv_1"].layer.activation == "hard_sigmoid"
    assert layers[prefix + "squeeze_excite_mul"].layer.shortcut == prefix + "depthwise"
    # The squeeze-and-excite block stands for itself; the depthwise stands for a full 5x5 conv
    # from 72 to the project's 40 channels.
    assert layers[prefix + "squeeze_excite_conv"].standard == layers[prefix + "squeeze_excite_conv"].cost
    assert layers[prefix + "depthwise"].standard.macs == 5 * 5 * 72 * 40 * 28 * 28


@pytest.mark.parametrize(
    ("model", "minimalistic", "alpha", "macs", "params"),
    [
        # TensorFlow's counts of keras.applications' models (asserted from TensorFlow in
        # test_crosscheck.py). The Keras docstring's table says (MACs, params) 217M, 5.4M; 155M, 4.0M;
        # 209M, 3.9M; 66M, 2.9M; 44M, 2.4M; 65M, 2.0M: Small's do not describe the model Keras builds.
        ("v3-large", False, "1", 216_589_760, 5_507_432),
        ("v3-large", False, "0.75", 154_560_624, 4_012_616),
        ("v3-large", True, "1", 209_136_704, 3_948_688),
        ("v3-small", False, "1", 56_510_400, 2_554_968),
        ("v3-small", False, "0.75", 43_399_344, 2_051_552),
        ("v3-small", True, "1", 52_288_448, 2_056_848),
    ],
)
def test_published_configurations(model, minimalistic, alpha, macs, params):
    network = cost(model, alpha, minimalistic)
    assert (network.macs, network.params) == (macs, params)


def test_minimalistic_is_the_table_variant():
    plain, minimal = load("v3-large"), load("v3-large", "minimalistic")
    assert plain.variants == ("minimalistic",) and minimal.variant == "minimalistic"
    assert minimal.name == "MobileNetV3-Large minimalistic"
    layers = cost("v3-large", minimalistic=True).layers
    assert not {"excite", "multiply"} & {layer.kind for layer in layers}
    assert {layer.activation for layer in layers} <= {"relu", None, "softmax"}
    assert {layer.kernel for layer in layers if layer.kind == "depthwise"} == {3}
    assert {layer.kind for layer in cost("v3-small").layers} <= set(KINDS)


def test_no_top_drops_pool_last_point_conv_and_classifier():
    names = [layer.name for layer in cost("v3-small", include_top=False).layers]
    assert names[-1] == "conv_1"
    assert names[:3] == ["rescaling", "conv", "expanded_conv_depthwise"]  # the input's Rescaling stays


def test_a_variant_that_is_not_there():
    with pytest.raises(ArchitectureError, match="v1: has no variant 'minimalistic' \\(it has none\\)"):
        load("v1", "minimalistic")
    with pytest.raises(ArchitectureError, match="its variants: minimalistic"):
        load("v3-small", "tiny")


TABLE = """
layers = [
  { operator = "conv", c = 16, s = 2 },
  { operator = "bottleneck", exp = 64, c = 24, se = true, nl = "HS" },
  { operator = "conv", kernel = 1, c = 144, width = "relative" },
]
"""


def test_user_table_with_exp_se_nl_and_a_relative_width():
    network = network_cost(parse(TABLE, "mine.toml"), Settings(resolution=32, alpha=Fraction(1, 2)))
    by_name = {layer.name: layer for layer in network.layers}
    assert by_name["block1_expand"].output.channels == 32  # 8 channels in, 64 / 16 times as many
    assert by_name["block1_squeeze_excite_conv"].output.channels == 8
    assert by_name["block1_expand"].activation == "hard_swish"
    assert by_name["conv2"].output.channels == 72  # 12 channels in (int 12), 144 / 24 times: 72


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('{ operator = "bottleneck", c = 8 }', "missing field 't' \\(or 'exp'"),
        ('{ operator = "bottleneck", t = 2, exp = 16, c = 8 }', "not both"),
        ('{ operator = "bottleneck", t = 2, c = 8, nl = "GELU" }', "field 'nl' is 'GELU'; expected one of"),
        ('{ operator = "pool", se = true }', "field 'se' does not apply"),
    ],
)
def test_bad_v3_fields(row, message):
    with pytest.raises(ArchitectureError, match=message):
        parse(f"layers = [{row}]", "bad.toml")


def test_cli_table_minimalistic_and_its_absence():
    import json

    from click.testing import CliRunner

    from mobicalc.cli import main

    result = CliRunner().invoke(main, ["table", "v3-large", "--minimalistic", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"]["name"] == "MobileNetV3-Large minimalistic"
    assert data["totals"]["macs"] == 209_136_704
    result = CliRunner().invoke(main, ["table", "v1", "--minimalistic"])
    assert result.exit_code == 2
    assert "--minimalistic: v1 has no minimalistic variant" in result.output


def test_the_rescale_row_is_keras_rescaling_and_changes_no_count():
    """keras.applications' MobileNetV3 starts with Rescaling (include_preprocessing): no MACs, no weights,
    the input's shape; 2 profiler FLOPs per input value (x * scale + offset: a Mul and an AddV2)."""
    tables = [
        "\n".join(
            [
                "layers = [",
                '  { operator = "rescale" },' * rescaled,
                '  { operator = "conv", c = 16, s = 2, nl = "HS" },',
                '  { operator = "bottleneck", exp = 64, c = 24, se = true },',
                '  { operator = "pool" }, { operator = "classifier" },',
                "]",
            ]
        )
        for rescaled in (True, False)
    ]
    with_row, without = (parse(text, "mine.toml") for text in tables)
    for convention in ("keras", "paper", "tf-profiler"):
        settings = Settings(resolution=33, alpha=Fraction(3, 4), convention=convention)
        ours, theirs = network_cost(with_row, settings), network_cost(without, settings)
        first = ours.layers[0]
        assert (first.name, first.kind, first.input, first.output) == (
            "rescale1", "rescale", (33, 33, 3), (33, 33, 3)
        )  # fmt: skip
        assert ours.macs == theirs.macs and ours.params == theirs.params
        elementwise = 2 * 33 * 33 * 3 if convention == "tf-profiler" else 0
        assert ours.totals.flops == theirs.totals.flops + elementwise
        assert ours.breakdown()["rescale"].flops == elementwise
    with pytest.raises(ArchitectureError, match="field 'c' does not apply"):
        parse('layers = [{ operator = "rescale", c = 3 }]', "bad.toml")


@pytest.mark.parametrize("model", ["v3-large", "v3-small"])
def test_the_v3_tables_start_with_keras_rescaling(model):
    network = network_cost(model, Settings(resolution=96, convention="tf-profiler"))
    first = network.records[0]
    assert (first.layer.name, first.layer.kind, first.cost.macs, first.cost.params) == (
        "rescaling",
        "rescale",
        0,
        0,
    )
    assert first.cost.flops == 2 * 96 * 96 * 3 == 55_296


def test_the_first_revisions_small_is_the_published_66m_and_2_9m(tmp_path):
    """keras.applications' MobileNetV3 docstring and the slim README print Small 1.0 as 66M MACs, 2.9M params
    (and 0.75 as 2.4M params). The paper's first revisions had the first 5x5 block at stride 1 and the next at
    stride 2 (a later revision "fixed the stride error in V3-small") and a 1280-wide last 1x1 conv."""
    table = (ROOT / "mobicalc" / "tables" / "v3-small.toml").read_text(encoding="utf-8").splitlines()
    rows = [i for i, line in enumerate(table) if "exp = 96," in line or "exp = 240," in line]
    first_5x5, next_block = rows[0], rows[1]
    table[first_5x5] = table[first_5x5].replace("s = 2", "s = 1")
    table[next_block] = table[next_block].replace("s = 1", "s = 2")
    table = [line.replace("c = 1024", "c = 1280") for line in table]
    path = tmp_path / "v3-small-first-revision.toml"
    path.write_text("\n".join(table), encoding="utf-8")
    small = mobicalc.cost(path)
    assert round(small.macs / 1e6) == 66  # published 66M
    assert math.floor(small.params / 1e5) / 10 == 2.9  # published 2.9M (floored: 2.96M)
    assert round(mobicalc.cost(path, alpha="0.75").params / 1e5) / 10 == 2.4  # published 2.4M
    assert round(mobicalc.cost("v3-small").macs / 1e6) == 57  # the released architecture: not 66
