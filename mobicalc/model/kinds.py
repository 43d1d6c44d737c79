"""The layer kinds: everything about a kind, declared in one entry.

Each kind says what one output pixel of it costs, what standard convolution it
stands for, how its output size follows from its input, which layer columns it
fills, which Keras layer builds it, and what part it can play in a streamed
bottleneck. The network walk, the engine, memory, the views and the TensorFlow
bridge all read this registry; none of them branches on a kind's name. A new
kind (squeeze-and-excite's excite and multiply, the input's rescale) is one
entry here; a new activation (hard-swish) one entry of
``ACTIVATIONS``.

Convention: a MAC is one multiply-accumulate (the papers' "mult-add"); FLOPs
are 2 x MACs. Pooling, residual adds, batch-norm and activations are
elementwise work, not MACs. Weights are kernel weights; biases and batch-norm
are added per output channel by ``costs.unit_cost``.
"""

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, NamedTuple

from mobicalc.model.rounding import Count

Formula = Callable[[int, Count, Count], tuple[Count, Count]]
"""(kernel, input channels, output channels) -> (MACs per output pixel, kernel weights)."""

KerasBuilder = Callable[[Any, Any, Any], Any]
"""(keras.layers, the engine's Layer, the input tensor or tensors) -> the output tensor.

The Keras module is passed in, so this registry never imports TensorFlow."""


class Counterpart(Enum):
    """What standard convolution a layer of a kind stands for (the paper's "Conv MobileNet")."""

    ITSELF = "itself"
    """It is one already (or has no convolution to replace)."""
    PAIR = "pair"
    """A depthwise layer: with the pointwise layer that completes it, one full Dk x Dk convolution."""


class Spatial(Enum):
    """How a layer's output size follows from its input size."""

    WINDOW = "window"
    """A kernel sliding with a stride and padding, as TensorFlow computes it."""
    GLOBAL = "global"
    """Every pixel of a channel to one value (global pooling)."""
    VECTOR = "vector"
    """Takes a 1x1 input and gives one (a dense layer)."""
    BROADCAST = "broadcast"
    """As large as its shortcut's output: a 1x1 input scales every pixel of the shortcut's (multiply)."""


class Streaming(Enum):
    """What part a layer of a kind can play in a streamed bottleneck (memory.py; MobileNetV2, Section
    5.1). A depthwise layer (``Counterpart.PAIR``) with the pointwise layer that completes it is the
    block's core."""

    NONE = "none"
    EXPANSION = "expansion"
    """A 1x1 convolution: it opens the block when it completes no pair and the block's core follows it."""
    RESIDUAL = "residual"
    """An add: accumulated into the block's output when it adds the block's input to it."""


class InPlace(Enum):
    """Whether a layer of a kind writes a tensor of its own, or works on its input's (memory.py)."""

    NEVER = "never"
    ALWAYS = "always"
    """Batch-norm, activations, dropout, reshapes (a view) and zero-padding (part of the convolution
    that reads it): as a table folds them into the layer they follow or precede."""
    ONE_SOURCE = "one source"
    """When every tensor it reads is one tensor, changed in place: ``x + 3``, ``x * relu6(x + 3)``
    (MobileNetV3's hard-swish, built of ops); an add of two tensors writes a third."""


class Elementwise(NamedTuple):
    """Elementwise FLOPs the TensorFlow profiler registers, beyond 2 x MACs: per element of the
    layer's input and per element of its output (so the engine can cost a layer per pixel)."""

    per_input: int = 0
    per_output: int = 0


NO_ELEMENTWISE = Elementwise()


class Kind(NamedTuple):
    name: str
    formula: Formula
    counterpart: Counterpart
    spatial: Spatial
    columns: frozenset[str]
    """The layer columns this kind fills beyond the ones every layer fills (name, shapes, counts)."""
    keras_class: str
    """The Keras layer class that computes this kind (what ``verify`` matches it with)."""
    build: KerasBuilder
    """How the TensorFlow bridge makes the Keras layer(s)."""
    profiler: Elementwise = NO_ELEMENTWISE
    """Its own elementwise FLOPs under the tf-profiler convention (its bias, batch-norm and
    activation are added by ``conventions``)."""
    streaming: Streaming = Streaming.NONE
    also_keras: tuple[str, ...] = ()
    """Other Keras layer classes that compute it in keras.applications' models (verify pairs them too)."""
    in_place: InPlace = InPlace.NEVER

    @property
    def has_weights(self) -> bool:
        """Whether a layer of this kind has weights of its own (kernels; bias and batch-norm aside)."""
        return bool(self.formula(1, 1, 1)[1])


