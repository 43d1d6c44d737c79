"""The Python API's arguments, read once, here: each value is read as the command line reads it or
refused with a ``MobicalcError`` that names the parameter, before anything is loaded or counted.

The rule (docs/api.md, "Arguments"): a string is read as the option's text (``numbers.read_number``:
ASCII digits, at most one decimal point, surrounding whitespace ignored, as on the command line); a
whole number (a size, channels, a count of rounds) is an ``int`` (a numpy integer too) or its digits,
never a ``float`` (``64.0`` is refused, as ``--resolution 64.0`` is) nor a ``bool``; a real number (a
multiplier, a machine's speed) is also a ``Fraction`` (exact), a ``Decimal`` or a finite ``float``,
taken as written (``0.75`` is exactly 3/4).
"""

import math
import numbers
import operator
import re
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from mobicalc.errors import NetworkError
from mobicalc.model.layers import Resolution
from mobicalc.numbers import NumberError, read_bytes, read_count, read_number

SIZE_SPELLING = "give one positive integer (224, square) or HEIGHTxWIDTH (192x256)"
MAX_SHAPES_CHARACTERS = 1000


def _shown(value: Any) -> str:
    """A value in a message: its type too when that is the problem (``the float 64.0``)."""
    text = repr(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"the {type(value).__name__} {text}" if isinstance(value, float | bool) else text


def real(value: Any, name: str, *, positive: bool = True) -> Fraction:
    """A real number, exactly: ``"0.75"``, ``0.75`` and ``Fraction(3, 4)`` are all 3/4."""
    if isinstance(value, str):
        number = read_number(value, name, positive=False)
    elif isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise NetworkError(
            f"{name} must be a number (an int, a Fraction, a float or its digits), not {_shown(value)}"
        )
    elif isinstance(value, Fraction):
        number = value  # exact already (a Printed number keeps its digits)
    elif isinstance(value, numbers.Rational):
        number = Fraction(operator.index(value.numerator), operator.index(value.denominator))
    elif not math.isfinite(value):
        raise NetworkError(f"{name} must be a finite number, not {_shown(value)}")
    elif isinstance(value, Decimal):
        number = Fraction(value)
    else:  # a float as written: 0.6 is 3/5, not the float's binary value (str() of numpy's floats too)
        number = Fraction(str(value))
    if positive and number <= 0:
        raise NetworkError(f"{name} must be positive, got {value!r}")
    return number


def whole(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number from ``minimum`` (to ``maximum``): an int, a numpy integer, or its digits."""
    if minimum == 1 and maximum is None:
        wanted = "a positive integer"
    else:
        wanted = f"a whole number from {minimum}" + ("" if maximum is None else f" to {maximum}")
    if isinstance(value, str):
        number = int(read_number(value, name, whole=True, positive=False))
    elif isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise NetworkError(f"{name} must be {wanted} (an int, or its digits), not {_shown(value)}")
    else:
        number = operator.index(value)
    if number < minimum or (maximum is not None and number > maximum):
        raise NetworkError(f"{name} must be {wanted}, got {value!r}")
    return number


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise NetworkError(f"{name} must be True or False, not {_shown(value)}")
    return value


def read_resolution(text: str, what: str = "") -> Resolution:
    """An input size as ``--resolution`` reads it: ``224`` (square) or ``192x256``; a square is a number."""
    text = text.strip()
    shown = f"{what} " if what else ""
    sides = re.split(r"[xX]", text)
    if len(sides) == 1:
        return int(read_number(text, what, whole=True))
    if len(sides) > 2 or not all(side.strip() for side in sides):
        raise NumberError(f"{shown}{text[:40]!r} is not an input size: {SIZE_SPELLING}")
    try:
        height, width = (
            int(read_number(side, f"the {axis}", whole=True))
            for axis, side in zip(("height", "width"), sides, strict=True)
        )
    except NumberError as error:
        raise NumberError(f"{shown}{text[:40]!r}: {error}") from None
    return height if height == width else (height, width)


def resolution(value: Any, name: str = "resolution") -> Resolution | None:
    """None, a whole number (square), ``(height, width)``, or text as ``--resolution`` takes it."""
    if value is None:
        return None
    if isinstance(value, str):
        return read_resolution(value, name)
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise NetworkError(f"{name} must be one whole number or (height, width), not {_shown(value)}")
        height, width = (
            whole(side, f"{name} {axis}") for axis, side in zip(("height", "width"), value, strict=True)
        )
        return (height, width)
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise NetworkError(
            f"{name} must be a whole number, (height, width) or text such as '192x256', not {_shown(value)}"
        )
    return whole(value, name)


def resolutions(values: Any, name: str = "resolutions") -> list[Resolution]:
    """Input sizes: an iterable of ``resolution``s, or text as ``--resolution`` takes it (``"128,192x256"``,
    ``"96:224:32"``)."""
    if isinstance(values, str):
        from mobicalc.count.ranges import sizes  # a sweep's: not on a plain command's start-up

        return sizes(values)
    if not isinstance(values, Iterable):
        raise NetworkError(
            f"{name} must be a list of sizes or their text ('128,192x256'), not {_shown(values)}"
        )
    return [resolution(value, f"{name} item") for value in values]  # type: ignore[misc]  # never None


def alphas(values: Any, name: str = "alphas") -> list[Fraction]:
    """Width multipliers: an iterable of ``real``s, or text as ``--alpha`` takes it (``"0.25:1.4:0.05"``)."""
    if isinstance(values, str):
        from mobicalc.count.ranges import values as listed  # as sizes

        return listed(values, what="alpha")
    if not isinstance(values, Iterable):
        raise NetworkError(f"{name} must be a list of numbers or their text ('0.5,1'), not {_shown(values)}")
    return [real(value, "alpha") for value in values]


def read_shapes(text: str, what: str = "") -> list[tuple[int, ...]]:
    """Input shapes as ``--input-shape`` reads them: ``x`` between axes, ``,`` between inputs: ``20x8,10``;
    each axis a whole number, and ``x`` or ``X`` with spaces around it, as ``--resolution`` reads a size."""
    text = text.strip()
    shown = f"{what} " if what else ""
    if len(text) > MAX_SHAPES_CHARACTERS or not text:
        raise NumberError(
            f"{shown}{text[:40]!r} is not a list of shapes: e.g. 224x224x3, or 20x8,10 for two inputs"
        )
    try:
        return [
            tuple(int(read_number(axis, "", whole=True)) for axis in re.split(r"[xX]", shape))
            for shape in text.split(",")
        ]
    except NumberError as error:
        example = "e.g. 224x224x3, or 20x8,10 for two inputs"
        raise NumberError(f"{shown}{text[:40]!r} is not a list of shapes ({error}): {example}") from None


def input_shapes(value: Any, name: str = "input_shape") -> list[tuple[int, ...]] | None:
    """Each input's shape without the batch axis: a list of shapes (``[(20, 8), (10,)]``), one shape
    (``(32, 32, 3)``, as Keras' ``input_shape``), or text as ``--input-shape`` takes it (``"20x8,10"``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return read_shapes(value, name)
    if not isinstance(value, tuple | list) or not value:
        raise NetworkError(
            f"{name} must be a shape such as (32, 32, 3), a list of them, or '20x8,10', not {_shown(value)}"
        )
    if all(not isinstance(axis, tuple | list) for axis in value):
        value = [value]  # one input's shape
    shapes = []
    for number, shape in enumerate(value, 1):
        where = f"{name} (input {number})" if len(value) > 1 else name
        if not isinstance(shape, tuple | list) or not shape:
            raise NetworkError(f"{where} must be a tuple of sizes such as (32, 32, 3), not {_shown(shape)}")
        shapes.append(tuple(whole(size, f"{where} size") for size in shape))
    return shapes


def budget(metric: str, value: Any, *, in_bytes: bool) -> Fraction:
    """A positive limit: a number (``real``), or text as ``--max-macs`` (``"300M"``) or, ``in_bytes``, as
    ``--max-peak-memory`` (``"8MB"``) takes it."""
    name = f"budget {metric!r}"
    if isinstance(value, str):
        return (read_bytes if in_bytes else read_count)(value, name)
    return real(value, name)


def modules(value: Any, name: str = "custom_objects") -> tuple[str, ...]:
    """Module names: one string, or a sequence of them (as ``--custom-objects``, repeated)."""
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, tuple | list) or not all(isinstance(item, str) for item in items):
        raise NetworkError(f"{name} must be a module name or a list of them, not {_shown(value)}")
    return tuple(items)


def text(value: Any, name: str) -> str | None:
    """None or a string (a name: a variant, a ``--keras`` source)."""
    if value is not None and not isinstance(value, str):
        raise NetworkError(f"{name} must be a string, not {_shown(value)}")
    return value
