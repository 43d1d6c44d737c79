"""The Keras classes whose work is elementwise (normalization, pooling, merges, activations): no MACs;
their parameters, and the flops TensorFlow's profiler registers for their ops (``keras_call.py``).

Each formula is registered by class in ``keras_layers.KERAS_LAYERS``; N is the call's output values.
"""

import math

from mobicalc.count.conventions import BATCH_NORM_PER_CHANNEL, BATCH_NORM_PER_ELEMENT
from mobicalc.count.costs import Cost
from mobicalc.count.keras_call import ACTIVATION_FLOPS, Call, Counted, Formula, activation_flops, axes, shown
from mobicalc.model.rounding import Count


def _scale_center(call: Call) -> tuple[bool, bool]:
    return bool(call.config.get("scale", True)), bool(call.config.get("center", True))


def batch_norm(call: Call) -> Counted:
    """BatchNormalization: gamma and beta (trainable, when scale and center), moving mean and variance.

    Profiler: at inference Keras runs tf.nn.batch_normalization: 2 per value (x * inv, + offset); per
    channel AddV2 (variance + epsilon), Rsqrt (2), Mul (inv * gamma, with scale), Mul (mean * inv) and
    Sub (beta - that; Neg without center): 6 per channel, 5 without scale."""
    channels = math.prod(call.inputs[0][axis] for axis in axes(call))
    scale, center = _scale_center(call)
    per_channel = BATCH_NORM_PER_CHANNEL - (not scale)
    return Counted(
        "normalization",
        Cost(batch_norm_trainable=channels * (scale + center), batch_norm_non_trainable=2 * channels),
        elementwise=BATCH_NORM_PER_ELEMENT * call.values + per_channel * channels,
        batch_norm=channels,
    )


def normalized(values: int, statistics: int, scaled: int, scale: bool, center: bool) -> Count:
    """The profiler's flops of a normalization by statistics of its input (layer and group norm).

    Per value: the moments (Mean, SquaredDifference 2, Mean: 4) and ``x * inv + offset`` (2). Per
    statistic: AddV2 (variance + epsilon), Rsqrt (2), Neg (-mean). With scale, ``inv * gamma`` and
    ``-mean * inv`` each write ``scaled`` values (layer norm: every value; group norm: one per
    channel), else ``-mean * inv`` one per statistic; with center, ``+ beta`` writes ``scaled``."""
    return 6 * values + 4 * statistics + (2 * scaled if scale else statistics) + scaled * center


