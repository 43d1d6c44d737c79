"""The command line: parse, call the engine, render. Nothing else happens here."""

import atexit
import contextlib
import functools
import math
import os
import re
import signal
import sys
import textwrap
import threading
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any, NoReturn

import click

from mobicalc import conventions
from mobicalc.architecture import BUILTIN, ArchitectureError, load
from mobicalc.engine import NetworkCost, compare_layer, network_cost
from mobicalc.exits import MEANINGS, Exit
from mobicalc.memory import DTYPES, Memory
from mobicalc.network import NetworkError, Settings
from mobicalc.render import FORMATS, detect, render
from mobicalc.rounding import DESCRIPTIONS, KERAS, POLICIES
from mobicalc.views import CONVENTIONS, Report, check_report, ratio_report, table_report, verify_report


def _epilog() -> str:
    """The counting conventions and the exit codes, from the one copy of each (views, exits)."""
    labels = {"macs": "MACs", "flops": "FLOPs"}
    texts = {
        **CONVENTIONS,
        "flops": f"{CONVENTIONS['flops']} (--convention tf-profiler: plus the elementwise ops "
        "TensorFlow's profiler counts)",
    }
    conventions = "\n".join(
        textwrap.fill(text, 76, initial_indent=f"  {labels.get(key, key):<7} ", subsequent_indent=" " * 10)
        for key, text in texts.items()
    )
    codes = "\n".join(
        textwrap.fill(meaning, 76, initial_indent=f"  {int(code):>3}  ", subsequent_indent=" " * 7)
        for code, meaning in MEANINGS.items()
    )
    return (
        f"\b\nCounting conventions:\n{conventions}\nAll counts are exact: integers, "
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
    """A positive, finite real number, kept exact: '0.6' is 3/5, not 0.59999..."""

    name = "number"

    def __init__(self, maximum: Fraction | None = None) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        if isinstance(value, Fraction):
            return value
        if len(str(value).strip()) > MAX_NUMBER_CHARACTERS:
            self.fail(_too_long(str(value).strip(), MAX_NUMBER_CHARACTERS, "characters"), param, ctx)
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{value!r} must be a positive finite number", param, ctx)
        exact = Fraction(str(value).strip())
        if self.maximum is not None and exact > self.maximum:
            self.fail(f"{value} is out of range: at most {self.maximum}", param, ctx)
        return exact


SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


class Budget(click.ParamType):
    """A count with an optional K/M/G/T suffix (powers of 1000): 300M, 4.3M, 4253864."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Fraction:
        text = str(value).strip().replace("_", "")
        suffix = text[-1:].upper() if text[-1:].isalpha() else ""
        number = text[: len(text) - len(suffix)]
        if suffix not in SUFFIXES or not re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", number):
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
        text = str(value).strip().replace("_", "")
        match = re.fullmatch(
            r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+) ?([a-zA-Z]*)", text[: MAX_NUMBER_CHARACTERS + 1]
        )
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


class Count(click.IntRange):
    """A positive integer of at most MAX_COUNT_DIGITS digits."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = value.strip().lstrip("+-").replace("_", "") if isinstance(value, str) else ""
        if len(text) > MAX_COUNT_DIGITS:
            self.fail(_too_long(value.strip(), MAX_COUNT_DIGITS, "digits"), param, ctx)
        return super().convert(value, param, ctx)


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
            side = side.strip().replace("_", "")
            if len(side) > MAX_COUNT_DIGITS:
                self.fail(f"the {what} " + _too_long(side, MAX_COUNT_DIGITS, "digits"), param, ctx)
            if not side.isascii() or not side.isdigit() or int(side) < 1:
                self.fail(
                    f"{text[:40]!r}: the {what} must be a positive integer, got {side[:20]!r}", param, ctx
                )
            numbers.append(int(side))
        return numbers[0] if numbers[0] == numbers[1] else (numbers[0], numbers[1])


class TablePath(click.Path):
    """A table file's path; a NUL byte in it is a usage error, not os.stat's ValueError."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as error:
            self.fail(f"{value!r}: cannot read: {error}", param, ctx)


MAX_MULTIPLIER = Fraction(100)
"""The largest alpha (and rho) taken: far past any real network, and TensorFlow's limits."""
ALPHA = PositiveNumber(maximum=MAX_MULTIPLIER)
COUNT = Count(min=1)
INPUT_SIZE = InputSize()


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
        help=f"How params and FLOPs are counted (switches: docs/counting.md, JSON 'convention'). {presets}.",
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
            type=TablePath(dir_okay=False),
            help="Your own architecture table (TOML, the format of docs/tables.md, at most 1 MiB) "
            "instead of a built-in model.",
        ),
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


