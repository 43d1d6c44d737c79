"""The registry of layer kinds: each kind declares everything the rest of mobicalc needs."""

from fractions import Fraction

import pytest

from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.model.architecture import BUILTIN
from mobicalc.model.kinds import ACTIVATIONS, KINDS, Counterpart, Elementwise, Spatial
from mobicalc.model.layers import Layer, Shape
from mobicalc.views.table import LAYER_COLUMNS


class RecordingLayers:
    """Stands in for keras.layers: records which layer classes a builder makes, and returns markers."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def __getattr__(self, name: str):
        def layer_class(*args, **kwargs):
            self.made.append(name)
            return lambda inputs: f"{name}-output"

        return layer_class


LAYER = Layer("x", "conv", Shape(8, 8, 4), Shape(8, 8, 16), kernel=3)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_declares_formula_counterpart_columns_and_builder(name):
    kind = KINDS[name]
    assert kind.name == name
    macs, weights = kind.formula(3, 4, 16)
    assert isinstance(macs, int) and isinstance(weights, int)
    assert isinstance(kind.counterpart, Counterpart)
    assert isinstance(kind.profiler, Elementwise)  # its FLOPs under --convention tf-profiler
    assert isinstance(kind.spatial, Spatial)
    assert kind.columns <= {column.key for column in LAYER_COLUMNS}
    layers = RecordingLayers()
    output = kind.build(layers, LAYER._replace(kind=name), "input")
    assert layers.made[-1] == kind.keras_class  # the builder makes the Keras layer verify matches it with
    assert output == f"{kind.keras_class}-output"


@pytest.mark.parametrize(
    ("name", "macs", "weights"),
    [
        # Per output pixel, kernel 3, 4 channels in, 16 out (MobileNetV1 paper, Section 3).
        ("conv", 3 * 3 * 4 * 16, 3 * 3 * 4 * 16),
        ("pointwise", 3 * 3 * 4 * 16, 3 * 3 * 4 * 16),  # a pointwise layer's kernel is 1 in practice
        # One 3x3 filter per output channel: 16 out of 4 in is depth multiplier 4 (3 x 3 x 4 x 4).
        ("depthwise", 3 * 3 * 16, 3 * 3 * 16),
        ("dense", 3 * 3 * 4 * 16, 3 * 3 * 4 * 16),
        ("pool", 0, 0),
        ("add", 0, 0),
        # Squeeze-and-excite: a 1x1 conv on the pooled 1x1 map (kernel 1 in practice), then a multiply.
        ("excite", 3 * 3 * 4 * 16, 3 * 3 * 4 * 16),
        ("multiply", 0, 0),
        ("rescale", 0, 0),  # the input's x * scale + offset: elementwise
    ],
)
def test_formulas(name, macs, weights):
    assert KINDS[name].formula(3, 4, 16) == (macs, weights)


@pytest.mark.parametrize("model", BUILTIN)
def test_every_layer_of_the_built_in_tables_is_a_registered_kind(model):
    for alpha in ("0.35", "1", "1.4"):
        layers = network_cost(model, Settings(alpha=Fraction(alpha))).layers
        assert {layer.kind for layer in layers} <= set(KINDS)


def test_depthwise_formula_without_a_multiplier_is_dk_dk_m():
    # Depth multiplier 1: as many channels out as in, Dk x Dk x M (MobileNetV1 paper, Section 3).
    assert KINDS["depthwise"].formula(3, 32, 32) == (3 * 3 * 32, 3 * 3 * 32)
    # Multiplier 2: Dk x Dk x M x 2, as Keras' DepthwiseConv2D(depth_multiplier=2).
    assert KINDS["depthwise"].formula(3, 32, 64) == (3 * 3 * 32 * 2, 3 * 3 * 32 * 2)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_declares_its_keras_layer_and_profiler_flops(name):
    activation = ACTIVATIONS[name]
    layers = RecordingLayers()
    activation.build(layers, "act")
    assert layers.made  # a Keras layer applies it
    assert isinstance(activation.profiler, int) and activation.profiler >= 0
