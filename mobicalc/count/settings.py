"""The knobs every model command takes, validated once, here.

``Settings`` is what the CLI's options and the Python API's keywords become:
a bad value is a ``NetworkError`` (a ``MobicalcError``: exit 2 on the command
line), raised when the settings are made, before anything is counted.
"""

from dataclasses import dataclass
from fractions import Fraction

from mobicalc.count import arguments, conventions
from mobicalc.count.conventions import Convention
from mobicalc.errors import NetworkError
from mobicalc.model.layers import Resolution
from mobicalc.model.rounding import KERAS, POLICIES

DTYPES = {"float32": 4, "float16": 2, "int8": 1}
"""Bytes per element of each dtype ``--dtype`` takes, for activations and weights."""


def exact(alpha: float | str | Fraction) -> Fraction:
    """``alpha`` as written: 0.75 is exactly 3/4, as on the command line (not the float's binary value)."""
    return arguments.real(alpha, "alpha")


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
        read = {"alpha": exact(self.alpha), "resolution": arguments.resolution(self.resolution)}
        for name in ("classes", "input_channels", "depth_multiplier"):
            value = getattr(self, name)
            read[name] = None if value is None else arguments.whole(value, name)
        for name, value in read.items():
            object.__setattr__(self, name, value)
        arguments.flag(self.include_top, "include_top")
        if isinstance(self.convention, str):
            object.__setattr__(self, "convention", conventions.get(self.convention))
        if not isinstance(self.convention, Convention):
            raise NetworkError(f"convention must be a name of one, got {self.convention!r}")
        bytes_per_value(self.dtype)
        rounding(self.rounding)


def bytes_per_value(dtype: str) -> int:
    """The bytes of one value at ``dtype``; a NetworkError for a dtype mobicalc does not know."""
    try:
        return DTYPES[dtype]
    except (KeyError, TypeError):
        raise NetworkError(f"unknown dtype {dtype!r}; expected one of: {', '.join(DTYPES)}") from None


def rounding(name: str) -> str:
    """A rounding policy's name; a NetworkError for one mobicalc does not know."""
    if not isinstance(name, str) or name not in POLICIES:
        raise NetworkError(f"unknown rounding {name!r}; expected one of: {', '.join(POLICIES)}")
    return name