def build_network(
    model: str | None,
    arch: str | None,
    alpha: Fraction,
    resolution: int | tuple[int, int] | None,
    classes: int | None,
    no_top: bool,
    rounding: str,
    dtype: str = "float32",
    convention: str = conventions.DEFAULT,
    minimalistic: bool = False,
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
) -> NetworkCost:
    """The engine's answer for the model options, with errors as usage errors."""
    if (model is None) == (arch is None):
        raise click.UsageError(
            f"give a model ({', '.join(BUILTIN[:-1])} or {BUILTIN[-1]}) or --arch FILE, "
            "not both and not neither"
        )
    source = model if model is not None else arch
    assert source is not None
    try:
        architecture = load(source)
        if minimalistic and "minimalistic" not in architecture.variants:
            raise click.UsageError(f"--minimalistic: {source} has no minimalistic variant")
        if minimalistic:
            architecture = load(source, "minimalistic")
    except ArchitectureError as error:
        raise click.BadParameter(str(error), param_hint="'--arch'") from None
    settings = Settings(
        alpha=alpha,
        resolution=resolution,
        classes=classes,
        include_top=not no_top,
        rounding=rounding,
        dtype=dtype,
        convention=convention,
        input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )
    try:
        return network_cost(architecture, settings)
    except NetworkError as error:
        raise click.UsageError(f"{arch}: {error}" if arch else str(error)) from None


def run() -> None:
    """The ``mobicalc`` command: ``main``, with a stderr that cannot be written to ending quietly.

    (A usage error is told on stderr; if even that fails, the exit code is all that is left.)
    """
    try:
        main(prog_name="mobicalc")
    except OSError:
        _drop_stdout()
        raise SystemExit(Exit.OUTPUT_ERROR) from None


def write(text: str) -> None:
    """Write the whole output to stdout, or end with the exit code for what went wrong.

    A reader that went away (``| head -1``) ends the run quietly; a closed or
    full stdout is said on stderr. A failed write never exits 0.
    """
    stream = sys.stdout
    try:
        if stream is None:  # started with stdout closed (>&-)
            raise OSError("standard output is closed")
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        _drop_stdout()
        raise SystemExit(Exit.BROKEN_PIPE) from None
    except (OSError, ValueError) as error:  # ValueError: a stream closed under us
        _drop_stdout()
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        click.echo(f"mobicalc: cannot write the output: {reason}", err=True)
        raise SystemExit(Exit.OUTPUT_ERROR) from None


