"""``mobicalc bench``: measured time beside the counts (TensorFlow, imported only when it runs)."""

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import click

from mobicalc.cli.base import WritingCommand, emit
from mobicalc.cli.layer import layer_options
from mobicalc.cli.network import keras_request, network_of, require_real_channels
from mobicalc.cli.options import format_option, model_options
from mobicalc.cli.paths import PlotPath
from mobicalc.cli.progress import shown
from mobicalc.cli.types import WholeNumber
from mobicalc.count.layer import compare_layer
from mobicalc.count.timing import MAX_ROUNDS, MAX_THREADS
from mobicalc.views.bench import bench_report
from mobicalc.views.bench_ratio import ratio_bench_report

MODEL = "model"
"""The subcommand that ``mobicalc bench v1`` and ``mobicalc bench --arch FILE`` stand for."""

EXITS = """\b
Needs TensorFlow: pip install 'mobicalc[tf]'. Exit codes:
  0    measured (there is no pass or fail on time)
  2    usage error, or too large to run (over 10**11 MACs a call,
       2**28 params, or 2**28 values in a tensor)
  3    TensorFlow or Keras missing or failing to import, or
       matplotlib for --plot
  130  interrupted (Ctrl-C)"""


class BenchGroup(WritingCommand, click.Group):
    """``bench ratio ...``; ``bench MODEL ...`` and ``bench --arch FILE ...`` are ``bench model ...``."""

    command_class = WritingCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [MODEL, *args]
        return super().parse_args(ctx, args)


