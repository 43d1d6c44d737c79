"""Shapes, padding and channel counts of the concrete network."""

from fractions import Fraction

import pytest

from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.errors import MobicalcError, NetworkError
from mobicalc.model.layers import output_size
from mobicalc.model.tables import load


def build_layers(architecture, settings=None):
    """The concrete layers, as the engine builds them (its one way to)."""
    return network_cost(architecture, settings).layers


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "expected"),
    [
        (224, 3, 2, "same", 112),  # ceil(224 / 2)
        (225, 3, 2, "same", 113),  # ceil(225 / 2)
        (225, 3, 1, "same", 225),
        (225, 3, 2, "valid", 112),  # (225 - 3) // 2 + 1
        (225, 3, 2, (0, 1), 112),  # keras MobileNet: (225 + 1 - 3) // 2 + 1 = floor(225 / 2)
        (224, 3, 2, (0, 1), 112),
        (7, 3, 2, (1, 1), 4),  # keras MobileNetV2 at odd sizes: (7 + 2 - 3) // 2 + 1
        (1, 3, 2, (0, 1), 0),  # nothing left
    ],
)
def test_output_size(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected


def spatial(model, resolution):
    layers = build_layers(load(model), Settings(resolution=resolution, include_top=False))
    return [layer.output.height for layer in layers if layer.kind == "depthwise"]


def test_v1_spatial_sizes_follow_paper_table_1():
    # Table 1 input sizes: 112 (x2 blocks), 56 (x2), 28 (x2), 14 (x6), 7 (x2, the last stride is 1).
    assert spatial("v1", 224) == [112, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]


def test_v1_at_odd_resolution_floors_like_keras():
    # 225 -> conv "same" 113 -> depthwise pads bottom/right then "valid": 56, 28, 14, 7.
    assert spatial("v1", 225) == [113, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]


def test_v2_at_odd_resolution_ceils_like_keras():
    # 225 -> 113 -> 57 -> 29 -> 15 -> 8: MobileNetV2's correct_pad matches "same".
    sizes = spatial("v2", 225)
    assert sizes[0] == 113 and sizes[-1] == 8
    assert sorted(set(sizes), reverse=True) == [113, 57, 29, 15, 8]


def test_v2_channels_at_alpha_0_35_follow_keras_rules():
    layers = build_layers(load("v2"), Settings(alpha=Fraction("0.35")))
    by_name = {layer.name: layer.output.channels for layer in layers}
    assert by_name["Conv1"] == 16  # make_divisible(32 x 0.35 = 11.2) = 16
    assert by_name["expanded_conv_project"] == 8  # make_divisible(int(16 x 0.35) = 5) = 8
    assert by_name["block_16_project"] == 112  # make_divisible(int(320 x 0.35) = 112)
    assert by_name["Conv_1"] == 1280  # the last conv never shrinks


def test_v2_last_conv_grows_with_alpha_above_1():
    layers = build_layers(load("v2"), Settings(alpha=Fraction("1.4")))
    assert next(layer for layer in layers if layer.name == "Conv_1").output.channels == 1792  # 1280 x 1.4


def test_separable_pairs_are_linked():
    layers = build_layers(load("v1"))
    pointwise = [layer for layer in layers if layer.kind == "pointwise"]
    assert all(layer.pair == layer.name.replace("conv_pw_", "conv_dw_") for layer in pointwise)


def test_residual_add_names_its_shortcut():
    layers = build_layers(load("v2"))
    add = next(layer for layer in layers if layer.kind == "add")
    assert add.name == "block_2_add"
    assert add.shortcut == "block_1_project"


def test_resolution_too_small_is_an_error_naming_the_layer():
    with pytest.raises(NetworkError, match=r"layer conv_dw_\d+: .* resolution 16 is too small"):
        build_layers(load("v1"), Settings(resolution=16))


def test_smallest_v1_resolution():
    # 31 -> 16 -> 8 -> 4 -> 2 -> 1; 30 -> 15 -> 7 -> 3 -> 1 -> 0.
    build_layers(load("v1"), Settings(resolution=31))
    with pytest.raises(NetworkError):
        build_layers(load("v1"), Settings(resolution=30))


def test_alpha_too_small_leaves_no_channels():
    with pytest.raises(NetworkError, match=r"layer conv1: alpha 0\.01 leaves 0 channels"):
        build_layers(load("v1"), Settings(alpha=Fraction("0.01")))


def test_settings_reject_unknown_rounding_and_bad_alpha():
    with pytest.raises(NetworkError, match="unknown rounding"):
        Settings(rounding="ceil")
    with pytest.raises(NetworkError, match="alpha must be positive"):
        Settings(alpha=Fraction(0))


def test_a_shortcut_skips_an_add_that_is_not_there():
    # At alpha 1, block_10 (the first 96-channel block) takes 64 channels: no residual,
    # so block_11's residual adds block_10's projection.
    layers = {layer.name: layer for layer in build_layers(load("v2"))}
    assert "block_10_add" not in layers
    assert layers["block_11_add"].shortcut == "block_10_project"


def test_a_narrow_width_can_add_a_residual():
    # At alpha 0.1, as Keras: the first conv has make_divisible(32 x 0.1 = 3.2) = 8 channels and
    # block 0, expanded_conv (t 1, c 16, stride 1), projects to make_divisible(int(16 x 0.1) = 1) = 8:
    # same shape, an add.
    narrow = {layer.name: layer for layer in build_layers(load("v2"), Settings(alpha=Fraction("0.1")))}
    assert narrow["expanded_conv_add"].shortcut == "Conv1"
    assert narrow["expanded_conv_add"].output.channels == 8
    assert "expanded_conv_add" not in {layer.name for layer in build_layers(load("v2"))}


def test_spatial_sizes_are_per_axis():
    from mobicalc.model.layers import Size
    from mobicalc.model.placing import skeleton, spatial_sizes

    table = load("v1")
    blueprints = skeleton(table, include_top=False)
    # 225 x 97: conv1 "same" ceil on each axis (113 x 49); a strided depthwise floors each axis.
    sizes = spatial_sizes(blueprints, (225, 97), table)
    assert sizes[0] == Size(113, 49)
    assert sorted(set(sizes), reverse=True) == [(113, 49), (56, 24), (28, 12), (14, 6), (7, 3)]
    # A number is a square input; a square pair is the same.
    assert spatial_sizes(blueprints, 160, table) == spatial_sizes(blueprints, (160, 160), table)
    # Each axis is sized as that square would be.
    tall, wide = spatial_sizes(blueprints, 225, table), spatial_sizes(blueprints, 97, table)
    assert [(h.height, w.width) for h, w in zip(tall, wide, strict=True)] == [tuple(size) for size in sizes]


def test_a_side_too_small_names_the_shape():
    with pytest.raises(NetworkError, match=r"resolution 224x16 is too small for MobileNetV1"):
        build_layers(load("v1"), Settings(resolution=(224, 16)))


@pytest.mark.parametrize(
    "resolution", [0, (0, 5), (5,), (1, 2, 3), (4.0, 4), (True, 4), 224.0, True, (224, -1), "224.0", "x"]
)
def test_settings_refuse_bad_resolutions(resolution):
    with pytest.raises(MobicalcError, match=r"^resolution"):
        Settings(resolution=resolution)


@pytest.mark.parametrize(
    ("given", "read"),
    [("224", 224), (" 224 ", 224), ("192x256", (192, 256)), ([4, 5], (4, 5)), (("4", 5), (4, 5))],
)
def test_settings_read_a_resolution_as_the_cli_does(given, read):
    assert Settings(resolution=given).resolution == read


@pytest.mark.parametrize("field", ["input_channels", "depth_multiplier"])
@pytest.mark.parametrize("value", [0, -1, True, 1.5])
def test_settings_refuse_bad_channels_and_multipliers(field, value):
    with pytest.raises(NetworkError, match=f"{field} must be a positive integer"):
        Settings(**{field: value})
