"""Values to sweep, read exactly: lists and ``start:stop:step`` ranges of numbers, and input sizes.

``values`` reads ``0.25,0.5`` and ``0.25:1.4:0.05`` exactly (Fractions, the stop
included when the step lands on it); ``sizes`` reads input sizes, ``HEIGHTxWIDTH``
among them.
"""

import math
from fractions import Fraction
from typing import NamedTuple

from mobicalc.errors import MobicalcError
from mobicalc.numbers import NumberError, exact_decimal, read_number

MAX_CONFIGURATIONS = 1_000_000
"""The most alpha x resolution configurations one sweep may have."""
MAX_ITEM_CHARACTERS = 100
"""The longest number, or start:stop:step range, in a list."""


class RangeError(MobicalcError):
    """A list or range of values that cannot be swept; the message says why, for a person."""


def _number(text: str, what: str, integer: bool) -> Fraction:
    try:
        return read_number(text, what, whole=integer, positive=False)
    except NumberError as error:
        raise RangeError(str(error)) from None


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise RangeError("no values: give numbers, e.g. 0.5,1, or a range start:stop:step")
    for item in items:
        if not item:
            raise RangeError(f"an empty item in {text!r}: separate values with single commas")
        if len(item) > MAX_ITEM_CHARACTERS:
            raise RangeError(
                f"{item[:12]}... ({len(item):,} characters) is too long: at most {MAX_ITEM_CHARACTERS}"
            )
    return items


def _item_bounds(item: str, integer: bool) -> tuple[Fraction, Fraction, Fraction, range]:
    """start, stop, step of one item, and ``range(n)`` for its n values (a single value: 1)."""
    parts = item.split(":")
    if len(parts) == 1:
        value = _number(item, "value", integer)
        return value, value, Fraction(1), range(1)
    if len(parts) != 3:
        raise RangeError(f"{item!r} is not a range: write start:stop:step, e.g. 96:224:32")
    start = _number(parts[0], "start", integer)
    stop = _number(parts[1], "stop", integer)
    step = _number(parts[2], "step", integer)
    if step == 0:
        raise RangeError(f"{item!r}: the step is zero")
    if stop < start:
        raise RangeError(f"{item!r} is empty: the stop {parts[1]} is below the start {parts[0]}")
    steps = math.floor((stop - start) / step)  # as seq: the stop if the step reaches it, else the last below
    if steps >= MAX_CONFIGURATIONS:
        raise RangeError(f"{item!r} has {steps + 1:,} values: a sweep has at most {MAX_CONFIGURATIONS:,}")
    return start, stop, step, range(steps + 1)


def values(text: str, *, integer: bool = False, what: str = "value") -> list[Fraction]:
    """The values of a comma-separated list of numbers and ranges, exactly, each once, in order.

    A range ``start:stop:step`` includes its stop when the step reaches it exactly, as
    ``seq`` does: ``0.25:1.4:0.05`` is 0.25, 0.30, ..., 1.40 (24 values); ``96:293:2`` ends
    at 292 (``short_ranges`` says so). Values must be positive
    (``integer``: whole numbers too); steps positive; a range's stop at least its start.
    A value given twice is kept once, where it first appears.
    """
    seen: dict[Fraction, None] = {}
    total = 0
    for item in _items(text):
        start, _, step, indices = _item_bounds(item, integer)
        total += len(indices)
        if total > MAX_CONFIGURATIONS:
            raise RangeError(f"{text[:40]!r} has over {MAX_CONFIGURATIONS:,} values")
        for index in indices:
            seen.setdefault(start + index * step, None)
    found = list(seen)
    for value in found:
        if value <= 0:
            raise RangeError(f"{what} {exact_decimal(value)} is not positive")
    return found


MAX_SIZED = 100
"""The most input sizes a sweep may have when one of them is HEIGHTxWIDTH (its frontier is slower)."""


class Survey(NamedTuple):
    """What a list of values holds, read from its items' bounds without expanding a range."""

    total: int
    """How many values, a value given twice counted twice."""
    largest: Fraction


def survey(text: str, *, integer: bool = False, what: str = "value") -> Survey:
    """Check ``text`` as ``values`` (or, ``integer``, ``sizes``) would, and count its values, in time
    proportional to its items, not its values: a request over the limits is refused before anything
    is expanded."""
    count, largest = 0, Fraction(0)
    squares = sized = 0
    for item in _items(text):
        if integer and "x" in item.lower():
            height, width = _size(item)
            sized += 1
            largest = max(largest, Fraction(height), Fraction(width))
            continue
        start, _, step, indices = _item_bounds(item, integer)
        if start <= 0:
            raise RangeError(f"{what} {exact_decimal(start)} is not positive")
        squares += len(indices)
        largest = max(largest, start + (len(indices) - 1) * step)
    count = squares + sized
    if squares > MAX_CONFIGURATIONS:
        raise RangeError(f"{text[:40]!r} has over {MAX_CONFIGURATIONS:,} values")
    if sized and count > MAX_SIZED:
        raise _too_many_sized(count)
    return Survey(count, largest)


def _too_many_sized(count: int) -> RangeError:
    return RangeError(
        f"{count:,} sizes with a HEIGHTxWIDTH among them: a sweep of non-square sizes has at most {MAX_SIZED}"
    )


def sizes(text: str) -> list[int | tuple[int, int]]:
    """Input sizes: whole numbers and ranges as ``values`` reads them, or ``HEIGHTxWIDTH`` items.

    A square given as a pair (``160x160``) is the number ``160``; each size is kept once.
    """
    found: dict[int | tuple[int, int], None] = {}  # in the order given
    total = 0
    for item in _items(text):
        if "x" not in item.lower():
            squares = values(item, integer=True, what="resolution")
            total += len(squares)
            if total > MAX_CONFIGURATIONS:
                raise RangeError(f"{text[:40]!r} has over {MAX_CONFIGURATIONS:,} values")
            for value in squares:
                found.setdefault(int(value), None)
            continue
        height, width = _size(item)
        found.setdefault(height if height == width else (height, width), None)
    result = list(found)
    if any(isinstance(size, tuple) for size in result) and len(result) > MAX_SIZED:
        raise _too_many_sized(len(result))
    return result


def _size(item: str) -> tuple[int, int]:
    """``HEIGHTxWIDTH``: (height, width)."""
    sides = item.lower().split("x")
    if len(sides) != 2:
        raise RangeError(f"{item!r} is not an input size: write HEIGHTxWIDTH, e.g. 192x256")
    height, width = (int(_number(side.strip(), "side", integer=True)) for side in sides)
    if not height or not width:
        raise RangeError(f"{item!r}: a side of 0 pixels")
    return height, width


def short_ranges(text: str, integer: bool = False) -> list[str]:
    """A line for each range of ``text`` whose step does not reach its stop: where it ends instead."""
    lines = []
    for item in _items(text):
        if "x" in item.lower():  # an input size HEIGHTxWIDTH: no range
            continue
        start, stop, step, indices = _item_bounds(item, integer)
        last = start + (len(indices) - 1) * step
        if last != stop:
            lines.append(
                f"{item} ends at {exact_decimal(last)}: the step {exact_decimal(step)} does not reach "
                f"{exact_decimal(stop)} (ranges include the stop only when the step lands on it)"
            )
    return lines