def _drop_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so that no flush at exit fails again or complains."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def emit(report: Report, output_format: str, wide: bool) -> None:
    """Render a command's report for stdout and write it; Rich is loaded only for a capable terminal."""
    stream = sys.stdout
    if stream is not None and hasattr(stream, "reconfigure"):
        # A character the terminal's encoding lacks (in a table's name) is escaped, not fatal.
        with contextlib.suppress(ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")
    write(
        render(
            report, output_format, detect(stream, wide) if stream is not None else detect(sys.stderr, wide)
        )
    )


class MissingDependency(click.ClickException):
    """An optional dependency is missing or broken: one line, "Error: ...", no usage text."""

    exit_code = Exit.MISSING_DEPENDENCY


class CannotVerify(click.ClickException):
    """A model TensorFlow cannot build or count: a usage error, in one line."""

    exit_code = Exit.USAGE


def _show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--help, written as every output is: a closed, full or broken stdout gets its exit code."""
    if value and not ctx.resilient_parsing:
        write(ctx.get_help() + "\n")
        ctx.exit()


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from importlib.metadata import version

        write(f"mobicalc, version {version('mobicalc')}\n")
        ctx.exit()


class WritingCommand(click.Command):
    """A command whose --help goes through ``write`` (Click's own echo would leave a traceback)."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.callback = _show_help
        return option


class InterruptibleGroup(WritingCommand, click.Group):
    """Ctrl-C in any command: one line on stderr and exit 130, not Click's "Aborted!" and exit 1.

    Its commands, like itself, write their --help through ``write``.
    """

    command_class = WritingCommand

    def invoke(self, ctx: click.Context) -> Any:
        signalled = []

        def on_sigint(signum: int, frame: Any) -> None:
            signalled.append(signum)
            raise KeyboardInterrupt

        main_thread = threading.current_thread() is threading.main_thread()
        ours = main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        previous = signal.signal(signal.SIGINT, on_sigint) if ours else None
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted(hard=bool(signalled))
        finally:
            if previous is not None and not signalled:
                signal.signal(signal.SIGINT, previous)


def interrupted(hard: bool = False) -> NoReturn:
    """Report an interrupt (on a fresh line after a terminal's ^C) and exit with Exit.INTERRUPTED.

    After a real SIGINT (``hard``), a further Ctrl-C is ignored, so shutting down
    prints no traceback, and an exit hook makes the code stick: an extension
    module (TensorFlow's) that saw the KeyboardInterrupt can leave CPython
    believing it went unhandled, and CPython then ends by killing itself with
    SIGINT instead of exiting 130.
    """
    click.echo("\ninterrupted" if sys.stderr.isatty() else "interrupted", err=True)
    if hard:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        atexit.register(_exit_now, Exit.INTERRUPTED)  # runs first: atexit hooks run last in, first out
    raise SystemExit(Exit.INTERRUPTED)


def _exit_now(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


@click.group(
    cls=InterruptibleGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
)
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
    help="Show the version and exit.",
)  # fmt: skip
def main() -> None:
    """Exact MACs and parameters of MobileNet-style networks, standard vs separable.

    \b
    Examples:
      mobicalc ratio --N 512 --dk 3          separable costs 0.113 of standard
      mobicalc ratio --M 512 --N 512 --dk 3 --dp 14
                                             the MobileNetV1 paper's Table 3
      mobicalc table v1 --alpha 0.5          MobileNetV1 0.5, layer by layer
      mobicalc table v2 --format json        totals for a CI pipeline
      mobicalc table --arch my_net.toml      your own architecture table
      mobicalc check v2 --max-macs 300M      a budget in CI: exit 1 when over
    """
    # Counts are exact Python ints of any size; printing one of over 4,300 digits
    # (Python's default guard for parsing untrusted text) must not crash.
    sys.set_int_max_str_digits(0)


@main.command(short_help="One layer: standard vs depthwise separable convolution.")
@click.option("--N", "--n", "N", type=COUNT, required=True, help="Output channels N (at most 1,000 digits).")
@click.option("--dk", type=COUNT, required=True, help="Kernel size Dk (Dk x Dk).")
@click.option("--M", "--m", "M", type=COUNT, help="Input channels M.  [default: N]")
@click.option(
    "--dp", type=COUNT, default=1, help="Output spatial size Dp (Dp x Dp).  [default: 1, per pixel]"
)
@click.option(
    "--alpha",
    type=ALPHA,
    default="1",
    show_default=True,
    help="Width multiplier on M and N (at most 100 characters).",
)
@click.option(
    "--rho",
    type=PositiveNumber(maximum=MAX_MULTIPLIER),
    default="1",
    show_default=True,
    help="Resolution multiplier on Dp, rounded to the nearest integer (paper Table 3: 14 x 0.714 -> 10); "
    "at most 100 characters.",
)
@rounding_option
@format_option
def ratio(
    N: int,
    dk: int,
    M: int | None,
    dp: int,
    alpha: Fraction,
    rho: Fraction,
    rounding: str,
    output_format: str,
    wide: bool,
) -> None:
    """Standard convolution vs depthwise separable convolution for one layer.

    \b
    A standard Dk x Dk convolution from M to N channels on a Dp x Dp output
    costs Dk·Dk·M·N·Dp·Dp MACs. The depthwise separable version, a Dk x Dk
    depthwise convolution (Dk·Dk·M·Dp·Dp) then a 1x1 pointwise convolution
    (M·N·Dp·Dp), costs 1/N + 1/Dk² as much. Params are kernel weights only,
    as in the MobileNet paper's Table 3; under --rounding keras, alpha x M
    and alpha x N are rounded down as MobileNetV1 does.
    """
    try:
        comparison = compare_layer(N=N, dk=dk, M=M, dp=dp, alpha=alpha, rho=rho, rounding=rounding)
    except NetworkError as error:
        raise click.UsageError(str(error)) from None
    inputs = {"alpha": alpha, "rho": rho, "rounding": rounding}
    given = {"M": N if M is None else M, "N": N, "dp": dp}
    emit(ratio_report(comparison, inputs, given), output_format, wide)


@main.command(epilog=EPILOG, short_help="A whole network, layer by layer, beside standard convolution.")
@model_options
def table(output_format: str, wide: bool, **options: Any) -> None:
    """A whole network, layer by layer, beside its standard-convolution counterpart.

    MODEL is v1 (MobileNetV1, Howard et al. 2017, Table 1), v2
    (MobileNetV2, Sandler et al. 2018, Table 2), v3-large or v3-small
    (MobileNetV3, Howard et al. 2019, Tables 1 and 2); or give --arch FILE.
    By default the channels, padding and shapes are exactly those of
    tf.keras.applications.MobileNet / MobileNetV2 / MobileNetV3Large /
    MobileNetV3Small with the same settings.
    The "standard" columns cost each depthwise + pointwise pair as one
    full convolution (the paper's "Conv MobileNet", Table 4).
    """
    emit(table_report(build_network(**options)), output_format, wide)


@main.command()
@model_options
@budget_options
def check(output_format: str, wide: bool, budgets: dict[str, Fraction], **options: Any) -> None:
    """Assert a model's budget in CI: exit 0 within budget, 1 over it.

    \b
    Example:
      mobicalc check v2 --alpha 0.75 --max-macs 300M --max-params 4.3M
    Budgets are inclusive: a model exactly at its budget passes. Usage
    errors exit 2. Memory budgets are in bytes at --dtype, batch 1.
    """
    if not budgets:
        raise click.UsageError(
            "give at least one budget: --max-macs, --max-flops, --max-params, --max-peak-memory, "
            "--max-streamed-memory or --max-model-size"
        )
    network = build_network(**options)
    verdict = network.check(budgets)
    emit(check_report(network, verdict), output_format, wide)
    if not verdict.ok:
        raise SystemExit(Exit.FAILED)


VERIFIABLE = ("keras", "tf-profiler")
"""The conventions whose counts a real Keras model has (tf-profiler: FLOPs as TensorFlow's profiler)."""


@main.command(short_help="Prove every count against TensorFlow: exit 0 if all agree.")
@model_options
def verify(output_format: str, wide: bool, **options: Any) -> None:
    """Prove every count against the real TensorFlow models: exit 0 if all agree, 1 if not.

    \b
    Builds a tf.keras model from the same architecture table the engine reads
    (built-in or --arch), and for a built-in model also tf.keras.applications'
    (MobileNet, MobileNetV2, MobileNetV3Large/Small) with the same settings,
    then compares layer by layer:
      params  each layer's count_params() (with its batch-norm), and
              model.count_params(), trainable and non-trainable;
      MACs    TensorFlow's own per-op statistic for Conv2D,
              DepthwiseConv2dNative and MatMul in the traced graph (2 x MACs);
      shapes  every layer's output shape (padding at odd sizes shows here).
    Also prints the tf.compat.v1.profiler float_operation() total and how it
    relates to MACs. A check that cannot run (keras.applications below 32
    pixels, or for a user table) is shown as skipped, with why.

    \b
    Needs TensorFlow: pip install 'mobicalc[tf]'. Exit codes:
      0    every check that ran agrees
      1    some count differs
      2    usage error, or a model too large for TensorFlow to build
           (over 2**28 params) or count (flops statistics over 2**62)
      3    TensorFlow or Keras missing, or failing to import
      130  interrupted (Ctrl-C)
    """
    if options["convention"] not in VERIFIABLE:
        raise click.UsageError(
            f"verify proves the counts of real Keras models: use --convention {' or '.join(VERIFIABLE)}, "
            f"not {options['convention']}"
        )
    network = build_network(**options)
    fractional = [
        record.layer.name for record in network.records if not isinstance(record.layer.output.channels, int)
    ]
    if fractional:
        if options["rounding"] == "exact":
            raise click.UsageError(
                "--rounding exact gives fractional channels, which no real model has; "
                "use keras, int or divisible-by-8"
            )
        # The table asks for exact rounding itself: for the whole table or for some rows.
        architecture = network.architecture
        exact_rows = [row.index for row in architecture.rows if row.rounding == "exact"]
        cause = (
            "the table's own rounding 'exact'"
            if architecture.rounding == "exact"
            else f"layer {exact_rows[0]}'s rounding 'exact'"
        )
        raise click.UsageError(
            f"{architecture.path}: {cause} gives fractional channels ({fractional[0]} first), "
            "which no real model has; pass --rounding int, divisible-by-8 or int-divisible-by-8"
        )
    from mobicalc.crosscheck import TensorFlowCannotBuild, TensorFlowMissing, verify_network

    try:
        verification = verify_network(network)
    except TensorFlowMissing as error:
        raise MissingDependency(str(error)) from None
    except TensorFlowCannotBuild as error:
        raise CannotVerify(str(error)) from None
    emit(verify_report(verification), output_format, wide)
    if not verification.ok:
        raise SystemExit(Exit.FAILED)


class ValueList(list):
    """The values of --alpha or --resolution, with a line for each range that stops short of its stop."""

    notes: list[str]


class Values(click.ParamType):
    """A comma-separated list of numbers and start:stop:step ranges (stop included), kept exact."""

    name = "values"

    def __init__(self, integer: bool, what: str, maximum: Fraction | None = None) -> None:
        self.integer, self.what, self.maximum = integer, what, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, list):
            return value
        from mobicalc.design import RangeError, short_ranges, sizes, values

        try:
            notes = short_ranges(str(value), integer=self.integer)
            if self.integer:
                result = ValueList(sizes(str(value)))
            else:
                found = values(str(value), what=self.what)
                if self.maximum is not None and (largest := max(found)) > self.maximum:
                    self.fail(f"{self.what} {largest} is out of range: at most {self.maximum}", param, ctx)
                result = ValueList(found)
        except RangeError as error:
            self.fail(str(error), param, ctx)
        result.notes = [f"{self.what} {note}" for note in notes]
        return result


PLOT_KINDS = ("macs", "accuracy")


@main.command(epilog=EPILOG, short_help="A grid of alphas x resolutions: MACs, params, top-1, budgets.")
@click.argument("model", required=False, type=click.Choice(BUILTIN))
@click.option(
    "--arch",
    type=TablePath(dir_okay=False),
    help="Your own architecture table (TOML, docs/tables.md, at most 1 MiB) instead of v1/v2.",
)
@click.option(
    "--alpha",
    "alphas",
    type=Values(integer=False, what="alpha", maximum=MAX_MULTIPLIER),
    help="Width multipliers: a list and/or start:stop:step ranges, stop included, e.g. "
    "0.25,0.5,1 or 0.25:1.4:0.05.  [default: v1/v2: the released checkpoints' alphas; else 1]",
)
@click.option(
    "--resolution",
    "resolutions",
    type=Values(integer=True, what="resolution"),
    help="Input sizes, the same way, e.g. 128,160,192,224 or 96:320:16, and HEIGHTxWIDTH items, e.g. "
    "192x256 (at most 100 sizes then).  [default: v1/v2: the released checkpoints' sizes; else the table's]",
)
@INPUT_CHANNELS_OPTION
@DEPTH_MULTIPLIER_OPTION
@click.option("--classes", type=COUNT, help="Classifier outputs (default: the table's, 1000).")
@click.option("--no-top", is_flag=True, help="Drop the global pool and classifier, as include_top=False.")
@MINIMALISTIC_OPTION
@rounding_option
@DTYPE_OPTION
@convention_option
@budget_options
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True),
    help="Also draw the sweep to FILE (.svg or .png); needs matplotlib: pip install 'mobicalc[plot]'.",
)
@click.option(
    "--plot-kind",
    type=click.Choice(PLOT_KINDS),
    default="macs",
    show_default=True,
    help="macs: MACs against resolution, a line per alpha; accuracy: published top-1 against MACs, "
    "the frontier marked.",
)
@format_option
def sweep(
    model: str | None,
    arch: str | None,
    alphas: list[Fraction] | None,
    resolutions: list[int | tuple[int, int]] | None,
    input_channels: int | None,
    depth_multiplier: int | None,
    classes: int | None,
    no_top: bool,
    minimalistic: bool,
    rounding: str,
    dtype: str,
    convention: str,
    budgets: dict[str, Fraction],
    plot: str | None,
    plot_kind: str,
    output_format: str,
    wide: bool,
) -> None:
    """Cost every alpha x resolution of a network: exit 0 if any is within budget, 1 if none.

    \b
    Examples:
      mobicalc sweep v1 --alpha 0.25,0.5,0.75,1 --resolution 128:224:32
      mobicalc sweep v2 --max-macs 300M       most accurate release within 300M
      mobicalc sweep v2 --alpha 0.35:1.4:0.05 --resolution 96:320:16 --format csv
    A range start:stop:step is read exactly, without float drift, and
    includes its stop when the step lands on it, as seq does (0.25:1.4:0.05
    is 24 values; 96:293:2 ends at 292, and the output says so). A sweep has
    at most 1,000,000 configurations. Budgets (inclusive) keep
    the configurations within them and mark the frontier: those no other
    kept one dominates (at least as much alpha and resolution for no more
    MACs and params). For v1 and v2 the released TF-slim checkpoints'
    published ImageNet top-1 stands beside their configurations.
    """
    from mobicalc.design import MAX_CONFIGURATIONS, MAX_MEMORY_CONFIGURATIONS, design_space, released
    from mobicalc.engine import MEMORY_METRICS
    from mobicalc.engine import sweep as sweep_grid
    from mobicalc.views import SweepSummary, describe, sweep_report

    if plot is not None and not plot.lower().endswith((".svg", ".png")):
        raise click.BadParameter(f"{plot!r}: give a .svg or .png file", param_hint="'--plot'")
    if (model is None) == (arch is None):
        raise click.UsageError("give a model (v1 or v2) or --arch FILE, not both and not neither")
    source = model if model is not None else arch
    assert source is not None
    try:
        architecture = load(source)
    except ArchitectureError as error:
        raise click.BadParameter(str(error), param_hint="'--arch'") from None
    published, no_accuracy = released(architecture.path, classes, not no_top, rounding)
    if alphas is None:
        alphas = sorted({alpha for alpha, _ in published.top1}) if published else [Fraction(1)]
    if resolutions is None:
        default: int | tuple[int, int] = architecture.resolution
        resolutions = [*sorted({size for _, size in published.top1})] if published else [default]
    if len(alphas) * len(resolutions) > MAX_CONFIGURATIONS:
        raise click.UsageError(
            f"{len(alphas):,} alphas x {len(resolutions):,} resolutions is "
            f"{len(alphas) * len(resolutions):,} configurations: a sweep has at most {MAX_CONFIGURATIONS:,}"
        )
    first = build_network(
        model, arch, alphas[0], resolutions[0], classes, no_top, rounding, dtype=dtype, convention=convention,
        minimalistic=minimalistic, input_channels=input_channels, depth_multiplier=depth_multiplier,
    )  # fmt: skip
    memory_of = None
    if set(budgets) & set(MEMORY_METRICS):
        if len(alphas) * len(resolutions) > MAX_MEMORY_CONFIGURATIONS:
            raise click.UsageError(
                f"a memory budget costs each configuration's every layer: a sweep with one has at most "
                f"{MAX_MEMORY_CONFIGURATIONS:,} configurations, not {len(alphas) * len(resolutions):,}"
            )

        def memory_of(alpha: Fraction, resolution: int | tuple[int, int]) -> Memory:
            return network_cost(
                first.architecture, replace(first.settings, alpha=alpha, resolution=resolution)
            ).memory

    try:
        points = sweep_grid(
            first.architecture,  # the variant, if --minimalistic
            alphas,
            resolutions,
            classes=classes,
            include_top=not no_top,
            rounding=rounding,
            convention=convention,
            input_channels=input_channels,
            depth_multiplier=depth_multiplier,
        )
    except NetworkError as error:
        raise click.UsageError(f"{arch}: {error}" if arch else str(error)) from None
    configurations = design_space(points, budgets, published, memory_of)
    description = describe(first)
    summary = SweepSummary(
        model={
            key: description[key] for key in ("name", "table", "source", "classes", "include_top", "rounding")
        },
        alphas=alphas,
        resolutions=resolutions,
        budgets=budgets,
        configurations=configurations,
        swept=len(points),
        published=published,
        no_accuracy=no_accuracy,
        notes=[note for given in (alphas, resolutions) for note in getattr(given, "notes", [])],
        convention=first.plan.convention,
    )
    report = sweep_report(summary)
    if plot is not None:
        from mobicalc.plot import PlotError, PlotMissing, draw

        try:
            draw(plot, plot_kind, summary)
        except PlotMissing as error:
            raise MissingDependency(str(error)) from None
        except PlotError as error:
            raise click.UsageError(str(error)) from None
    emit(report, output_format, wide)
    if not configurations:
        raise SystemExit(Exit.FAILED)


