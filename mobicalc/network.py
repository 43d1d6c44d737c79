"""From table rows to concrete layers: channels, shapes, strides, padding.

This is the one place that decides what the real network looks like at a given
width, resolution and class count. The cost formulas and the TensorFlow builder
both read the layers it produces, so they cannot disagree on the network.

It works in three stages, so that a sweep over widths and resolutions is only
arithmetic: ``skeleton`` walks the rows once per table (names, as the table
gives them; kinds, kernels, strides, and how each layer's channels follow
from the width);
``channel_counts`` gives the channels at one width; ``spatial_sizes`` the sizes
at one resolution. ``place`` joins them into concrete layers when they are shown.
"""

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from mobicalc.architecture import NONLINEARITIES, SQUEEZE_EXCITE, Architecture, Padding, Row
from mobicalc.conventions import CONVENTIONS
from mobicalc.conventions import DEFAULT as DEFAULT_CONVENTION
from mobicalc.kinds import KINDS, Spatial
from mobicalc.memory import DTYPES
from mobicalc.rounding import KERAS, POLICIES, Count, scale_channels, significant


class NetworkError(ValueError):
    """Settings the network cannot take (no channels left, no pixels left)."""


class Shape(NamedTuple):
    height: int
    width: int
    channels: Count


class Size(NamedTuple):
    """A layer's output size: its height and width in pixels."""

    height: int
    width: int


Resolution = int | tuple[int, int]
"""An input size: ``224`` (square) or ``(height, width)``."""


def input_size(resolution: Resolution) -> Size:
    """The (height, width) of an input size given as one number (square) or a pair."""
    return Size(resolution, resolution) if isinstance(resolution, int) else Size(*resolution)


def normal_resolution(resolution: Resolution) -> Resolution:
    """One number for a square input (``224x224`` is ``224``), else ``(height, width)``."""
    height, width = input_size(resolution)
    return height if height == width else (height, width)


def resolution_text(resolution: Resolution) -> str:
    """An input size as a person writes it: ``224x224``, ``192x256`` (height x width)."""
    height, width = input_size(resolution)
    return f"{height}x{width}"