def _conv(kernel: int, inputs: Count, outputs: Count) -> tuple[Count, Count]:
    """Dk x Dk x M x N weights, each used once per output pixel."""
    weights = kernel * kernel * inputs * outputs
    return weights, weights


def _depthwise(kernel: int, inputs: Count, outputs: Count) -> tuple[Count, Count]:
    """One Dk x Dk filter per output channel, each on one input channel: Dk x Dk x M x dm weights
    (the depth multiplier dm = outputs / inputs: Dk x Dk x M without one)."""
    weights = kernel * kernel * outputs
    return weights, weights


def _elementwise(kernel: int, inputs: Count, outputs: Count) -> tuple[Count, Count]:
    """No MACs and no weights: the work is elementwise."""
    return 0, 0


def _per_channel(kernel: int, inputs: Count, outputs: Count) -> tuple[Count, Count]:
    """No MACs; parameters per channel (a normalization's scale and offset)."""
    return 0, outputs


def _keras_conv(layers: Any, layer: Any, x: Any) -> Any:
    return layers.Conv2D(
        layer.output.channels, layer.kernel, strides=layer.stride, padding=layer.padding,
        use_bias=layer.bias, name=layer.name,
    )(x)  # fmt: skip


def _keras_depthwise(layers: Any, layer: Any, x: Any) -> Any:
    return layers.DepthwiseConv2D(
        layer.kernel, strides=layer.stride, padding=layer.padding, use_bias=layer.bias, name=layer.name,
        depth_multiplier=layer.output.channels // layer.input.channels,
    )(x)  # fmt: skip


def _keras_dense(layers: Any, layer: Any, x: Any) -> Any:
    flat = layers.Flatten()(x)  # Keras names it: no weights, and never clashes with a table's names
    return layers.Dense(layer.output.channels, use_bias=layer.bias, name=layer.name)(flat)


def _keras_pool(layers: Any, layer: Any, x: Any) -> Any:
    return layers.GlobalAveragePooling2D(keepdims=True, name=layer.name)(x)


def _keras_add(layers: Any, layer: Any, x: Any) -> Any:
    return layers.Add(name=layer.name)(x)  # x: [shortcut, the block's output], as layer.reads


def _keras_multiply(layers: Any, layer: Any, x: Any) -> Any:
    return layers.Multiply(name=layer.name)(x)  # x: [the full map, the 1x1 scales], as layer.reads


def _keras_rescale(layers: Any, layer: Any, x: Any) -> Any:
    # keras.applications.MobileNetV3's include_preprocessing: [0, 255] to [-1, 1].
    return layers.Rescaling(scale=1.0 / 127.5, offset=-1.0, name=layer.name)(x)


CONVOLUTION = frozenset({"kernel", "stride"})

KINDS: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("conv", _conv, Counterpart.ITSELF, Spatial.WINDOW, CONVOLUTION, "Conv2D", _keras_conv),
        Kind("depthwise", _depthwise, Counterpart.PAIR, Spatial.WINDOW, CONVOLUTION, "DepthwiseConv2D",
             _keras_depthwise),
        Kind("pointwise", _conv, Counterpart.ITSELF, Spatial.WINDOW, CONVOLUTION, "Conv2D", _keras_conv,
             streaming=Streaming.EXPANSION),
        # A dense layer is a 1x1 convolution on a 1x1 input; keras.applications' classifiers may be
        # 1x1 Conv2Ds.
        Kind("dense", _conv, Counterpart.ITSELF, Spatial.VECTOR, frozenset(), "Dense", _keras_dense,
             also_keras=("Conv2D",)),
        # Mean: one FLOP per input element (sum, then divide).
        Kind("pool", _elementwise, Counterpart.ITSELF, Spatial.GLOBAL, frozenset({"kernel"}),
             "GlobalAveragePooling2D", _keras_pool, Elementwise(per_input=1)),
        # AddV2: one per output element.
        Kind("add", _elementwise, Counterpart.ITSELF, Spatial.WINDOW, frozenset(), "Add", _keras_add,
             Elementwise(per_output=1), streaming=Streaming.RESIDUAL, in_place=InPlace.ONE_SOURCE),
        # Squeeze-and-excite (MobileNetV3): after a pool, a 1x1 convolution with bias on the pooled
        # 1x1 map, to fewer channels and back; its MACs are per channel, as its output is one pixel.
        Kind("excite", _conv, Counterpart.ITSELF, Spatial.WINDOW, CONVOLUTION, "Conv2D", _keras_conv),
        # ... and the multiply that scales each channel of the full map by the excite's output (Mul).
        Kind("multiply", _elementwise, Counterpart.ITSELF, Spatial.BROADCAST, frozenset(), "Multiply",
             _keras_multiply, Elementwise(per_output=1), in_place=InPlace.ONE_SOURCE),
        # Input preprocessing (MobileNetV3's include_preprocessing): x * scale + offset per element,
        # no weights, no MACs; its output is its input's shape (kernel 1, stride 1).
        Kind("rescale", _elementwise, Counterpart.ITSELF, Spatial.WINDOW, frozenset(), "Rescaling",
             _keras_rescale, Elementwise(per_output=2)),
    )
}  # fmt: skip
"""Every layer kind a table may have, in the order breakdowns list them."""


