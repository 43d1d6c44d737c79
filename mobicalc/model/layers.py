"""The layer record: one layer of a concrete network, a node of its graph.

Every source of layers (the built-in tables, a user's table; next, a Keras
model) produces these records, and everything downstream (costs, memory,
views, verify) reads them without asking where they came from.
"""

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

    ``kind`` is a key of ``kinds.KINDS``. ``reads`` names the layers whose
    outputs it reads, in the order its Keras layer takes them (``IMAGE``: the
    network's input), so the layers form a graph: an add reads its shortcut
    and the block's output. ``pair`` names the depthwise layer that a
    pointwise layer completes (depthwise separable convolution).
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
    reads: tuple[str, ...] = ()

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