@main.command(short_help="Every published MobileNet figure beside mobicalc's value.")
@click.option("--source", help="Only the figures of one source (sources are listed in --format json).")
@format_option
def reproduce(source: str | None, output_format: str, wide: bool) -> None:
    """Every published MobileNet MAC, parameter and memory figure beside mobicalc's value.

    \b
    The figures (papers' tables, TF-slim READMEs and docstrings, Keras docs)
    are data in the package, each with its citation, the configuration and
    counting convention that reproduce it, and the source's rounding. Verdicts:
      exact             the printed value is the exact count
      within rounding   the count, rounded as the source rounds, is printed
      explained         a misprint, an omission or a different quantity
                        (the arithmetic is given)
      not reproducible  nothing known explains it (what was tried is given)
      out of scope      listed, not evaluated
    Exit 0 when every verdict is as the data expects; 1 when a figure expected
    to reproduce does not (or one expected not to does); 2 on a usage error.
    """
    from mobicalc import figures
    from mobicalc.views import reproduce_report

    documents = figures.sources()
    if source is not None and source not in documents:
        raise click.BadParameter(
            f"{source!r} is not a source; expected one of: {', '.join(documents)}", param_hint="'--source'"
        )
    results = figures.reproduce(source)
    emit(reproduce_report(results, documents), output_format, wide)
    if not all(result.ok for result in results):
        raise SystemExit(Exit.FAILED)
