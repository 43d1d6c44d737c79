"""The command line: parse, call the engine, render. Nothing else happens here."""

import atexit
import contextlib
import math
import os
import re
import signal
import sys
import textwrap
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NoReturn

import click

from mobicalc.architecture import BUILTIN, ArchitectureError, load
from mobicalc.engine import NetworkCost, compare_layer, network_cost
from mobicalc.exits import MEANINGS, Exit
from mobicalc.network import NetworkError, Settings
from mobicalc.render import FORMATS, detect, render
from mobicalc.rounding import DESCRIPTIONS, KERAS, POLICIES
from mobicalc.views import CONVENTIONS, Report, check_report, ratio_report, table_report, verify_report


def _epilog() -> str:
    """The counting conventions and the exit codes, from the one copy of each (views, exits)."""
    labels = {"macs": "MACs", "flops": "FLOPs"}
    conventions = "\n".join(
        textwrap.fill(text, 76, initial_indent=f"  {labels.get(key, key):<7} ", subsequent_indent=" " * 10)
        for key, text in CONVENTIONS.items()
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


class Count(click.IntRange):
    """A positive integer of at most MAX_COUNT_DIGITS digits."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = value.strip().lstrip("+-").replace("_", "") if isinstance(value, str) else ""
        if len(text) > MAX_COUNT_DIGITS:
            self.fail(_too_long(value.strip(), MAX_COUNT_DIGITS, "digits"), param, ctx)
        return super().convert(value, param, ctx)


class TablePath(click.Path):
    """A table file's path; a NUL byte in it is a usage error, not os.stat's ValueError."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as error:
            self.fail(f"{value!r}: cannot read: {error}", param, ctx)


ALPHA = PositiveNumber(maximum=Fraction(100))
COUNT = Count(min=1)


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
            type=COUNT,
            help="Input size in pixels (any size the network's strides leave at least 1 pixel, "
            "at most 1,000 digits; default: the table's, 224).",
        ),
        click.option(
            "--classes",
            type=COUNT,
            help="Classifier outputs (at most 1,000 digits; default: the table's, 1000).",
        ),
        click.option(
            "--no-top", is_flag=True, help="Drop the global pool and classifier, as include_top=False."
        ),
        click.option(
            "--minimalistic",
            is_flag=True,
            help="The table's minimalistic variant (v3-large, v3-small: no squeeze-and-excite, "
            "no hard-swish, 3x3 kernels, as minimalistic=True).",
        ),
        rounding_option,
        format_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def build_network(
    model: str | None,
    arch: str | None,
    alpha: Fraction,
    resolution: int | None,
    classes: int | None,
    no_top: bool,
    rounding: str,
    minimalistic: bool = False,
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
        alpha=alpha, resolution=resolution, classes=classes, include_top=not no_top, rounding=rounding
    )
    try:
        return network_cost(architecture, settings)
    except NetworkError as error:
        raise click.UsageError(f"{arch}: {error}" if arch else str(error)) from None


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


class InterruptibleGroup(click.Group):
    """Ctrl-C in any command: one line on stderr and exit 130, not Click's "Aborted!" and exit 1."""

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
@click.version_option(package_name="mobicalc")
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
    type=PositiveNumber(maximum=Fraction(100)),
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
@click.option("--max-macs", type=Budget(), help="MAC budget, e.g. 300M (K, M, G, T are powers of 1000).")
@click.option("--max-flops", type=Budget(), help="FLOP budget (FLOPs = 2 x MACs), e.g. 600M.")
@click.option("--max-params", type=Budget(), help="Parameter budget, e.g. 4.3M.")
def check(
    output_format: str,
    wide: bool,
    max_macs: Fraction | None,
    max_flops: Fraction | None,
    max_params: Fraction | None,
    **options: Any,
) -> None:
    """Assert a model's budget in CI: exit 0 within budget, 1 over it.

    \b
    Example:
      mobicalc check v2 --alpha 0.75 --max-macs 300M --max-params 4.3M
    Budgets are inclusive: a model exactly at its budget passes. Usage
    errors exit 2.
    """
    given = {"macs": max_macs, "flops": max_flops, "params": max_params}
    budgets = {metric: limit for metric, limit in given.items() if limit is not None}
    if not budgets:
        raise click.UsageError("give at least one budget: --max-macs, --max-flops or --max-params")
    network = build_network(**options)
    verdict = network.check(budgets)
    emit(check_report(network, verdict), output_format, wide)
    if not verdict.ok:
        raise SystemExit(Exit.FAILED)


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
