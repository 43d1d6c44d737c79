"""The options and parameter types the commands share: parsed and validated as usage errors (exit 2)."""

import functools
import re
import textwrap
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import click

from mobicalc.cli.exits import MEANINGS
from mobicalc.cli.paths import TablePath
from mobicalc.cli.sources import keras_options
from mobicalc.count import conventions
from mobicalc.count.settings import DTYPES
from mobicalc.model.architecture import BUILTIN
from mobicalc.model.rounding import DESCRIPTIONS, KERAS, POLICIES
from mobicalc.numbers import DECIMAL, NumberError, read_number
from mobicalc.render import FORMATS
from mobicalc.views.common import COUNT_MEANINGS


def _epilog() -> str:
    """The counting conventions and the exit codes, from the one copy of each (views, exits)."""
    labels = {"macs": "MACs", "flops": "FLOPs"}
    texts = {
        **COUNT_MEANINGS,
        "flops": f"{COUNT_MEANINGS['flops']} (--convention tf-profiler: plus the elementwise ops "
        "TensorFlow's profiler counts)",
    }
    meanings = "\n".join(
        textwrap.fill(text, 76, initial_indent=f"  {labels.get(key, key):<7} ", subsequent_indent=" " * 10)
        for key, text in texts.items()
    )
    codes = "\n".join(
        textwrap.fill(meaning, 76, initial_indent=f"  {int(code):>3}  ", subsequent_indent=" " * 7)
        for code, meaning in MEANINGS.items()
    )
    return (
        f"\b\nCounting conventions:\n{meanings}\nAll counts are exact: integers, "
        f"or exact decimals under --rounding exact.\n\n\b\nExit codes:\n{codes}"
    )


EPILOG = _epilog()


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


SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


class Budget(click.ParamType):
    """A count with an optional K/M/G/T suffix (powers of 1000): 300M, 4.3M, 4253864."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        text = str(value).strip()
        suffix = text[-1:].upper() if text[-1:].isalpha() else ""
        number = text[: len(text) - len(suffix)]
        if suffix not in SUFFIXES or not DECIMAL.fullmatch(number):
            self.fail(
                f"{value!r} is not a count: use digits with an optional K, M, G or T (300M, 4.3M)", param, ctx
            )
        budget = Fraction(number) * SUFFIXES[suffix]
        if budget == 0:
            self.fail(f"{value!r} is not a budget: give a positive count", param, ctx)
        return budget


BYTE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip


class ByteSize(click.ParamType):
    """A size in bytes: KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB of 1024; plain bytes too."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        if isinstance(value, Fraction):
            return value
        text = str(value).strip()
        match = re.fullmatch(rf"({DECIMAL.pattern}) ?([a-zA-Z]*)", text[: MAX_NUMBER_CHARACTERS + 1])
        unit = match.group(2).lower() if match else ""
        if match is None or unit not in BYTE_UNITS or len(text) > MAX_NUMBER_CHARACTERS:
            self.fail(
                f"{text[:20]!r} is not a size: use digits with an optional B, KB, MB, GB, TB "
                "(powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024): 4MB, 1.5MiB, 500000",
                param,
                ctx,
            )
        size = Fraction(match.group(1)) * BYTE_UNITS[unit]
        if size == 0:
            self.fail(f"{value!r} is not a budget: give a positive size", param, ctx)
        return size


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
        sides = re.split(r"[xX]", text)
        if len(sides) == 1:  # one number: a square input, refused as any count is
            return COUNT.convert(text, param, ctx)
        if len(sides) > 2 or not all(side.strip() for side in sides):
            self.fail(
                f"{text[:40]!r} is not an input size: give one positive integer (224, square) "
                "or HEIGHTxWIDTH (192x256)",
                param,
                ctx,
            )
        numbers = []
        for what, side in zip(("height", "width"), sides, strict=True):
            side = side.strip()
            if len(side) > MAX_COUNT_DIGITS:
                self.fail(f"the {what} " + _too_long(side, MAX_COUNT_DIGITS, "digits"), param, ctx)
            try:
                numbers.append(int(read_number(side, f"the {what}", whole=True)))
            except NumberError as error:
                self.fail(f"{text[:40]!r}: {error}", param, ctx)
        return numbers[0] if numbers[0] == numbers[1] else (numbers[0], numbers[1])


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


def format_option(command: Callable) -> Callable:
    """--format and --wide: what every command's output takes."""
    command = click.option(
        "--wide",
        is_flag=True,
        help="Show every column of a table, however wide (by default: the most important that fit).",
    )(command)
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table: fitted to the terminal (plain text when piped; ASCII where Unicode cannot show); "
        "json: the stable contract of docs/json.md; csv: one row per layer, every column, raw; "
        "markdown: every column, for docs and PRs.",
    )(command)


def rounding_option(command: Callable) -> Callable:
    choices = "; ".join(f"{name}: {text}" for name, text in DESCRIPTIONS.items())
    return click.option(
        "--rounding",
        type=click.Choice(POLICIES),
        default=KERAS,
        show_default=True,
        help=f"How alpha x channels becomes a channel count. {choices}.",
    )(command)