class Layer(NamedTuple):
    """One layer of the concrete network; the unit every count is made of.

    ``kind`` is a key of ``kinds.KINDS``. ``pair``
    names the depthwise layer a pointwise layer completes (depthwise separable
    convolution); ``shortcut`` names the layer whose output an add layer adds.
    ``"input"`` names the network input.
    """

    name: str
    kind: str
    input: Shape
    output: Shape
    kernel: int = 1
    stride: int = 1
    padding: Padding = "same"
    bias: bool = False
    batch_norm: bool = False
    activation: str | None = None
    pair: str | None = None
    shortcut: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """The knobs every model command takes."""

    alpha: Fraction = Fraction(1)
    resolution: Resolution | None = None
    """The input size: one number (square) or (height, width); None: the table's."""
    classes: int | None = None
    include_top: bool = True
    rounding: str = KERAS
    dtype: str = "float32"
    """Bytes per element of activations and weights, for the memory figures (``memory.DTYPES``)."""
    convention: str = DEFAULT_CONVENTION
    """A name of ``conventions.CONVENTIONS``: how parameters and FLOPs are counted."""
    input_channels: int | None = None
    """The input's channels (the first layer's input: 1 for grayscale); None: the table's."""
    depth_multiplier: int | None = None
    """Output channels per input channel of every depthwise layer; None: the table's (1)."""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise NetworkError(f"unknown dtype {self.dtype!r}; expected one of: {', '.join(DTYPES)}")
        if self.convention not in CONVENTIONS:
            raise NetworkError(
                f"unknown convention {self.convention!r}; expected one of: {', '.join(CONVENTIONS)}"
            )
        if self.rounding not in POLICIES:
            raise NetworkError(f"unknown rounding {self.rounding!r}; expected one of: {', '.join(POLICIES)}")
        if self.alpha <= 0:
            raise NetworkError(f"alpha must be positive, got {self.alpha}")
        for name in ("classes", "input_channels", "depth_multiplier"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise NetworkError(f"{name} must be a positive integer, got {value!r}")
        resolution = self.resolution
        sides = (resolution,) if isinstance(resolution, int) else resolution
        if resolution is not None and (
            not isinstance(sides, tuple)
            or len(sides) != (1 if isinstance(resolution, int) else 2)
            or not all(isinstance(side, int) and not isinstance(side, bool) and side >= 1 for side in sides)
        ):
            raise NetworkError(
                f"resolution must be a positive integer or (height, width) of two, got {resolution!r}"
            )


def output_size(size: int, kernel: int, stride: int, padding: Padding) -> int:
    """Spatial output size of a convolution, as TensorFlow computes it."""
    if padding == "same":
        return -(-size // stride)
    before, after = padding if isinstance(padding, tuple) else (0, 0)  # "valid": no padding
    return (size + before + after - kernel) // stride + 1


class Channels(NamedTuple):
    """How a layer's output channels follow from the settings; decided once per table.

    ``source`` is ``scaled`` (``count`` times the width multiplier, rounded by
    ``rule``; ``grow_only``: alpha applies only above 1), ``fixed`` (``count``),
    ``input`` (as many as the layer receives), ``times`` (``count`` times as
    many as it receives), ``relative`` (``count / per`` times as many as it
    receives, rounded by ``rule``: Keras' ``_depth(in_channels * ratio)``),
    ``step`` (as many as the output of step ``count``), ``multiplier`` (the
    depth multiplier times as many as it receives: a depthwise layer) or
    ``classes`` (the class count of the settings).
    """

    source: str
    count: int = 0  # type: ignore[assignment]  # a field, though tuple has a count() method
    rule: str = ""
    grow_only: bool = False
    per: int = 1


class Step(NamedTuple):
    """One layer before its width and resolution are known.

    ``template`` has the layer's name, kind, kernel, stride and so on, with
    unplaced shapes; ``channels`` says how its output channels follow. An add
    layer is only there when the block keeps its channels, which can depend on
    the width (Keras decides the same way): ``shortcut_step`` is the step whose
    output it adds (-1: the network's input). ``partner_step`` is, for a
    depthwise layer, the step of the pointwise layer that completes it.
    """

    template: Layer
    channels: Channels
    shortcut_step: int | None = None
    partner_step: int | None = None


UNPLACED = Shape(0, 0, 0)
"""The shapes of a template: sizes and channels are given by ``place``."""


class _Walk:
    """The state of one pass over the rows: the steps so far."""

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        self.steps: list[Step] = []

    def scaled(self, row: Row) -> Channels:
        """A row's own channels: ``c`` at the width multiplier, fixed, or relative to its input."""
        if row.width == "fixed":
            return Channels("fixed", row.c)
        rule = row.rounding or self.architecture.rounding
        if row.width == "relative":
            return Channels("relative", row.c, rule, per=row.inputs)
        return Channels("scaled", row.c, rule, grow_only=row.width == "grow-only")

    def add(
        self, name: str, kind: str, channels: Channels, shortcut_step: int | None = None, **options: Any
    ) -> int:
        """Append the next layer; its index, for the layers that refer back to it."""
        self.steps.append(Step(Layer(name, kind, UNPLACED, UNPLACED, **options), channels, shortcut_step))
        return len(self.steps) - 1

    def pair(self, depthwise: int, pointwise: int) -> None:
        """Mark ``pointwise`` as the layer that completes ``depthwise``."""
        self.steps[depthwise] = self.steps[depthwise]._replace(partner_step=pointwise)


RECEIVED = Channels("input")
"""As many channels out as the layer receives (pool, add)."""

MULTIPLIED = Channels("multiplier")
"""The depth multiplier times as many channels out as the layer receives (depthwise)."""


Names = dict[str, str]
"""The names the table gives the layers of one repeat of a row, by part (``architecture.parts``)."""


def _single(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """A conv, depthwise or pointwise row: one layer (a 1x1 conv is pointwise)."""
    name = names[row.operator]
    depthwise = row.operator == "depthwise"
    kind = row.operator if depthwise or row.kernel != 1 else "pointwise"
    walk.add(
        name, kind, MULTIPLIED if depthwise else walk.scaled(row), kernel=row.kernel, stride=stride,
        padding=padding, bias=row.bias, batch_norm=row.batch_norm, activation=NONLINEARITIES[row.nl],
    )  # fmt: skip


def _block_depthwise(walk: _Walk, name: str, row: Row, stride: int, padding: Padding) -> int:
    return walk.add(
        name, "depthwise", MULTIPLIED, kernel=row.kernel, stride=stride, padding=padding,
        batch_norm=True, activation=NONLINEARITIES[row.nl],
    )  # fmt: skip


def _pointwise(walk: _Walk, name: str, row: Row, depthwise: int, activation: str | None) -> None:
    """The 1x1 convolution that completes a depthwise one: the pair costs as one standard conv."""
    pair = walk.steps[depthwise].template.name
    pointwise = walk.add(
        name, "pointwise", walk.scaled(row), batch_norm=True, activation=activation, pair=pair
    )
    walk.pair(depthwise, pointwise)


def _separable(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Depthwise k x k, then pointwise 1x1 (MobileNetV1, paper Figure 3)."""
    depthwise = _block_depthwise(walk, names["depthwise"], row, stride, padding)
    _pointwise(walk, names["pointwise"], row, depthwise, NONLINEARITIES[row.nl])


SQUEEZE_RATIO = 4
"""Squeeze-and-excite reduces to a quarter of the channels (MobileNetV3, as Keras: se_ratio 0.25)."""


def _squeeze_excite(walk: _Walk, row: Row, names: Names) -> None:
    """Squeeze-and-excite (MobileNetV3, Figure 4): pool to 1x1; a 1x1 conv with bias to a quarter of
    the channels (ReLU) and one back (hard sigmoid); multiply each channel of the map by the result."""
    pool, reduce, expand, multiply = (names[part] for part in SQUEEZE_EXCITE)
    scaled = walk.add(pool, "pool", RECEIVED, padding="valid") - 1  # the map it scales: the depthwise's
    rule = row.rounding or walk.architecture.rounding
    walk.add(reduce, "excite", Channels("relative", 1, rule, per=SQUEEZE_RATIO), bias=True, activation="relu")
    walk.add(expand, "excite", Channels("step", scaled), bias=True, activation="hard_sigmoid")
    walk.add(multiply, "multiply", RECEIVED, shortcut_step=scaled)


def _bottleneck(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Inverted residual with linear bottleneck (MobileNetV2, paper Table 1), and MobileNetV3's
    bneck: expansion size, squeeze-and-excite and non-linearity per row (paper Tables 1 and 2)."""
    shortcut = len(walk.steps) - 1
    if row.expands:
        expanded = (
            Channels("relative", row.exp, row.rounding or walk.architecture.rounding, per=row.inputs)
            if row.exp
            else Channels("times", row.t)
        )
        walk.add(names["expand"], "pointwise", expanded, batch_norm=True, activation=NONLINEARITIES[row.nl])
    depthwise = _block_depthwise(walk, names["depthwise"], row, stride, padding)
    if row.se:
        _squeeze_excite(walk, row, names)
    _pointwise(walk, names["project"], row, depthwise, None)
    # As Keras: a residual where the block keeps its shape (stride 1, "same", same channels).
    if stride == 1 and padding == "same":
        walk.add(names["add"], "add", RECEIVED, shortcut_step=shortcut)


def _pool(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Global average pooling: every pixel of each channel to one value."""
    walk.add(names["pool"], "pool", RECEIVED, padding="valid")


def _rescale(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """The input's preprocessing, x * scale + offset per element (Keras' Rescaling): no MACs, no weights."""
    walk.add(names["rescale"], "rescale", RECEIVED)


def _classifier(walk: _Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    walk.add(names["classifier"], "dense", Channels("classes"), bias=row.bias, activation="softmax")


OPERATORS: dict[str, Callable[[_Walk, Row, Names, int, Padding], None]] = {
    "conv": _single,
    "depthwise": _single,
    "pointwise": _single,
    "separable": _separable,
    "bottleneck": _bottleneck,
    "pool": _pool,
    "classifier": _classifier,
    "rescale": _rescale,
}
"""How each table operator becomes layers; a new operator is one function here."""


def skeleton(architecture: Architecture, include_top: bool = True) -> tuple[Step, ...]:
    """The layers of a table, before width and resolution: the same for every alpha and size."""
    walk = _Walk(architecture)
    rows = list(architecture.rows)
    if not include_top:
        while rows and rows[-1].top:
            rows.pop()
        if not rows:
            raise NetworkError(
                f"{architecture.name} has only pool and classifier rows: --no-top leaves nothing"
            )
    for row in rows:
        # Stride and padding apply to the first repeat; the others keep the size.
        OPERATORS[row.operator](walk, row, row.layer_names(0), row.s, row.padding)
        for repeat in range(1, row.n):
            OPERATORS[row.operator](walk, row, row.layer_names(repeat), 1, "same")
    return tuple(walk.steps)


def channel_counts(
    steps: tuple[Step, ...],
    architecture: Architecture,
    alpha: Fraction,
    classes: int | None,
    rounding: str,
    min_depth: int = 0,
    *,
    input_channels: int | None = None,
    depth_multiplier: int = 1,
) -> tuple[tuple[Count, ...], tuple[bool, ...]]:
    """Each layer's output channels at width ``alpha``, and whether the layer is there at all.

    Only an add layer can be absent: when its block does not keep its channels. A width-scaled
    layer keeps at least ``min_depth`` channels (slim's ``min_depth``). ``input_channels``: the
    input's (None: the table's); a depthwise layer gives ``depth_multiplier`` channels per input channel.
    """
    grown = alpha if alpha > 1 else Fraction(1)  # grow-only rows: alpha only above 1
    policy = None if rounding == KERAS else rounding
    classes = classes or architecture.classes
    channels: list[Count] = []
    present: list[bool] = []
    scaled: dict[Channels, Count] = {}  # a row's repeats share their channels: round once
    image: Count = input_channels or architecture.input_channels
    current = image
    for step in steps:
        source, count, rule, grow_only, per = step.channels
        if source == "input":
            out = current
        elif source == "multiplier":
            out = depth_multiplier * current
        elif source == "relative":  # Keras: _depth(in_channels * ratio), the ratio a float
            out = scale_channels(current, Fraction(count, per), policy or rule)  # type: ignore[arg-type]
            if out < 1:
                raise NetworkError(
                    f"layer {step.template.name}: alpha {significant(alpha):g} leaves "
                    f"{significant(out):g} channels; a layer needs at least 1, use a larger --alpha"
                )
        elif source == "step":
            out = channels[count]
        elif source == "scaled":
            out = scaled.get(step.channels, 0)
            if not out:
                rule = policy or rule
                out = scale_channels(count, grown if grow_only else alpha, rule)
                out = scaled[step.channels] = max(out, min_depth) if min_depth else out
                if out < 1:  # under exact rounding too: less than one channel is no layer
                    raise NetworkError(
                        f"layer {step.template.name}: alpha {significant(alpha):g} leaves "
                        f"{significant(out):g} channels ({count} x alpha, rounded by {rule!r}); "
                        "a layer needs at least 1, use a larger --alpha"
                    )
        elif source == "times":
            out = count * current
        elif source == "fixed":
            out = count
        else:
            out = classes
        if step.shortcut_step is None:
            present.append(True)
        else:
            shortcut = step.shortcut_step
            present.append(current == (channels[shortcut] if shortcut >= 0 else image))
        channels.append(out)
        current = out
    return tuple(channels), tuple(present)


def depth_multiplier(architecture: Architecture, settings: Settings) -> int:
    """The settings' depth multiplier, else the table's; refused for a table of bottleneck rows.

    keras.applications.MobileNet takes a ``depth_multiplier`` for its separable blocks; an inverted
    residual widens its depthwise layer by the expansion ``t`` instead (MobileNetV2 and V3 take none).
    """
    multiplier = settings.depth_multiplier or architecture.depth_multiplier
    if multiplier != 1 and any(row.operator == "bottleneck" for row in architecture.rows):
        raise NetworkError(
            f"depth multiplier {multiplier}: {architecture.name} has bottleneck rows, whose depthwise "
            "layers are widened by the expansion t instead (keras.applications.MobileNetV2 and V3 take no "
            "depth_multiplier); it applies to separable and depthwise rows (MobileNetV1)"
        )
    return multiplier


def spatial_sizes(
    steps: tuple[Step, ...], resolution: Resolution, architecture: Architecture
) -> tuple[Size, ...]:
    """Each layer's output (height, width) for an input of ``resolution`` (a number: square).

    Height and width follow the same rule, each on its own axis.
    """
    sizes: list[Size] = []
    source = size = input_size(resolution)
    given = resolution if isinstance(resolution, int) else resolution_text(resolution)
    # Looked up once: this loop runs for every layer of every resolution of a sweep.
    global_, broadcast, vector = Spatial.GLOBAL, Spatial.BROADCAST, Spatial.VECTOR
    spatial_of = {name: kind.spatial for name, kind in KINDS.items()}
    for step in steps:
        layer = step.template
        spatial = spatial_of[layer.kind]
        if spatial is global_:
            out = Size(1, 1)
        elif spatial is broadcast:  # back to the size of the map it scales
            shortcut = step.shortcut_step
            out = source if shortcut is None or shortcut < 0 else sizes[shortcut]
        elif spatial is vector and size != (1, 1):
            raise NetworkError(
                f"layer {layer.name}: needs a 1x1 input (put a pool row before it), "
                f"got {resolution_text(size)}"
            )
        elif layer.padding == "same":  # the common case, inline: -(-side // stride) is ceil(side / stride)
            stride = layer.stride
            out = Size(-(-size[0] // stride), -(-size[1] // stride))
        else:
            kernel, stride, padding = layer.kernel, layer.stride, layer.padding
            out = Size(
                output_size(size[0], kernel, stride, padding), output_size(size[1], kernel, stride, padding)
            )
        if out[0] < 1 or out[1] < 1:
            raise NetworkError(
                f"layer {layer.name}: a {resolution_text(size)} input with {layer.kernel}x{layer.kernel} "
                f"kernel, stride {layer.stride} and padding {layer.padding!r} leaves no pixels; "
                f"resolution {given} is too small for {architecture.name}"
            )
        sizes.append(out)
        size = out
    return tuple(sizes)


def place(
    steps: tuple[Step, ...],
    input_shape: Shape,
    channels: tuple[Count, ...],
    present: tuple[bool, ...],
    sizes: tuple[Size, ...],
) -> tuple[Layer, ...]:
    """The layers that are there, with channels and sizes (a global pool's kernel is its input)."""
    layers = []
    before = input_shape
    names: list[str] = []  # at each step, the name of the latest layer that is there
    for step, out_channels, there, out in zip(steps, channels, present, sizes, strict=True):
        layer = step.template
        if not there:  # an add that is not there passes its input on unchanged
            names.append(names[-1] if names else "input")
            continue
        after = Shape(out.height, out.width, out_channels)
        kernel = before.height if KINDS[layer.kind].spatial is Spatial.GLOBAL else layer.kernel
        index = step.shortcut_step
        shortcut = None if index is None else names[index] if index >= 0 else "input"
        # Layer(...) with the fields between ``kernel`` and ``shortcut`` kept: faster than _replace.
        layers.append(Layer(layer.name, layer.kind, before, after, kernel, *layer[5:-1], shortcut))
        names.append(layer.name)
        before = after
    return tuple(layers)
