"""What each Keras layer class costs: one registry, keyed by class, as ``kinds.py`` is by kind.

Pure arithmetic on what a walk of a Keras model sees of one call of a layer (``Call``: the
layer's config, and the shapes of the tensors it reads and writes at batch 1), so every
formula is tested by hand without TensorFlow. The walk (``tf/walk.py``) knows nothing of
formulas; a class that has none here is never counted as zero, but said to be not counted.

Keys: a Keras layer by its class name (``Conv2D``), an op of ``keras.ops`` as ``ops.<Class>``
(MobileNetV3's hard-swish ``x + 3`` is ``ops.Add``, not the layer ``Add``), a layer that
keras.applications defines for its own models as ``applications.<Class>``.

Convention (docs/counting.md): a MAC is one multiply-accumulate; FLOPs are 2 x MACs.
Elementwise work (normalization, activations, adds, pooling) is not MACs; each formula also gives
it as the ``tf-profiler`` convention counts it (``Counted.elementwise``: the flops TensorFlow's
profiler registers for the call's ops beyond 2 x MACs, ``keras_call.py``; the elementwise classes'
formulas are in ``keras_elementwise.py``). Parameters are
what ``count_params()`` counts, split as ``Cost`` splits them: kernels (``weights``),
``bias``, and the per-channel parameters of normalization layers (``batch_norm_trainable``:
gamma, beta, or a layer scale; ``batch_norm_non_trainable``: moving or adapted mean and
variance).
"""

import math
import re
from collections.abc import Mapping
from typing import Any

from mobicalc.count import keras_elementwise as elementwise
from mobicalc.count.costs import Cost
from mobicalc.count.keras_call import (
    Call,
    Counted,
    Dims,
    Formula,
    bias_and_activation,
    each,
    free,
    shown,
)

__all__ = ["KERAS_LAYERS", "Call", "Counted", "Formula"]


def _geometry(call: Call) -> tuple[Dims, Dims, int, int]:
    """(input's spatial axes, output's spatial axes, input channels, output channels)."""
    source, result = call.inputs[0], call.outputs[0]
    if call.config.get("data_format") == "channels_first":
        return source[2:], result[2:], source[1], result[1]
    return source[1:-1], result[1:-1], source[-1], result[-1]


def _bias(call: Call, count: int) -> int:
    return count if call.config.get("use_bias", True) else 0


def _window(call: Call, kind: str, cost: Cost, **extra: Any) -> Counted:
    """A convolution: linear, with its bias and fused activation as its elementwise work."""
    config = call.config
    return Counted(
        kind, cost, shown(config["kernel_size"]), shown(config.get("strides", 1)),
        config.get("padding", "valid"), elementwise=bias_and_activation(call, bool(cost.bias)), linear=True,
        **extra,
    )  # fmt: skip