def bench_options(command: Callable) -> Callable:
    """How bench measures: threads, rounds, and a plot of what it measured."""
    options: list[Callable[[Callable], Callable]] = [
        click.option(
            "--threads",
            type=WholeNumber(0, MAX_THREADS),
            default=0,
            show_default=True,
            help="Threads each op may use, with one op at a time; 0: TensorFlow's default (one per logical "
            "CPU, ops in parallel). Set before TensorFlow runs anything, and printed.",
        ),
        click.option(
            "--rounds",
            type=WholeNumber(1, MAX_ROUNDS),
            default=15,
            show_default=True,
            help="Interleaved timing rounds; each times every part once, for about 30 ms of calls.",
        ),
        click.option(
            "--plot",
            type=PlotPath(),
            help="Also draw what was measured to FILE (.svg or .png); needs matplotlib: "
            "pip install 'mobicalc[plot]'.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(cls=BenchGroup, short_help="Measured time beside MACs: per layer, or one layer's ratio.")
def bench() -> None:
    """Measured time beside the counts, through TensorFlow on this machine's CPU.

    \b
    Examples:
      mobicalc bench ratio --M 512 --N 512 --dk 3 --dp 14
      mobicalc bench v1                    each layer's time beside its MACs
      mobicalc bench v2 --alpha 0.5 --standard --threads 1
      mobicalc bench --arch my_net.toml --format json
      mobicalc bench --keras model.keras   your own Keras model, per layer call
    MACs are not time: at batch 1 on a CPU a depthwise layer takes a far
    larger share of the time than of the MACs. Times are measured in
    interleaved rounds (minimum, median, and paired ratios) and vary from
    run to run on a shared machine; docs/bench.md says how to read them.
    """


@bench.command(MODEL, short_help="A whole model: each layer's measured time beside its MACs.", epilog=EXITS)
@model_options
@click.option(
    "--standard",
    is_flag=True,
    help="Also time the network with every depthwise + pointwise pair as one standard convolution, in "
    "the same rounds: the whole-network time ratio beside the MAC ratio. Not where a block sits "
    "between a pair's two layers (MobileNetV3's squeeze-and-excite; --minimalistic has none), "
    "nor for a Keras model (--keras).",
)
@bench_options
def bench_model(
    output_format: str,
    wide: bool,
    standard: bool,
    threads: int,
    rounds: int,
    plot: str | None,
    **options: Any,
) -> None:
    """Time a whole model, then each layer: MACs, MAC share, time, time share, GMAC/s, MACs per byte.

    \b
    MODEL is v1, v2, v3-large or v3-small, as for mobicalc table, or give
    --arch FILE or --keras SOURCE; `mobicalc bench v1` is `mobicalc bench
    model v1`.
    The model is the one `mobicalc table` counts, built in Keras (batch 1,
    float32) and compiled with tf.function. Its time per call is measured
    in rounds of about 30 ms; each layer's time comes from TensorFlow's
    profiler over 20 whole-model calls, every op given to the layer that
    made it (its batch-norm and activation with it), so the layers'
    shares add up to the whole. Under the rows: MAC share against time
    share by layer kind, and the whole model's time.

    \b
    With --keras SOURCE (a .keras or .h5 file, or module:function, as for
    table --keras), your own model: its graph runs as Keras runs it, each
    layer call in a name scope of its own, so every row of table --keras
    (outer/inner in a nested model, name (call 2) for a shared layer's
    later calls) gets the time of its own ops. A file's weights are not
    read: the model runs with fresh weights, which take the same time.
    """
    keras = options.pop("keras")
    if keras is None:
        network = network_of(**options)
        require_real_channels(network, options["rounding"])
    else:
        request = keras_request(
            options.pop("model"), options.pop("arch"), options.pop("no_top"), options.pop("custom_objects"),
            options.pop("unsafe"), options.pop("input_shape"), **options,
        )  # fmt: skip
        if standard:
            from mobicalc.tf.keras_bench import NO_STANDARD

            raise click.UsageError(NO_STANDARD)
    if plot is not None:
        from mobicalc.render.plot import require_matplotlib

        require_matplotlib()
    with shown() as progress:
        if keras is None:
            from mobicalc.tf.bench import bench_network

            result = bench_network(
                network, standard=standard, threads=threads, rounds=rounds, progress=progress
            )
        else:
            from mobicalc.tf.keras_bench import bench_keras

            result = bench_keras(keras, **request, threads=threads, rounds=rounds, progress=progress)
    report = bench_report(result)
    if plot is not None:
        from mobicalc.render.plot import draw_model_bench

        draw_model_bench(plot, result)
    emit(report, output_format, wide)


@bench.command("ratio", short_help="One layer: standard vs separable, timed.", epilog=EXITS)
@layer_options
@format_option
@bench_options
def bench_ratio(
    N: int,
    dk: int,
    M: int | None,
    dp: int,
    alpha: Fraction,
    rho: Fraction,
    rounding: str,
    output_format: str,
    wide: bool,
    threads: int,
    rounds: int,
    plot: str | None,
) -> None:
    """Time one layer as standard convolution and as depthwise separable convolution.

    \b
    Takes what mobicalc ratio takes. Builds, in Keras, the standard
    Dk x Dk convolution from M to N channels on a Dp x Dp map, the
    depthwise and the pointwise layer alone, and the pair (stride 1,
    'same' padding, no bias, batch-norm or activation, batch 1, float32),
    and times the four in interleaved rounds. Prints each part's time
    beside its MACs, the separable / standard time ratio (the median of
    each round's ratio) beside the MAC ratio and the closed form
    1/N + 1/Dk², and each part's kernel time from TensorFlow's profiler.
    """
    if plot is not None:
        from mobicalc.render.plot import require_matplotlib

        require_matplotlib()
    comparison = compare_layer(N=N, dk=dk, M=M, dp=dp, alpha=alpha, rho=rho, rounding=rounding)
    if not all(isinstance(value, int) for value in (comparison.M, comparison.N)):
        raise click.UsageError(
            "--rounding exact gives fractional channels, which no real layer has; use keras, int or "
            "divisible-by-8"
        )
    from mobicalc.tf.bench import bench_layer

    with shown() as progress:
        result = bench_layer(comparison, threads=threads, rounds=rounds, progress=progress)
    report = ratio_bench_report(result, {"alpha": alpha, "rho": rho, "rounding": rounding})
    if plot is not None:
        from mobicalc.render.plot import draw_ratio_bench

        draw_ratio_bench(plot, result)
    emit(report, output_format, wide)
