"""The options the commands share, with the types of ``cli/types.py``: parsed and validated as usage errors
(exit 2)."""

import functools
import textwrap
from collections.abc import Callable
from typing import Any

import click

from mobicalc.cli.exits import MEANINGS
from mobicalc.cli.paths import TablePath
from mobicalc.cli.sources import keras_options
from mobicalc.cli.types import ALPHA, BUDGET, BYTE_SIZE, COUNT, INPUT_SIZE
from mobicalc.count import conventions
from mobicalc.count.settings import DTYPES
from mobicalc.model.architecture import BUILTIN
from mobicalc.model.rounding import DESCRIPTIONS, KERAS, POLICIES
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
            "--max-macs", type=BUDGET, help="MAC budget, e.g. 300M (K, M, G, T are powers of 1000)."
        ),
        click.option(
            "--max-flops",
            type=BUDGET,
            help="FLOP budget, e.g. 600M (FLOPs = 2 x MACs; under --convention tf-profiler, plus the "
            "elementwise ops TensorFlow's profiler counts).",
        ),
        click.option("--max-params", type=BUDGET, help="Parameter budget, e.g. 4.3M."),
        click.option(
            "--max-peak-memory",
            type=BYTE_SIZE,
            help="Budget on the peak activation memory, one layer at a time, batch 1, at --dtype: e.g. 1MB "
            "(KB, MB, GB are powers of 1000; KiB, MiB, GiB of 1024; or plain bytes).",
        ),
        click.option(
            "--max-streamed-memory",
            type=BYTE_SIZE,
            help="Budget on the peak with bottlenecks streamed (MobileNetV2 paper, Section 5.1), e.g. 1MiB.",
        ),
        click.option(
            "--max-model-size",
            type=BYTE_SIZE,
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
