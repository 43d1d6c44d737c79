"""Counting conventions: named presets of independent switches, and the one copy of what each means.

A published MAC or parameter figure is only comparable with a count made the
same way: with or without the background class, batch-norm parameters, biases,
elementwise FLOPs. Each of those choices is a *switch*; a *convention* is a
named set of switch values. ``keras`` (the default) is what keras.applications
and ``model.count_params()`` count, so every count mobicalc printed before
conventions existed is the ``keras`` count.

The TensorFlow profiler's elementwise FLOPs of each layer kind and activation
are declared with the kind (``kinds.KINDS``, ``kinds.ACTIVATIONS``); bias and
batch-norm, which any kind may have, are counted here.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from mobicalc.errors import NetworkError
from mobicalc.model.kinds import ACTIVATIONS, kind_of
from mobicalc.model.layers import Layer
from mobicalc.model.rounding import Count

if TYPE_CHECKING:  # costs.py builds on conventions: the type only
    from mobicalc.count.costs import Cost

BATCH_NORM_PARAMS = ("4", "3", "2", "0", "folded")


class Flops(NamedTuple):
    """A value of the ``flops`` switch."""

    label: str
    """Short, for FLOPs headers and notes."""
    meaning: str
    elementwise: bool
    """Whether FLOPs count elementwise ops beside 2 x MACs (``elementwise_terms``)."""
    per_mac: int = 2
    """FLOPs per multiply-accumulate: 2 (a multiply and an add), or 1 (fvcore's "one fused multiply-add
    = one flop", which torchvision's GFLOPS use)."""


FLOPS: Mapping[str, Flops] = {
    "2x-macs": Flops("2 x MACs", "FLOPs are 2 x MACs", elementwise=False),
    "profiler": Flops(
        "2 x MACs + elementwise",
        "2 x MACs plus every elementwise op tf.compat.v1.profiler's float_operation() registers "
        "(batch-norm, bias adds, pooling, residual adds, softmax, input rescaling)",
        elementwise=True,
    ),
    "macs": Flops(
        "MACs",
        "FLOPs are MACs: one per multiply-add, as fvcore counts and torchvision's GFLOPS give them",
        elementwise=False,
        per_mac=1,
    ),
}
"""Each value of the ``flops`` switch."""

SWITCHES: Mapping[str, str] = {
    "classes_offset": "extra classifier outputs beyond the classes: 1 is slim's background class "
    "(1001 outputs for ImageNet's 1000)",
    "batch_norm_params": "parameters per batch-norm channel: 4 gamma, beta, moving mean and variance "
    "(Keras); 3 without gamma; 2 gamma and beta only; 0 none; folded: none, the layer gains a "
    "bias of one per channel instead",
    "count_bias": "whether biases count as parameters (false: kernel weights only, as the papers' tables)",
    "min_depth": "the fewest channels a width-scaled layer keeps (slim's min_depth; 0: no floor)",
    "scale_fixed": 'whether alpha also scales the rows a table keeps fixed (width = "fixed": MobileNetV3\'s '
    "16-filter first conv), as slim's depth multiplier scales every layer; false: as Keras, which keeps them",
    "flops": "; ".join(f"{value}: {flops.meaning}" for value, flops in FLOPS.items()),
}
"""What each switch does: the one copy, for --help, JSON and docs/counting.md."""


class Convention(NamedTuple):
    name: str
    summary: str
    classes_offset: int = 0
    batch_norm_params: str = "4"
    count_bias: bool = True
    min_depth: int = 0
    scale_fixed: bool = False
    flops: str = "2x-macs"

    @property
    def switches(self) -> dict[str, Any]:
        """Every switch and its value, in the order of ``SWITCHES``."""
        return {name: getattr(self, name) for name in self._fields if name in SWITCHES}

    @property
    def flops_label(self) -> str:
        """What FLOPs are under this convention, short: "2 x MACs", "2 x MACs + elementwise"."""
        return FLOPS[self.flops].label

    @property
    def flops_meaning(self) -> str:
        """What FLOPs are under this convention, in a sentence (JSON 'conventions')."""
        return FLOPS[self.flops].meaning

    @property
    def fewer_flops_per_mac(self) -> int:
        """How many fewer FLOPs than 2 a MAC counts (1 where FLOPs are MACs; ``Cost.elementwise``)."""
        return 2 - FLOPS[self.flops].per_mac

    @property
    def counts_elementwise(self) -> bool:
        """Whether FLOPs count elementwise ops beside 2 x MACs (``elementwise_flops``)."""
        return FLOPS[self.flops].elementwise

    def classifier_outputs(self, classes: int) -> int:
        """A classifier's outputs for ``classes`` classes (slim's background class: one more)."""
        return classes + self.classes_offset

    @property
    def folds_batch_norm(self) -> bool:
        """Whether batch-norm folds into the layer before it (``adjust``: none of its parameters, a bias)."""
        return self.batch_norm_params == "folded"

    @property
    def keeps_parameters(self) -> bool:
        """True when parameters count exactly as Keras counts them (nothing to adjust per layer)."""
        return self.batch_norm_params == "4" and self.count_bias

    def adjust(self, unit: "Cost", outputs: Any, batch_norm: bool) -> "Cost":
        """A layer's Keras cost (``costs.unit_cost``) under this convention's parameter switches."""
        if self.keeps_parameters:
            return unit
        trainable, non_trainable, bias = unit.batch_norm_trainable, unit.batch_norm_non_trainable, unit.bias
        if batch_norm:
            trainable, non_trainable = {
                "4": (trainable, non_trainable),
                "3": (outputs, non_trainable),
                "2": (trainable, 0),
                "0": (0, 0),
                "folded": (0, 0),
            }[self.batch_norm_params]
            if self.folds_batch_norm and not bias:
                bias = outputs
        return unit._replace(
            bias=bias if self.count_bias else 0,
            batch_norm_trainable=trainable,
            batch_norm_non_trainable=non_trainable,
        )


CONVENTIONS: Mapping[str, Convention] = {
    convention.name: convention
    for convention in (
        Convention(
            "keras",
            "what keras.applications builds and model.count_params() counts (the default)",
        ),
        Convention(
            "paper",
            "kernel weights only, no batch-norm and no bias, as the MobileNet papers' tables; alpha scales "
            "every layer, MobileNetV3's 16-filter first conv too",
            batch_norm_params="0",
            count_bias=False,
            scale_fixed=True,
        ),
        Convention(
            "folded-bn",
            "batch-norm folded into the layer before it: a bias of one per channel, as an inference graph",
            batch_norm_params="folded",
        ),
        Convention(
            "slim",
            "the TF-slim checkpoint READMEs: 1001 classes (background first), kernel weights and the "
            "logits' bias, no batch-norm, channels at least min_depth 8, alpha scaling every layer",
            classes_offset=1,
            batch_norm_params="0",
            min_depth=8,
            scale_fixed=True,
        ),
        Convention(
            "tf-profiler",
            "Keras' parameters; FLOPs exactly as tf.compat.v1.profiler's float_operation() counts "
            "the Keras model at batch 1",
            flops="profiler",
        ),
        Convention(
            "torch",
            "torchvision's weight metadata: num_params leaves out batch-norm's running statistics (buffers "
            "in torch), FLOPs are MACs (one per multiply-add, as fvcore)",
            batch_norm_params="2",
            flops="macs",
        ),
    )
}
"""Every convention by name; ``keras`` first (the default)."""

DEFAULT = "keras"
KERAS = CONVENTIONS[DEFAULT]
"""The default convention: every count mobicalc printed before conventions existed."""


def get(name: str) -> Convention:
    """The convention of that name; a NetworkError naming the others when there is none."""
    try:
        return CONVENTIONS[name]
    except (KeyError, TypeError):
        raise NetworkError(
            f"unknown convention {name!r}; expected one of: {', '.join(CONVENTIONS)}"
        ) from None


BUILDING: Mapping[str, str] = {
    "classes_offset": "slim's background class, an output a table's classifier is built with",
    "min_depth": "a floor under the channels a table's width multiplier gives",
}
"""The switches that say how a table's layers are built, not how built layers count: a Keras model's
layers are built already. (``scale_fixed`` is one too, but without a width multiplier it is moot.)"""


def for_built_model(convention: Convention | str) -> Convention:
    """The convention, for a model whose layers are built (a Keras model): a NetworkError naming the
    switch when one of ``BUILDING`` differs from ``keras``'s, as following it would change the model."""
    convention = convention if isinstance(convention, Convention) else get(convention)
    differing = [
        f"{name} {getattr(convention, name)} ({why})"
        for name, why in BUILDING.items()
        if getattr(convention, name) != getattr(KERAS, name)
    ]
    if differing:
        usable = [
            name
            for name, preset in CONVENTIONS.items()
            if all(getattr(preset, switch) == getattr(KERAS, switch) for switch in BUILDING)
        ]
        raise NetworkError(
            f"convention {convention.name}: {' and '.join(differing)} "
            f"{'shape' if len(differing) > 1 else 'shapes'} how a table is built; a Keras model's layers are "
            f"as it was built: use one of {', '.join(usable)}"
        )
    return convention


def describe(convention: Convention) -> dict[str, Any]:
    """The convention as JSON: its name, summary, and every switch with its value and meaning."""
    return {
        "name": convention.name,
        "summary": convention.summary,
        "switches": {
            name: {"value": value, "meaning": SWITCHES[name]} for name, value in convention.switches.items()
        },
    }


# --- the profiler's elementwise FLOPs --------------------------------------------------------------
#
# tf.compat.v1.profiler's float_operation() sums the "flops" statistic TensorFlow registers per op
# (tensorflow/python/profiler/internal/flops_registry.py and nn_ops.py): Conv2D, DepthwiseConv2dNative
# and MatMul 2 per MAC; AddV2, Sub, Mul, BiasAdd 1 per output element; Rsqrt 2 per element; Mean 1 per
# input element; Softmax 5 per element; Relu6, Pad, Reshape and Squeeze nothing. Keras' inference
# BatchNormalization lowers to tf.nn.batch_normalization: per channel AddV2 (variance + epsilon),
# Rsqrt (2), Mul (by gamma), Mul (mean by it), Sub (beta minus that): 6 per channel; per element
# Mul and AddV2: 2 per output element.

BATCH_NORM_PER_ELEMENT = 2
BATCH_NORM_PER_CHANNEL = 6
BIAS_PER_ELEMENT = 1


def elementwise_terms(
    kind: str, activation: str | None, bias: bool, batch_norm: bool, inputs: Count, outputs: Count
) -> tuple[Count, Count, Count]:
    """A layer's profiler FLOPs beyond 2 x MACs as (per input pixel, per output pixel, per layer):
    its kind, bias, batch-norm and activation, for ``inputs`` channels in and ``outputs`` out."""
    own = kind_of(kind).profiler
    per_element = own.per_output + (ACTIVATIONS[activation].profiler if activation else 0)
    if bias:
        per_element += BIAS_PER_ELEMENT
    if batch_norm:
        per_element += BATCH_NORM_PER_ELEMENT
    return (
        own.per_input * inputs,
        per_element * outputs,
        BATCH_NORM_PER_CHANNEL * outputs if batch_norm else 0,
    )


def elementwise_flops(layer: Layer) -> Count:
    """The profiler's FLOPs of ``layer`` beyond 2 x MACs: its kind, bias, batch-norm and activation."""
    try:
        per_input, per_output, constant = elementwise_terms(
            layer.kind,
            layer.activation,
            layer.bias,
            layer.batch_norm,
            layer.input.channels,
            layer.output.channels,
        )
    except ValueError as error:
        raise ValueError(f"layer {layer.name}: {error}") from None
    return (
        per_input * layer.input.height * layer.input.width
        + per_output * layer.output.height * layer.output.width
        + constant
    )