def conv(call: Call) -> Counted:
    """Conv1D/2D/3D: out pixels x filters x taps x in channels / groups; as separable, a depthwise of
    the same kernel, stride, dilation and padding (no bias), then a 1x1 pointwise with its bias."""
    _, out, cin, filters = _geometry(call)
    taps, groups, pixels = math.prod(call.config["kernel_size"]), call.config.get("groups", 1), math.prod(out)
    weights = taps * (cin // groups) * filters
    cost = Cost(macs=pixels * weights, weights=weights, bias=_bias(call, filters))
    separable = None
    if taps > 1 and groups == 1:
        separable = Cost(macs=pixels * cin * (taps + filters), weights=cin * (taps + filters), bias=cost.bias)
    kind = "pointwise" if taps == 1 and groups == 1 else "conv"
    return _window(call, kind, cost, separable=separable)


def depthwise(call: Call) -> Counted:
    """DepthwiseConv1D/2D: out pixels x in channels x depth multiplier x taps."""
    _, out, cin, _ = _geometry(call)
    filters = cin * call.config.get("depth_multiplier", 1)
    weights = math.prod(call.config["kernel_size"]) * filters
    return _window(
        call, "depthwise", Cost(macs=math.prod(out) * weights, weights=weights, bias=_bias(call, filters))
    )


def separable_conv(call: Call) -> Counted:
    """SeparableConv1D/2D: a depthwise (depth multiplier dm) then a pointwise, in one layer; it stands for
    one standard convolution of its kernel from its input channels to its filters."""
    _, out, cin, filters = _geometry(call)
    taps, pixels = math.prod(call.config["kernel_size"]), math.prod(out)
    inner = cin * call.config.get("depth_multiplier", 1)
    weights = inner * (taps + filters)
    bias = _bias(call, filters)
    standard = Cost(macs=pixels * taps * cin * filters, weights=taps * cin * filters, bias=bias)
    return _window(call, "separable", Cost(pixels * weights, weights, bias), standard=standard)


def transpose(call: Call) -> Counted:
    """Conv1D/2D/3DTranspose: every input pixel spreads taps x filters values from each input channel."""
    source, _, cin, filters = _geometry(call)
    weights = math.prod(call.config["kernel_size"]) * cin * filters
    cost = Cost(macs=math.prod(source) * weights, weights=weights, bias=_bias(call, filters))
    return _window(call, "transpose", cost)


def dense(call: Call) -> Counted:
    """Dense on any rank: one Cin x units matmul per position of every axis but the last."""
    cin, units = call.inputs[0][-1], call.config["units"]
    positions = math.prod(call.outputs[0][:-1])
    cost = Cost(macs=positions * cin * units, weights=cin * units, bias=_bias(call, units))
    return Counted("dense", cost, elementwise=bias_and_activation(call, bool(cost.bias)), linear=True)


def einsum_dense(call: Call) -> Counted:
    """EinsumDense: the product of the sizes of every distinct index of its equation; params the
    kernel's (and bias') indices. Sizes come from the input, then the output, then the config's
    ``output_shape`` (an output axis a walk leaves open)."""
    equation = call.config["equation"].replace(" ", "")
    match = re.fullmatch(r"([a-zA-Z.]+),([a-zA-Z]+)->([a-zA-Z.]+)", equation)
    if match is None:
        raise ValueError(f"EinsumDense equation {equation!r} is not of the form 'ab,bc->ac'")
    source, kernel, result = match.groups()
    sizes: dict[str, int] = {}
    wanted = call.config.get("output_shape")
    declared = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
    for letters, shape in ((source, call.inputs[0]), (result, call.outputs[0])):
        letters = letters.replace("...", "")
        for letter, size in zip(letters[::-1], shape[::-1], strict=False):
            if size is not None:
                sizes.setdefault(letter, size)
    for letter, declared_size in zip(result.replace("...", "")[::-1], declared[::-1], strict=False):
        if declared_size is not None:
            sizes.setdefault(letter, declared_size)
    letters = set((source + kernel + result).replace(".", ""))
    ellipsis = (
        call.inputs[0][: len(call.inputs[0]) - len(source.replace("...", ""))] if "..." in source else ()
    )
    macs = math.prod(sizes[letter] for letter in letters) * math.prod(ellipsis)
    weights = math.prod(sizes[letter] for letter in kernel)
    bias_axes = call.config.get("bias_axes") or ""
    bias = math.prod(sizes[letter] for letter in bias_axes) if bias_axes else 0
    cost = Cost(macs=macs, weights=weights, bias=bias)
    values = math.prod(sizes[letter] for letter in result.replace("...", "")) * math.prod(ellipsis)
    return Counted("dense", cost, elementwise=bias_and_activation(call, bool(bias), values), linear=True)


def attention(call: Call) -> Counted:
    """MultiHeadAttention: the query, key and value projections, both attention products (scores
    H x Tq x Tk x dk, context H x Tq x Tk x dv) and the output projection."""
    config = call.config
    query = call.tensor("query", 0)
    value = call.tensor("value", 1) or query
    key = call.tensor("key", 2) or value
    assert query is not None and value is not None and key is not None
    heads, dk = config["num_heads"], config["key_dim"]
    dv = config.get("value_dim") or dk
    shaped = config.get("output_shape")
    out = (shaped if isinstance(shaped, int) else math.prod(shaped)) if shaped else query[-1]
    tq, tk = math.prod(query[1:-1]), math.prod(key[1:-1])
    projections = query[-1] * heads * dk, key[-1] * heads * dk, value[-1] * heads * dv, heads * dv * out
    positions = (tq, tk, tk, tq)
    macs = sum(map(math.prod, zip(projections, positions, strict=True))) + heads * tq * tk * (dk + dv)
    bias = (2 * heads * dk + heads * dv + out) if config.get("use_bias", True) else 0
    return Counted("attention", Cost(macs=macs, weights=sum(projections), bias=bias))  # profiler: not known


GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
"""The matrices per step of each recurrent layer: LSTM's four gates, GRU's three, one."""


def recurrent_class(class_name: str, config: Mapping[str, Any], call: Call) -> Cost:
    """An LSTM, GRU or SimpleRNN: per step, gates x (Cin + units) x units, over every step."""
    gates, units = GATES[class_name], config["units"]
    steps, cin = call.inputs[0][1], call.inputs[0][-1]
    weights = gates * (cin + units) * units
    bias = gates * units if config.get("use_bias", True) else 0
    if class_name == "GRU" and config.get("reset_after", True):
        bias *= 2  # an input bias and a recurrent bias
    return Cost(macs=steps * weights, weights=weights, bias=bias)


def recurrent(class_name: str) -> Formula:
    return lambda call: Counted("recurrent", recurrent_class(class_name, call.config, call))


def bidirectional(call: Call) -> Counted:
    """Bidirectional: the layer it wraps, forward and backward (each per step x steps)."""
    layers = [call.config["layer"], call.config.get("backward_layer") or call.config["layer"]]
    costs = []
    for layer in layers:
        name = layer["class_name"]
        if name not in GATES:
            raise ValueError(f"Bidirectional around {name}: no formula")
        costs.append(recurrent_class(name, layer["config"], call))
    return Counted("recurrent", costs[0] + costs[1])


def embedding(call: Call) -> Counted:
    """Embedding: a lookup, no MACs; a table of input_dim x output_dim. Profiler: a Less and an AddV2 per
    index read (a negative index wraps), GatherV2 none."""
    table = call.config["input_dim"] * call.config["output_dim"]
    return Counted("embedding", Cost(weights=table), elementwise=2 * call.read)


KERAS_LAYERS: Mapping[str, Formula] = {
    **each("Conv1D Conv2D Conv3D", conv),
    **each("DepthwiseConv1D DepthwiseConv2D", depthwise),
    **each("SeparableConv1D SeparableConv2D", separable_conv),
    **each("Conv1DTranspose Conv2DTranspose Conv3DTranspose", transpose),
    "Dense": dense,
    "EinsumDense": einsum_dense,
    "MultiHeadAttention": attention,
    **{name: recurrent(name) for name in GATES},
    "Bidirectional": bidirectional,
    "Embedding": embedding,
    "BatchNormalization": elementwise.batch_norm,
    "LayerNormalization": elementwise.layer_norm,
    "GroupNormalization": elementwise.group_norm,
    "Normalization": elementwise.normalization,
    "UnitNormalization": elementwise.unit_norm,
    **each(
        "MaxPooling1D MaxPooling2D MaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D",
        elementwise.pool,
    ),
    **each(
        "GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D", elementwise.global_pool(1)
    ),
    **each("GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D", elementwise.global_pool(0)),
    # A layer merges n tensors with n - 1 ops; an op of keras.ops is one (x + 3 reads one tensor).
    "Add": elementwise.merge("add"),
    "Multiply": elementwise.merge("multiply"),
    **each("Subtract Maximum Minimum", elementwise.merge("merge")),
    "Average": elementwise.merge("merge", extra=1),
    "Concatenate": free("merge"),
    "ops.Add": free("add", 1),
    "ops.Multiply": free("multiply", 1),
    **each("ops.Subtract ops.Divide ops.TrueDivide", free("merge", 1)),
    "ReLU": elementwise.relu,
    "ELU": elementwise.elu,
    "Softmax": elementwise.softmax,
    "Activation": elementwise.activation,
    **each("LeakyReLU ops.Relu ops.Relu6 ops.Sigmoid", free("activation")),
    "PReLU": elementwise.prelu,
    "Rescaling": free("rescale", 2),  # x * scale + offset: Mul and AddV2 (with offset 0 too)
    # A model's second input and beyond (the first is the image every table starts from).
    "InputLayer": free("input"),
    **each("Reshape Flatten Identity", free("reshape")),
    **each("ZeroPadding1D ZeroPadding2D ZeroPadding3D", free("padding")),
    **each("Permute Cropping1D Cropping2D Cropping3D", free("resize")),
    **each("UpSampling1D UpSampling2D UpSampling3D", elementwise.upsampling),
    "RepeatVector": free("resize", constant=1),  # a scalar Mul: the repeated axis' size
    **each(
        "Dropout SpatialDropout1D SpatialDropout2D SpatialDropout3D GaussianNoise GaussianDropout "
        "AlphaDropout ActivityRegularization applications.StochasticDepth",
        free("dropout"),
    ),
    "applications.LayerScale": elementwise.layer_scale,
    # keras.applications.InceptionResNetV2's x + r * scale, of two tensors: a Mul and an AddV2 per value.
    "applications.CustomScaleLayer": free("merge", 2),
}
"""Every Keras class with a formula."""
