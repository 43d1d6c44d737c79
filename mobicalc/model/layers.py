"""The layer record: one layer of a concrete network, a node of its graph.

Every source of layers (the built-in tables, a user's table; next, a Keras
model) produces these records, and everything downstream (costs, memory,
views, verify) reads them without asking where they came from.
"""

import math
from typing import NamedTuple

from mobicalc.model.rounding import Count

Padding = str | tuple[int, int]
"""``"same"``, ``"valid"``, or explicit ``(before, after)`` zero padding."""

IMAGE = "input"
"""The name that stands for the network's input image among a layer's ``reads``."""


class Shape(NamedTuple):
    height: int
    width: int
    channels: Count


class Dims(tuple[int, ...]):
    """A tensor's shape of any rank at batch 1, without the batch axis, as a graph (a Keras model) gives
    it: ``(20, 64)`` for a sequence, ``(8, 32, 32, 16)`` for a volume.

    It answers ``height``, ``width`` and ``channels`` as ``Shape`` does, so that counting and memory read
    every record alike: ``channels`` is the last axis, ``height`` the first of three or more, ``width``
    the product of the axes between; always ``height x width x channels`` = its number of values.
    """

    __slots__ = ()

    @property
    def channels(self) -> int:
        return self[-1] if self else 1

    @property
    def height(self) -> int:
        return self[0] if len(self) >= 3 else 1

    @property
    def width(self) -> int:
        return math.prod(self[1:-1]) if len(self) >= 3 else (self[0] if len(self) == 2 else 1)


Tensor = Shape | Dims
"""A layer's input or output: (height, width, channels) from a table, any rank from a graph."""

Kernel = int | tuple[int, ...]
"""A kernel's or stride's size: one number for every axis (3: 3x3), or one per axis (``(1, 7)``)."""


def square(size: Kernel) -> int:
    """A kernel or stride the same along every axis, as one number (a table's always is)."""
    if isinstance(size, int):
        return size
    if len(set(size)) != 1:
        raise ValueError(f"kernel {size} is not the same along every axis")
    return size[0]


class Size(NamedTuple):
    """A tensor's spatial size: its height and width in pixels."""

    height: int
    width: int


Resolution = int | tuple[int, int]
"""An input size as a person gives it: ``224`` (square) or ``(height, width)``."""


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

    ``kind`` is a kind's name (``kinds.kind_of``). ``reads`` names the layers whose
    outputs it reads, in the order its Keras layer takes them (``IMAGE``: the
    network's input), so the layers form a graph: an add reads its shortcut
    and the block's output. ``pair`` names the depthwise layer that a
    pointwise layer completes (depthwise separable convolution).
    """

    name: str
    kind: str
    input: Tensor
    output: Tensor
    kernel: Kernel = 1
    stride: Kernel = 1
    padding: Padding = "same"
    bias: bool = False
    batch_norm: bool = False
    activation: str | None = None
    pair: str | None = None
    reads: tuple[str, ...] = ()
    op: str | None = None
    """What the layer is in its source, when the source is a graph: its Keras class (``Conv2D``,
    ``ops.Add`` for an op such as MobileNetV3's ``x + 3``); None for a table's layers."""
    shares: str | None = None
    """A shared layer's later call (``dense (call 2)``): the first call's name, whose record counts the
    weights this call reads too (parameters are counted once; every call reads them)."""

    @property
    def shortcut(self) -> str | None:
        """The tensor a two-input layer (an add, a multiply) reads beside the one it scales or adds to:
        the first of its ``reads``; None for a layer of one input."""
        return self.reads[0] if len(self.reads) > 1 else None


def output_size(size: int, kernel: int, stride: int, padding: Padding) -> int:
    """Spatial output size of a convolution, as TensorFlow computes it."""
    if padding == "same":
        return -(-size // stride)
    before, after = padding if isinstance(padding, tuple) else (0, 0)  # "valid": no padding
    return (size + before + after - kernel) // stride + 1