def layer_norm(call: Call) -> Counted:
    """LayerNormalization: gamma and beta over its axes (rms_scaling: gamma only). Profiler: ``normalized``
    with a statistic per position of the other axes (rms_scaling, deprecated: not known)."""
    normalized_size = math.prod(call.inputs[0][axis] for axis in axes(call))
    rms = bool(call.config.get("rms_scaling", False))
    scale, center = _scale_center(call)
    elementwise = (
        None if rms else normalized(call.values, call.values // normalized_size, call.values, scale, center)
    )
    scale, center = scale or rms, center and not rms
    return Counted(
        "normalization",
        Cost(batch_norm_trainable=normalized_size * (scale + center)),
        elementwise=elementwise,
    )


def group_norm(call: Call) -> Counted:
    """GroupNormalization: gamma and beta per channel. Profiler: ``normalized`` with a statistic per
    group."""
    channels = call.inputs[0][axes(call)[0]]
    scale, center = _scale_center(call)
    return Counted(
        "normalization",
        Cost(batch_norm_trainable=channels * (scale + center)),
        elementwise=normalized(call.values, call.config.get("groups", 32), channels, scale, center),
    )


def normalization(call: Call) -> Counted:
    """Normalization: an adapted mean and variance per kept axis, and a count (none when the mean and
    variance are given). Profiler: Sub and RealDiv per value, Maximum (the variance's floor) per mean
    value, Sqrt none (invert: not known)."""
    kept = math.prod(call.inputs[0][axis] for axis in axes(call) if axis is not None)
    elementwise = None if call.config.get("invert") else 2 * call.values + kept
    if call.config.get("mean") is not None:
        return Counted("normalization", elementwise=elementwise)
    return Counted("normalization", Cost(batch_norm_non_trainable=2 * kept + 1), elementwise=elementwise)


def unit_norm(call: Call) -> Counted:
    """UnitNormalization: no parameters. Profiler: Square and Mul per value; per sum (one per position
    of the other axes) Sum (1 per value read, less 1 per sum), Rsqrt (2) and Minimum (1): 3N + 2 x sums."""
    sums = call.values // math.prod(call.inputs[0][axis] for axis in axes(call))
    return Counted("normalization", elementwise=3 * call.values + 2 * sums)


def layer_scale(call: Call) -> Counted:
    """keras.applications.ConvNeXt's LayerScale: one trainable scale per channel; a Mul per value."""
    return Counted(
        "multiply", Cost(batch_norm_trainable=call.config["projection_dim"]), elementwise=call.values
    )


def prelu(call: Call) -> Counted:
    """PReLU: a slope per value of its input, shared along ``shared_axes``. Profiler: Neg of the slopes;
    Neg, Mul and AddV2 per value (the two Relu none)."""
    shared = call.config.get("shared_axes") or []
    slopes = math.prod(
        1 if axis in shared else extent for axis, extent in enumerate(call.inputs[0]) if axis > 0
    )
    return Counted("activation", Cost(weights=slopes), elementwise=slopes + 3 * call.values)


def relu(call: Call) -> Counted:
    """ReLU: Relu, Relu6 (max_value 6) or LeakyRelu (negative_slope) alone register no flops; with another
    max_value, a clip (Minimum, Maximum: 2 per value); a threshold, or a slope with a maximum: not known."""
    config = call.config
    slope, top, threshold = (
        config.get("negative_slope") or 0,
        config.get("max_value"),
        config.get("threshold"),
    )
    elementwise: Count | None = 0
    if threshold or (slope and top is not None):
        elementwise = None
    elif top is not None and top != 6:
        elementwise = 2 * call.values
    return Counted("activation", elementwise=elementwise)


def elu(call: Call) -> Counted:
    """ELU: Elu registers none; with alpha other than 1, a Greater and a Mul per value."""
    alpha = float(call.config.get("alpha", 1.0))
    return Counted("activation", elementwise=0 if alpha == 1 else 2 * call.values)


def activation(call: Call) -> Counted:
    """Activation: the named activation's flops (``ACTIVATION_FLOPS``)."""
    return Counted("activation", elementwise=activation_flops(call.values, call.config.get("activation")))


def softmax(call: Call) -> Counted:
    """Softmax: 5 per value; along an axis other than the last, it transposes there and back (free), each
    permutation computed with a scalar Sub (1 each). Along several axes: not known."""
    axis = call.config.get("axis", -1)
    if isinstance(axis, list | tuple):
        return Counted("activation")
    last = axis in (-1, len(call.inputs[0]) - 1)
    return Counted("activation", elementwise=ACTIVATION_FLOPS["softmax"] * call.values + 2 * (not last))


def pool(call: Call) -> Counted:
    """Windowed pooling: no MACs, no parameters. Profiler: MaxPool and AvgPool (1-D runs as 2-D) the
    window's area per value written; MaxPool3D and AvgPool3D none."""
    window = call.config["pool_size"]
    window = tuple(window) if isinstance(window, list | tuple) else (window,)
    return Counted(
        "pool", kernel=shown(window), stride=shown(call.config.get("strides") or window),
        padding=call.config.get("padding", "valid"),
        elementwise=math.prod(window) * call.values if len(window) < 3 else 0,
    )  # fmt: skip


def global_pool(per_value_read: int) -> Formula:
    """Global pooling: Mean registers 1 per value read (average), Max none (max)."""
    return lambda call: Counted("pool", elementwise=per_value_read * call.read)


def merge(kind: str, extra: int = 0) -> Formula:
    """A merge of n tensors: n - 1 binary ops (AddV2, Mul, Sub, Maximum, Minimum), each 1 per output
    value, and ``extra`` more per value (Average's RealDiv)."""
    return lambda call: Counted(kind, elementwise=(len(call.inputs) - 1 + extra) * call.values)


def upsampling(call: Call) -> Counted:
    """UpSampling1D/2D/3D: nearest repeats (Tile: none) each axis, computing its new size with a scalar
    Mul (1 each); bilinear (ResizeBilinear) none."""
    factors = call.config.get("size", 2)
    nearest = call.config.get("interpolation", "nearest") == "nearest"
    return Counted(
        "resize", elementwise=len(factors) if isinstance(factors, list | tuple) and nearest else int(nearest)
    )
