"""The values options take (numbers, counts, sizes, budgets, lists and ranges): each a click type that
reads its text one way (``numbers.read_number``) and refuses the rest as a usage error (exit 2)."""

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import click

from mobicalc.count.arguments import read_resolution, read_shapes
from mobicalc.numbers import NumberError, read_bytes, read_count, read_number

MAX_NUMBER_CHARACTERS = 100
"""The longest --alpha/--rho: exact arithmetic on thousands of digits would take minutes."""
MAX_COUNT_DIGITS = 1000
"""The most digits of an integer option: past that, converting and printing counts gets slow."""


def _too_long(text: str, limit: int, what: str) -> str:
    """The refusal of a number written with more than ``limit`` characters, without echoing it all."""
    return f"{text[:12]}... ({len(text):,} characters) is too long: at most {limit:,} {what}"


class PositiveNumber(click.ParamType):
    """A positive number, as ``numbers.read_number`` reads one, kept exact: '0.6' is 3/5, not 0.59999..."""

    name = "number"

    def __init__(self, maximum: Fraction | None = None) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        if isinstance(value, Fraction):
            return value
        text = str(value).strip()
        if len(text) > MAX_NUMBER_CHARACTERS:
            self.fail(_too_long(text, MAX_NUMBER_CHARACTERS, "characters"), param, ctx)
        try:
            exact = read_number(text, "")
        except NumberError as error:
            self.fail(str(error), param, ctx)
        if self.maximum is not None and exact > self.maximum:
            self.fail(f"{text} is out of range: at most {self.maximum}", param, ctx)
        return exact


class Reading(click.ParamType):
    """An option read by one of the library's readers (``numbers``, ``arguments``), whose NumberError
    is the usage error: the CLI and the Python API read the same text the same way."""

    def __init__(self, name: str, reader: Callable[[str], Any], read: type) -> None:
        self.name, self.reader, self.read = name, reader, read

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.read):  # a default, or a value read already
            return value
        try:
            return self.reader(str(value))
        except NumberError as error:
            self.fail(str(error), param, ctx)


BUDGET = Reading("count", read_count, Fraction)
"""A count with an optional K/M/G/T suffix (powers of 1000): 300M, 4.3M, 4253864 (``read_count``)."""
BYTE_SIZE = Reading("size", read_bytes, Fraction)
"""A size in bytes: KB/MB/GB/TB powers of 1000, KiB/MiB/GiB/TiB of 1024, or plain bytes (``read_bytes``)."""
INPUT_SHAPES = Reading("shapes", read_shapes, list)
"""Each input's shape without the batch axis, ``x`` between axes, ``,`` between inputs: 20x8,10
(``arguments.read_shapes``)."""


class WholeNumber(click.ParamType):
    """A whole number from ``minimum`` to ``maximum``, as ``numbers.read_number`` reads one (digits only),
    of at most MAX_COUNT_DIGITS digits."""

    name = "integer"

    def __init__(self, minimum: int = 1, maximum: int | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if len(text) > MAX_COUNT_DIGITS:
            self.fail(_too_long(text, MAX_COUNT_DIGITS, "digits"), param, ctx)
        try:
            number = int(read_number(text, "", whole=True, positive=self.minimum > 0))
        except NumberError as error:
            self.fail(str(error), param, ctx)
        if number < self.minimum or (self.maximum is not None and number > self.maximum):
            top = "" if self.maximum is None else f" to {self.maximum}"
            self.fail(f"{text} is out of range: from {self.minimum}{top}", param, ctx)
        return number


class InputSize(click.ParamType):
    """An input size: one positive integer (square, ``224``) or height x width (``192x256``)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | tuple):
            return value
        text = str(value).strip()
        if not re.search(r"[xX]", text):  # one number: a square input, refused as any count is
            return COUNT.convert(text, param, ctx)
        try:
            return read_resolution(text)
        except NumberError as error:
            self.fail(str(error), param, ctx)


MAX_MULTIPLIER = Fraction(100)
"""The largest alpha (and rho) taken: far past any real network, and TensorFlow's limits."""
ALPHA = PositiveNumber(maximum=MAX_MULTIPLIER)
COUNT = WholeNumber()
INPUT_SIZE = InputSize()


class ValueText(str):
    """--alpha or --resolution as given, checked but not expanded (the library expands it once it
    knows the sweep is within its limits), with a line for each range that stops short of its stop."""

    notes: list[str]


class Values(click.ParamType):
    """A comma-separated list of numbers and start:stop:step ranges (stop included), kept exact."""

    name = "values"

    def __init__(self, integer: bool, what: str, maximum: Fraction | None = None) -> None:
        self.integer, self.what, self.maximum = integer, what, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, ValueText):
            return value
        from mobicalc.count.ranges import RangeError, short_ranges, survey

        try:
            notes = short_ranges(str(value), integer=self.integer)
            largest = survey(str(value), integer=self.integer, what=self.what).largest
        except RangeError as error:
            self.fail(str(error), param, ctx)
        if self.maximum is not None and largest > self.maximum:
            self.fail(f"{self.what} {largest} is out of range: at most {self.maximum}", param, ctx)
        result = ValueText(value)
        result.notes = [f"{self.what} {note}" for note in notes]
        return result
