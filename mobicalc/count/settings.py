"""The knobs every model command takes, validated once, here.

``Settings`` is what the CLI's options and the Python API's keywords become:
a bad value is a ``NetworkError`` (a ``MobicalcError``: exit 2 on the command
line), raised when the settings are made, before anything is counted.
"""

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.conventions import Convention
from mobicalc.errors import NetworkError
from mobicalc.model.layers import Resolution
from mobicalc.model.rounding import KERAS, POLICIES
from mobicalc.numbers import read_number

DTYPES = {"float32": 4, "float16": 2, "int8": 1}
"""Bytes per element of each dtype ``--dtype`` takes, for activations and weights."""


def exact(alpha: float | str | Fraction) -> Fraction:
    """``alpha`` as written: 0.75 is exactly 3/4, as on the command line (not the float's binary value)."""
    if isinstance(alpha, Fraction):
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | str):
        raise NetworkError(f"alpha must be a number, got {alpha!r}")
    if isinstance(alpha, str):  # as a person writes it: the CLI's one reading of numbers
        return read_number(alpha, "alpha", positive=False)
    try:
        return Fraction(str(alpha))
    except ValueError:  # inf, nan
        raise NetworkError(f"alpha must be a finite number, got {alpha!r}") from None


@dataclass(frozen=True)
class Settings:
    """The knobs every model command takes."""

    alpha: Fraction = Fraction(1)
    """The width multiplier; given as a float or a string, it is taken as written (``exact``)."""
    resolution: Resolution | None = None
    """The input size: one number (square) or (height, width); None: the table's."""
    classes: int | None = None
    include_top: bool = True
    rounding: str = KERAS
    dtype: str = "float32"
    """Bytes per element of activations and weights, for the memory figures (``DTYPES``)."""
    convention: Convention = conventions.KERAS
    """How parameters and FLOPs are counted; its name (``"slim"``) may be given instead."""
    input_channels: int | None = None
    """The input's channels (the first layer's input: 1 for grayscale); None: the table's."""
    depth_multiplier: int | None = None
    """Output channels per input channel of every depthwise layer; None: the table's (1)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", exact(self.alpha))
        if isinstance(self.convention, str):
            object.__setattr__(self, "convention", conventions.get(self.convention))
        if not isinstance(self.convention, Convention):
            raise NetworkError(f"convention must be a name of one, got {self.convention!r}")
        bytes_per_value(self.dtype)
        if self.rounding not in POLICIES:
            raise NetworkError(f"unknown rounding {self.rounding!r}; expected one of: {', '.join(POLICIES)}")
        if self.alpha <= 0:
            raise NetworkError(f"alpha must be positive, got {self.alpha}")
        if not isinstance(self.include_top, bool):
            raise NetworkError(f"include_top must be True or False, got {self.include_top!r}")
        for name in ("classes", "input_channels", "depth_multiplier"):
            value = getattr(self, name)
            if value is not None and not _positive_int(value):
                raise NetworkError(f"{name} must be a positive integer, got {value!r}")
        resolution = self.resolution
        sides = (resolution,) if isinstance(resolution, int) else resolution
        if resolution is not None and (
            not isinstance(sides, tuple)
            or len(sides) != (1 if isinstance(resolution, int) else 2)
            or not all(_positive_int(side) for side in sides)
        ):
            raise NetworkError(
                f"resolution must be a positive integer or (height, width) of two, got {resolution!r}"
            )


def bytes_per_value(dtype: str) -> int:
    """The bytes of one value at ``dtype``; a NetworkError for a dtype mobicalc does not know."""
    try:
        return DTYPES[dtype]
    except (KeyError, TypeError):
        raise NetworkError(f"unknown dtype {dtype!r}; expected one of: {', '.join(DTYPES)}") from None


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1
