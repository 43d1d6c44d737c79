"""Cost formulas, one small function per layer kind.

Convention: a MAC is one multiply-accumulate (the papers' "mult-add"); FLOPs
are 2 x MACs. Only conv, depthwise, pointwise and dense layers have MACs: the
additions of pooling, residual adds, batch-norm and activations are elementwise
work, not MACs. Parameters are every weight Keras counts: kernels, biases and
batch-norm (gamma and beta trainable, moving mean and variance not).
"""

import operator
from collections.abc import Callable
from typing import NamedTuple

from mobicalc.network import Layer
from mobicalc.rounding import Count


class Cost(NamedTuple):
    """What one layer, or a sum of layers, costs. ``+`` adds field by field."""

    macs: Count = 0
    weights: Count = 0
    bias: Count = 0
    batch_norm_trainable: Count = 0
    batch_norm_non_trainable: Count = 0

    @property
    def flops(self) -> Count:
        return 2 * self.macs

    @property
    def trainable_params(self) -> Count:
        return self.weights + self.bias + self.batch_norm_trainable

    @property
    def non_trainable_params(self) -> Count:
        return self.batch_norm_non_trainable

    @property
    def params(self) -> Count:
        return self.trainable_params + self.non_trainable_params

    def __add__(self, other: "Cost") -> "Cost":  # type: ignore[override]
        return Cost(*map(operator.add, self, other))


def _pixels(layer: Layer) -> int:
    return layer.output.height * layer.output.width


def _conv(layer: Layer) -> tuple[Count, Count]:
    """Dk x Dk x M x N weights, each used once per output pixel."""
    weights = layer.kernel * layer.kernel * layer.input.channels * layer.output.channels
    return weights * _pixels(layer), weights


def _depthwise(layer: Layer) -> tuple[Count, Count]:
    """One Dk x Dk filter per input channel: Dk x Dk x M weights."""
    weights = layer.kernel * layer.kernel * layer.input.channels
    return weights * _pixels(layer), weights


def _dense(layer: Layer) -> tuple[Count, Count]:
    weights = layer.input.channels * layer.output.channels
    return weights, weights


def _free(layer: Layer) -> tuple[Count, Count]:
    return 0, 0


FORMULAS: dict[str, Callable[[Layer], tuple[Count, Count]]] = {
    "conv": _conv,
    "pointwise": _conv,
    "depthwise": _depthwise,
    "dense": _dense,
    "pool": _free,
    "add": _free,
}
"""(MACs, weights) by layer kind; a new kind is one function and one entry here."""


def layer_cost(layer: Layer) -> Cost:
    """The MACs and parameters of one layer."""
    macs, weights = FORMULAS[layer.kind](layer)
    channels = layer.output.channels
    batch_norm = 2 * channels if layer.batch_norm else 0
    return Cost(macs, weights, channels if layer.bias else 0, batch_norm, batch_norm)