def convention_option(command: Callable) -> Callable:
    presets = "; ".join(f"{name}: {preset.summary}" for name, preset in conventions.CONVENTIONS.items())
    return click.option(
        "--convention",
        type=click.Choice(tuple(conventions.CONVENTIONS)),
        default=conventions.DEFAULT,
        show_default=True,
        help="How params and FLOPs are counted (switches: docs/counting.md, JSON 'convention'; with "
        f"--keras, any but slim, whose classes_offset and min_depth say how a table is built). {presets}.",
    )(command)


INPUT_CHANNELS_OPTION = click.option(
    "--input-channels",
    type=COUNT,
    help="Channels of the input image, the first layer's input: 1 grayscale, 4 RGBA "
    "(default: the table's, 3).",
)
DEPTH_MULTIPLIER_OPTION = click.option(
    "--depth-multiplier",
    type=COUNT,
    help="Output channels per input channel of every depthwise layer, as "
    "keras.applications.MobileNet's depth_multiplier (v1 and tables of separable or depthwise "
    "rows; default: the table's, 1).",
)
MINIMALISTIC_OPTION = click.option(
    "--minimalistic",
    is_flag=True,
    help="The table's minimalistic variant (v3-large, v3-small: no squeeze-and-excite, "
    "no hard-swish, 3x3 kernels, as minimalistic=True).",
)


DTYPE_OPTION = click.option(
    "--dtype",
    type=click.Choice(tuple(DTYPES)),
    default="float32",
    show_default=True,
    help="Bytes per value of activations and weights, for the memory figures: float32 4, float16 2, int8 1.",
)


BUDGETS = {
    "max_macs": "macs",
    "max_flops": "flops",
    "max_params": "params",
    "max_peak_memory": "peak_activation_bytes",
    "max_streamed_memory": "peak_streamed_bytes",
    "max_model_size": "params_bytes",
}
"""Each budget option's parameter, and the engine metric it limits."""


def budget_options(command: Callable) -> Callable:
    """The budgets check and sweep take; the command receives them as ``budgets``: {metric: limit}."""

    @functools.wraps(command)
    def with_budgets(**options: Any) -> Any:
        limits = {BUDGETS[name]: options.pop(name) for name in BUDGETS}
        return command(
            budgets={metric: limit for metric, limit in limits.items() if limit is not None}, **options
        )

    decorators = [
        click.option(
            "--max-macs", type=Budget(), help="MAC budget, e.g. 300M (K, M, G, T are powers of 1000)."
        ),
        click.option(
            "--max-flops",
            type=Budget(),
            help="FLOP budget, e.g. 600M (FLOPs = 2 x MACs; under --convention tf-profiler, plus the "
            "elementwise ops TensorFlow's profiler counts).",
        ),
        click.option("--max-params", type=Budget(), help="Parameter budget, e.g. 4.3M."),
        click.option(
            "--max-peak-memory",
            type=ByteSize(),
            help="Budget on the peak activation memory, one layer at a time, batch 1, at --dtype: e.g. 1MB "
            "(KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024; or plain bytes).",
        ),
        click.option(
            "--max-streamed-memory",
            type=ByteSize(),
            help="Budget on the peak with bottlenecks streamed (MobileNetV2 paper, Section 5.1), e.g. 1MiB.",
        ),
        click.option(
            "--max-model-size",
            type=ByteSize(),
            help="Budget on the weights at --dtype (params x bytes), e.g. 4MB.",
        ),
    ]
    for decorator in reversed(decorators):
        with_budgets = decorator(with_budgets)
    return with_budgets


def model_options(command: Callable) -> Callable:
    """The knobs every command that takes a whole model shares."""
    options: list[Callable[[Callable], Callable]] = [
        click.argument("model", required=False, type=click.Choice(BUILTIN)),
        click.option(
            "--arch",
            type=TablePath(dir_okay=False, allow_dash=True),
            help="Your own architecture table (TOML, the format of docs/tables.md, at most 1 MiB; "
            "- reads it from standard input) instead of a built-in model.",
        ),
        keras_options,
        click.option(
            "--alpha",
            type=ALPHA,
            default="1",
            show_default=True,
            help="Width multiplier: any positive real (at most 100 characters); "
            "scales every layer's channels.",
        ),
        click.option(
            "--resolution",
            type=INPUT_SIZE,
            help="Input size in pixels: 224 (square) or HEIGHTxWIDTH, e.g. 192x256 (any size the "
            "network's strides leave at least 1 pixel, at most 1,000 digits a side; default: the table's, "
            "224).",
        ),
        INPUT_CHANNELS_OPTION,
        DEPTH_MULTIPLIER_OPTION,
        click.option(
            "--classes",
            type=COUNT,
            help="Classifier outputs (at most 1,000 digits; default: the table's, 1000).",
        ),
        click.option(
            "--no-top", is_flag=True, help="Drop the global pool and classifier, as include_top=False."
        ),
        MINIMALISTIC_OPTION,
        rounding_option,
        DTYPE_OPTION,
        convention_option,
        format_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command
