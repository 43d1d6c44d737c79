"""What a formula of the Keras-class registry (``keras_layers.py``) reads and gives: one call of a layer
(``Call``), what it costs (``Counted``), and the helpers every formula shares.

The ``tf-profiler`` convention counts a call's elementwise work as tf.compat.v1.profiler's
float_operation() does: the flops TensorFlow registers (``flops_registry.py``, ``nn_ops.py``) for
the ops Keras 3 lowers the call to at inference, beyond the MAC ops' 2 per MAC. Per value of the
tensor an op writes: AddV2, Sub, Mul, RealDiv, BiasAdd, Maximum, Minimum, Neg, Square, Greater 1;
Rsqrt and SquaredDifference 2; Softmax 5. Mean 1 per value it reads, Sum 1 per value it reads less
1 per value it writes, MaxPool and AvgPool the window's area per value they write. Relu, Relu6,
Sigmoid, Tanh, Elu, Max, Pad, Reshape, GatherV2, MaxPool3D and AvgPool3D: none.
"""

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from mobicalc.count.conventions import BIAS_PER_ELEMENT
from mobicalc.count.costs import Cost
from mobicalc.model.kinds import ACTIVATIONS
from mobicalc.model.layers import Kernel
from mobicalc.model.rounding import Count

Dims = tuple[int, ...]


class Call(NamedTuple):
    """One call of a Keras layer or op, as a walk sees it."""

    config: Mapping[str, Any]
    """The layer's ``get_config()`` (an op's: ``{}``)."""
    inputs: tuple[Dims, ...]
    """Each tensor it reads, at batch 1 with the batch axis: positional arguments first, then keywords."""
    outputs: tuple[Dims, ...]
    keywords: tuple[str | None, ...] = ()
    """The keyword each input was given by (None: positional), where the layer takes keywords."""

    def tensor(self, keyword: str, position: int) -> Dims | None:
        """The input given by ``keyword``, else the one at ``position`` among the positional ones."""
        keywords = self.keywords or (None,) * len(self.inputs)
        if keyword in keywords:
            return self.inputs[keywords.index(keyword)]
        positional = [shape for shape, name in zip(self.inputs, keywords, strict=True) if name is None]
        return positional[position] if position < len(positional) else None

    @property
    def values(self) -> int:
        """The values of the tensor it writes (its first), at batch 1: N in the profiler's formulas."""
        return math.prod(self.outputs[0])

    @property
    def read(self) -> int:
        """The values of the first tensor it reads, at batch 1."""
        return math.prod(self.inputs[0])


class Counted(NamedTuple):
    """What one call of a layer costs, and what a row shows of it."""

    kind: str
    cost: Cost = Cost()
    kernel: Kernel = 1
    stride: Kernel = 1
    padding: str = "same"
    separable: Cost | None = None
    """As depthwise separable convolution (a standard convolution of more than one tap and one group);
    None: as it is."""
    standard: Cost | None = None
    """The standard convolution it stands for, when that is not itself (a SeparableConv2D's)."""
    elementwise: Count | None = None
    """The flops TensorFlow's profiler registers for its ops beyond 2 x MACs (the ``tf-profiler``
    convention); None: not known, so never counted as zero (the record says it is not counted)."""
    batch_norm: int = 0
    """A batch normalization's channels (``batch_norm_params`` counts its parameters); 0 for any other."""
    linear: bool = False
    """A convolution or dense layer: a batch-norm that follows it can fold into it (``folded-bn``)."""


Formula = Callable[[Call], Counted]

ACTIVATION_FLOPS: Mapping[str, int] = {
    **{name: activation.profiler for name, activation in ACTIVATIONS.items()},
    # Relu, Sigmoid, Tanh, Elu, Selu, Softplus, Softsign, Exp, LeakyRelu, LogSoftmax: no flops registered
    "linear": 0, "sigmoid": 0, "tanh": 0, "elu": 0, "selu": 0, "softplus": 0, "softsign": 0,
    "exponential": 0, "leaky_relu": 0, "log_softmax": 0,
    "silu": 2, "swish": 2,  # x * sigmoid(x): two Mul
    "hard_silu": 3,  # as hard_swish: AddV2, RealDiv, Mul
    "gelu": 4,  # Mul, Neg, Mul, Erfc (none), Mul
    "mish": 1,  # Softplus, Tanh, Mul
    "hard_tanh": 2,  # Minimum, Maximum
    "log_sigmoid": 2,  # Neg, Softplus, Neg
    "tanh_shrink": 1,  # Tanh, Sub
}  # fmt: skip
"""The profiler's flops per output value of each Keras activation, by the name ``activation=`` takes
(one not here is not known)."""


def activation_flops(values: int, name: Any) -> Count | None:
    """The profiler's flops of the activation ``name`` on ``values`` values; None: one it does not know."""
    if name is None:
        return 0
    per_value = ACTIVATION_FLOPS.get(name) if isinstance(name, str) else None
    return None if per_value is None else per_value * values


def bias_and_activation(call: Call, bias: bool, values: int | None = None) -> Count | None:
    """A linear layer's elementwise flops: its bias added to every output value, its fused activation
    (``values``: its output's, where the walk leaves an axis open)."""
    values = call.values if values is None else values
    activation = activation_flops(values, call.config.get("activation"))
    return None if activation is None else activation + BIAS_PER_ELEMENT * values * bias


def shown(values: Any) -> Kernel:
    """A kernel or stride as a row shows it: one number when it is the same along every axis."""
    sizes = tuple(values) if isinstance(values, list | tuple) else (values,)
    return sizes[0] if len(set(sizes)) == 1 else sizes


def axes(call: Call, default: Any = -1) -> list[int]:
    """The axes a normalization's ``axis`` names."""
    axis = call.config.get("axis", default)
    return list(axis) if isinstance(axis, list | tuple) else [axis]


def free(kind: str, per_value: int = 0, constant: int = 0) -> Formula:
    """A layer of no MACs and no parameters, of ``kind``, whose ops the profiler counts ``per_value`` flops
    per output value and ``constant`` more (the index arithmetic of a repeat)."""
    return lambda call: Counted(kind, elementwise=per_value * call.values + constant)


def each(names: str, formula: Formula) -> dict[str, Formula]:
    return dict.fromkeys(names.split(), formula)
