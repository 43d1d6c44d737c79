"""What a layer costs: its kind's formula (kinds.py), plus bias and batch-norm.

Parameters are every weight Keras counts: kernels, biases and batch-norm
(gamma and beta trainable, moving mean and variance not).
"""

import operator
from typing import NamedTuple

from mobicalc.model.kinds import KINDS
from mobicalc.model.layers import Layer, square
from mobicalc.model.rounding import Count


class Cost(NamedTuple):
    """What one layer, or a sum of layers, costs. ``+`` adds field by field."""

    macs: Count = 0
    weights: Count = 0
    bias: Count = 0
    batch_norm_trainable: Count = 0
    batch_norm_non_trainable: Count = 0
    elementwise: Count = 0
    """FLOPs beyond 2 x MACs: 0 except under a convention that counts elementwise ops, and minus the
    MACs under one that counts a FLOP per multiply-add (conventions.py: the ``flops`` switch)."""

    @property
    def flops(self) -> Count:
        return flops(self.macs, self.elementwise)

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


def flops(macs: Count, elementwise: Count) -> Count:
    """FLOPs: two per multiply-add, plus ``Cost.elementwise``."""
    return 2 * macs + elementwise


def unit_cost(
    kind: str, kernel: int, inputs: Count, outputs: Count, bias: bool = False, batch_norm: bool = False
) -> Cost:
    """What a layer costs per output pixel (its parameters do not depend on the pixels)."""
    macs, weights = KINDS[kind].formula(kernel, inputs, outputs)
    norm = 2 * outputs if batch_norm else 0
    return Cost(
        macs=macs,
        weights=weights,
        bias=outputs if bias else 0,
        batch_norm_trainable=norm,
        batch_norm_non_trainable=norm,
    )


def layer_cost(layer: Layer) -> Cost:
    """The MACs and parameters of one placed layer."""
    unit = unit_cost(
        layer.kind,
        square(layer.kernel),
        layer.input.channels,
        layer.output.channels,
        layer.bias,
        layer.batch_norm,
    )
    return unit._replace(macs=unit.macs * layer.output.height * layer.output.width)