def _not_built(layers: Any, layer: Any, x: Any) -> Any:
    raise ValueError(f"layer {layer.name}: a {layer.kind} layer comes from a Keras model, never from a table")


def _graph_kind(
    name: str,
    formula: Formula = _elementwise,
    in_place: InPlace = InPlace.NEVER,
    columns: frozenset[str] = frozenset(),
    counterpart: Counterpart = Counterpart.ITSELF,
) -> Kind:
    return Kind(name, formula, counterpart, Spatial.WINDOW, columns, "", _not_built, in_place=in_place)


GRAPH_KINDS: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        # A depthwise and a pointwise convolution in one Keras layer (SeparableConv1D/2D).
        _graph_kind("separable", _conv, columns=CONVOLUTION),
        _graph_kind("transpose", _conv, columns=CONVOLUTION),
        _graph_kind("attention", _conv),
        _graph_kind("recurrent", _conv),
        _graph_kind("embedding", _conv),
        _graph_kind("normalization", _per_channel, InPlace.ALWAYS),
        _graph_kind("activation", in_place=InPlace.ALWAYS),
        _graph_kind("merge"),
        _graph_kind("padding", in_place=InPlace.ALWAYS),
        _graph_kind("reshape", in_place=InPlace.ALWAYS),
        _graph_kind("dropout", in_place=InPlace.ALWAYS),
        _graph_kind("resize"),
        _graph_kind("input"),
        # A layer with no formula: it is never counted as zero, but said to be not counted.
        _graph_kind("uncounted"),
    )
}
"""The kinds only a graph (a Keras model) brings, beside the kinds of ``KINDS`` that it also uses
(conv, depthwise, pointwise, dense, pool, add, multiply, rescale). Their costs come from the formulas
keyed by Keras class (``count/keras_layers.py``), not from ``Kind.formula``, which here only says
whether the kind has parameters; none has a Keras builder, as no table has such a layer."""

ALL_KINDS: Mapping[str, Kind] = {**KINDS, **GRAPH_KINDS}
"""Every kind, in the order breakdowns list them."""


def kind_of(name: str) -> Kind:
    """The kind of that name, a table's or a graph's."""
    return ALL_KINDS[name]


STANDARD = "conv"
"""The kind of the one full convolution that a depthwise separable pair stands for."""


ActivationBuilder = Callable[[Any, str], Any]
"""(keras.layers, the layer's name) -> the Keras layer that applies the activation."""


class Activation(NamedTuple):
    build: ActivationBuilder
    profiler: int
    """FLOPs per output element that the TensorFlow profiler registers for it."""


ACTIVATIONS: Mapping[str, Activation] = {
    "relu": Activation(lambda layers, name: layers.ReLU(name=name), 0),  # Relu: no registered flops
    "relu6": Activation(lambda layers, name: layers.ReLU(6.0, name=name), 0),  # nor Relu6
    # x * hard_sigmoid(x): AddV2, Mul, and one Mul more.
    "hard_swish": Activation(lambda layers, name: layers.Activation("hard_swish", name=name), 3),
    # relu6(x + 3) / 6, as keras.applications.MobileNetV3 computes it: AddV2 and Mul.
    "hard_sigmoid": Activation(lambda layers, name: layers.Activation("hard_sigmoid", name=name), 2),
    "softmax": Activation(lambda layers, name: layers.Softmax(name=name), 5),
}
"""The activations a layer may end with (``Layer.activation``): elementwise work, no MACs, no weights."""
