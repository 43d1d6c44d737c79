"""From table rows to concrete layers: channels, shapes, strides, padding.

This is the one place that decides what the real network looks like at a given
width, resolution and class count. The cost formulas and the TensorFlow builder
both read the layers it produces, so they cannot disagree on the network.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from mobicalc.architecture import Architecture, Padding, Row
from mobicalc.rounding import KERAS, POLICIES, Count, scale_channels, significant


class NetworkError(ValueError):
    """Settings the network cannot take (no channels left, no pixels left)."""


class Shape(NamedTuple):
    height: int
    width: int
    channels: Count


class Layer(NamedTuple):
    """One layer of the concrete network; the unit every count is made of.

    ``kind`` is one of conv, depthwise, pointwise, dense, pool, add. ``pair``
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
    resolution: int | None = None
    classes: int | None = None
    include_top: bool = True
    rounding: str = KERAS

    def __post_init__(self) -> None:
        if self.rounding not in POLICIES:
            raise NetworkError(f"unknown rounding {self.rounding!r}; expected one of: {', '.join(POLICIES)}")
        if self.alpha <= 0:
            raise NetworkError(f"alpha must be positive, got {self.alpha}")
        for name in ("resolution", "classes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise NetworkError(f"{name} must be a positive integer, got {value!r}")


def output_size(size: int, kernel: int, stride: int, padding: Padding) -> int:
    """Spatial output size of a convolution, as TensorFlow computes it."""
    if padding == "same":
        return -(-size // stride)
    before, after = (0, 0) if padding == "valid" else padding
    return (size + before + after - kernel) // stride + 1


class _Walk:
    """The state of one pass over the rows: the channels so far, and the names given."""

    def __init__(self, architecture: Architecture, settings: Settings) -> None:
        self.architecture, self.settings = architecture, settings
        self.shape = Shape(1, 1, architecture.input_channels)
        self.last = "input"
        self.counters: dict[str, int] = {}
        self.rule = None if settings.rounding == KERAS else settings.rounding
        self.alphas = {"scaled": settings.alpha, "grow-only": max(settings.alpha, Fraction(1))}

    def number(self, operator: str) -> int:
        self.counters[operator] = self.counters.get(operator, 0) + 1
        return self.counters[operator]

    def channels(self, row: Row, name: str) -> Count:
        rule = self.rule or row.rounding or self.architecture.rounding
        alpha = self.alphas.get(row.width)
        count = row.c if alpha is None else scale_channels(row.c, alpha, rule)
        if count < 1:  # under exact rounding too: less than one channel is no layer
            raise NetworkError(
                f"layer {name}: alpha {significant(self.settings.alpha):g} leaves "
                f"{significant(count):g} channels ({row.c} x alpha, rounded by {rule!r}); "
                "a layer needs at least 1, use a larger --alpha"
            )
        return count

    def add(self, name: str, kind: str, channels: Count, **options: Any) -> Layer:
        """The next layer, per output pixel: its spatial sizes are placed later."""
        layer = Layer(name, kind, self.shape, Shape(1, 1, channels), **options)
        self.shape, self.last = layer.output, name
        return layer

    @property
    def current(self) -> Count:
        """The channels the next layer receives."""
        return self.shape.channels


def _single(walk: _Walk, row: Row, stride: int, padding: Padding) -> Iterator[Layer]:
    """A conv, depthwise or pointwise row: one layer (a 1x1 conv is pointwise)."""
    name = f"{row.operator}{walk.number(row.operator)}"
    depthwise = row.operator == "depthwise"
    kind = row.operator if depthwise or row.kernel != 1 else "pointwise"
    channels = walk.current if depthwise else walk.channels(row, name)
    yield walk.add(
        name, kind, channels, kernel=row.kernel, stride=stride, padding=padding,
        bias=row.bias, batch_norm=row.batch_norm, activation="relu6",
    )  # fmt: skip


def _block_depthwise(walk: _Walk, block: str, row: Row, stride: int, padding: Padding) -> Layer:
    return walk.add(
        f"{block}_depthwise", "depthwise", walk.current, kernel=row.kernel, stride=stride,
        padding=padding, batch_norm=True, activation="relu6",
    )  # fmt: skip


def _separable(walk: _Walk, row: Row, stride: int, padding: Padding) -> Iterator[Layer]:
    """Depthwise k x k, then pointwise 1x1 (MobileNetV1, paper Figure 3)."""
    block = f"block{walk.number('block')}"
    depthwise = _block_depthwise(walk, block, row, stride, padding)
    yield depthwise
    name = f"{block}_pointwise"
    channels = walk.channels(row, name)
    yield walk.add(name, "pointwise", channels, batch_norm=True, activation="relu6", pair=depthwise.name)


def _bottleneck(walk: _Walk, row: Row, stride: int, padding: Padding) -> Iterator[Layer]:
    """Inverted residual with linear bottleneck (MobileNetV2, paper Table 1)."""
    block = f"block{walk.number('block')}"
    shortcut, block_channels = walk.last, walk.current
    if row.t != 1:
        expanded = row.t * walk.current
        yield walk.add(f"{block}_expand", "pointwise", expanded, batch_norm=True, activation="relu6")
    depthwise = _block_depthwise(walk, block, row, stride, padding)
    yield depthwise
    name = f"{block}_project"
    project = walk.add(name, "pointwise", walk.channels(row, name), batch_norm=True, pair=depthwise.name)
    yield project
    # As Keras: a residual where the block keeps its shape (stride 1, "same", same channels).
    if stride == 1 and padding == "same" and project.output.channels == block_channels:
        yield walk.add(f"{block}_add", "add", project.output.channels, shortcut=shortcut)


def _pool(walk: _Walk, row: Row, stride: int, padding: Padding) -> Iterator[Layer]:
    """Global average pooling: every pixel of each channel to one value."""
    yield walk.add(f"pool{walk.number('pool')}", "pool", walk.current, padding="valid")


def _classifier(walk: _Walk, row: Row, stride: int, padding: Padding) -> Iterator[Layer]:
    classes = walk.settings.classes or walk.architecture.classes
    yield walk.add("classifier", "dense", classes, bias=row.bias, activation="softmax")


OPERATORS: dict[str, Callable[[_Walk, Row, int, Padding], Iterator[Layer]]] = {
    "conv": _single,
    "depthwise": _single,
    "pointwise": _single,
    "separable": _separable,
    "bottleneck": _bottleneck,
    "pool": _pool,
    "classifier": _classifier,
}
"""How each table operator becomes layers; a new operator is one function here."""

TOP = ("pool", "classifier")


def layer_templates(architecture: Architecture, settings: Settings) -> tuple[Layer, ...]:
    """The layers with their channels, per output pixel (1x1 shapes).

    Nothing here depends on the resolution, so one set of templates serves
    every resolution: ``place`` gives them their spatial sizes.
    """
    walk = _Walk(architecture, settings)
    rows = list(architecture.rows)
    if not settings.include_top:
        while rows and rows[-1].operator in TOP:
            rows.pop()
        if not rows:
            raise NetworkError(
                f"{architecture.name} has only pool and classifier rows: --no-top leaves nothing"
            )
    layers: list[Layer] = []
    for row in rows:
        # Stride and padding apply to the first repeat; the others keep the size.
        layers.extend(OPERATORS[row.operator](walk, row, row.s, row.padding))
        for _ in range(row.n - 1):
            layers.extend(OPERATORS[row.operator](walk, row, 1, "same"))
    return tuple(layers)


def spatial_sizes(
    templates: tuple[Layer, ...], resolution: int, architecture: Architecture
) -> tuple[int, ...]:
    """Each layer's output size (height = width) for a square input of ``resolution``."""
    sizes = []
    size = resolution
    for layer in templates:
        if layer.kind == "pool":
            out = 1
        elif layer.kind == "dense" and size != 1:
            raise NetworkError(
                f"layer {layer.name}: needs a 1x1 input (put a pool row before it), got {size}x{size}"
            )
        else:
            out = output_size(size, layer.kernel, layer.stride, layer.padding)
        if out < 1:
            raise NetworkError(
                f"layer {layer.name}: a {size}x{size} input with {layer.kernel}x{layer.kernel} kernel, "
                f"stride {layer.stride} and padding {layer.padding!r} leaves no pixels; "
                f"resolution {resolution} is too small for {architecture.name}"
            )
        sizes.append(out)
        size = out
    return tuple(sizes)


def place(templates: tuple[Layer, ...], resolution: int, sizes: tuple[int, ...]) -> tuple[Layer, ...]:
    """The templates with their input and output sizes (a global pool's kernel is its input)."""
    layers = []
    size = resolution
    for layer, out in zip(templates, sizes, strict=True):
        in_shape, out_shape = Shape(size, size, layer.input.channels), Shape(out, out, layer.output.channels)
        kernel = size if layer.kind == "pool" else layer.kernel
        # Layer(...) with the fields after ``kernel`` kept: several times faster than _replace.
        layers.append(Layer(layer.name, layer.kind, in_shape, out_shape, kernel, *layer[5:]))
        size = out
    return tuple(layers)


def build_layers(architecture: Architecture, settings: Settings | None = None) -> tuple[Layer, ...]:
    """The concrete layers of ``architecture`` under ``settings``, in order."""
    settings = settings or Settings()
    templates = layer_templates(architecture, settings)
    resolution = settings.resolution or architecture.resolution
    return place(templates, resolution, spatial_sizes(templates, resolution, architecture))
