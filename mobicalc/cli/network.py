"""``mobicalc table`` and ``mobicalc check``: a whole network, and its budgets."""

from fractions import Fraction
from typing import Any

import click

from mobicalc.cli.base import command, emit
from mobicalc.cli.exits import Exit
from mobicalc.cli.options import EPILOG, budget_options, model_options
from mobicalc.cli.types import PositiveNumber
from mobicalc.count import conventions
from mobicalc.count.network import NetworkCost, cost
from mobicalc.model.architecture import BUILTIN, Architecture
from mobicalc.views.table import table_report


def source_of(model: str | None, arch: str | None) -> str:
    """The model argument or the --arch file: one of them."""
    if (model is None) == (arch is None):
        raise click.UsageError(
            f"give a model ({', '.join(BUILTIN[:-1])} or {BUILTIN[-1]}) or --arch FILE, "
            "not both and not neither"
        )
    return model or arch  # type: ignore[return-value]  # one of them is given


TABLE_ONLY = {
    "alpha": 1,
    "rounding": "keras",
    "depth_multiplier": None,
    "classes": None,
    "minimalistic": False,
}
"""The options that shape a table's layers, and their defaults: a Keras model's layers are as built."""


def network_of(
    model: str | None,
    arch: str | None,
    no_top: bool,
    keras: str | None = None,
    custom_objects: tuple[str, ...] = (),
    unsafe: bool = False,
    input_shape: list[tuple[int, ...]] | None = None,
    **options: Any,
) -> NetworkCost:
    """The model options' network: ``mobicalc.cost`` with the same options, or a Keras model's."""
    if keras is None:
        for name, value in (
            ("--custom-objects", custom_objects),
            ("--unsafe", unsafe),
            ("--input-shape", input_shape),
        ):
            if value:
                raise click.UsageError(f"{name} is for a Keras model: give --keras SOURCE")
        return cost(source_of(model, arch), include_top=not no_top, **options)
    from mobicalc.cli.progress import shown
    from mobicalc.tf.keras_model import keras_cost

    request = keras_request(model, arch, no_top, custom_objects, unsafe, input_shape, **options)
    with shown() as progress:  # on a terminal: what takes the seconds before the first line
        progress(f"loading {keras} and walking it (TensorFlow and Keras import first)")
        return keras_cost(keras, **request)


def keras_request(
    model: str | None,
    arch: str | None,
    no_top: bool,
    custom_objects: tuple[str, ...],
    unsafe: bool,
    input_shape: list[tuple[int, ...]] | None,
    **options: Any,
) -> dict[str, Any]:
    """``keras_cost``'s arguments besides the source, from the model options given with --keras."""
    if model is not None or arch is not None:
        raise click.UsageError("give a model, --arch FILE or --keras SOURCE: one of them")
    for name, default in TABLE_ONLY.items():
        if options.get(name, default) != default:
            raise click.UsageError(
                f"--{name.replace('_', '-')} shapes a table's layers; a Keras model's are as it was built"
            )
    conventions.for_built_model(options["convention"])  # before anything is loaded
    return dict(
        custom_objects=custom_objects, unsafe=unsafe, input_shapes=input_shape,
        resolution=options["resolution"], input_channels=options["input_channels"], include_top=not no_top,
        dtype=options["dtype"], convention=options["convention"],
    )  # fmt: skip


def require_real_channels(network: NetworkCost, rounding: str) -> None:
    """A usage error for a network with fractional channels: no real (TensorFlow) model has them."""
    fractional = [
        record.layer.name for record in network.records if not isinstance(record.layer.output.channels, int)
    ]
    if fractional:
        if rounding == "exact":
            raise click.UsageError(
                "--rounding exact gives fractional channels, which no real model has; "
                "use keras, int or divisible-by-8"
            )
        # The table asks for exact rounding itself: for the whole table or for some rows.
        architecture = network.architecture
        assert isinstance(architecture, Architecture)  # a graph's channels are whole: only a table's are not
        exact_rows = [row.number for row in architecture.rows if row.rounding == "exact"]
        cause = (
            "the table's own rounding 'exact'"
            if architecture.rounding == "exact"
            else f"layer {exact_rows[0]}'s rounding 'exact'"
        )
        raise click.UsageError(
            f"{architecture.path}: {cause} gives fractional channels ({fractional[0]} first), "
            "which no real model has; pass --rounding int, divisible-by-8 or int-divisible-by-8"
        )


@command(epilog=EPILOG, short_help="A whole network, layer by layer, beside standard convolution.")
@model_options
@click.option(
    "--roofline",
    is_flag=True,
    help="Show each layer's arithmetic intensity (MACs per byte moved at --dtype), and with --peak-gflops "
    "and --bandwidth-gbs its roofline time: an estimate, not a measurement (mobicalc bench measures).",
)
@click.option(
    "--peak-gflops",
    type=PositiveNumber(),
    help="The roofline's machine: its peak arithmetic in GFLOP/s (2 FLOPs per MAC); implies --roofline.",
)
@click.option(
    "--bandwidth-gbs",
    type=PositiveNumber(),
    help="The roofline's machine: its memory bandwidth in GB/s; implies --roofline.",
)
def table(
    output_format: str,
    wide: bool,
    roofline: bool,
    peak_gflops: Fraction | None,
    bandwidth_gbs: Fraction | None,
    **options: Any,
) -> None:
    """A whole network, layer by layer, beside its standard-convolution counterpart.

    MODEL is v1 (MobileNetV1, Howard et al. 2017, Table 1), v2
    (MobileNetV2, Sandler et al. 2018, Table 2), v3-large or v3-small
    (MobileNetV3, Howard et al. 2019, Tables 1 and 2); or give --arch FILE.
    By default the channels, padding and shapes are exactly those of
    tf.keras.applications.MobileNet / MobileNetV2 / MobileNetV3Large /
    MobileNetV3Small with the same settings.
    The "standard" columns cost each depthwise + pointwise pair as one
    full convolution (the paper's "Conv MobileNet", Table 4).
    --roofline estimates each layer's time without running anything; it
    ranks layers, but at batch 1 on a CPU it under-predicts depthwise
    layers several times over: mobicalc bench measures them.
    """
    if (peak_gflops is None) != (bandwidth_gbs is None):
        raise click.UsageError("a roofline machine needs both --peak-gflops and --bandwidth-gbs")
    machine = None
    if peak_gflops is not None and bandwidth_gbs is not None:
        from mobicalc.count.roofline import Machine

        machine = Machine(peak_gflops, bandwidth_gbs)
    emit(table_report(network_of(**options), roofline, machine), output_format, wide)


@command()
@model_options
@budget_options
@click.option(
    "--allow-uncounted",
    is_flag=True,
    help="Check a Keras model some of whose layers have no formula (by default an incomplete count "
    "fails: exit 1).",
)
def check(
    output_format: str, wide: bool, budgets: dict[str, Fraction], allow_uncounted: bool, **options: Any
) -> None:
    """Assert a model's budget in CI: exit 0 within budget, 1 over it.

    \b
    Example:
      mobicalc check v2 --alpha 0.75 --max-macs 300M --max-params 4.3M
    Budgets are inclusive: a model exactly at its budget passes. Usage
    errors exit 2. Memory budgets are in bytes at --dtype, batch 1.
    A Keras model with layers no formula counts (--keras) fails the check,
    exit 1, unless --allow-uncounted: its totals leave those layers out.
    """
    if not budgets:
        raise click.UsageError(
            "give at least one budget: --max-macs, --max-flops, --max-params, --max-peak-memory, "
            "--max-streamed-memory or --max-model-size"
        )
    network = network_of(**options)
    verdict = network.check(budgets, allow_uncounted=allow_uncounted)
    from mobicalc.views.check import check_report  # table's start-up does not pay for check's view

    emit(check_report(network, verdict), output_format, wide)
    if not verdict.ok:
        raise SystemExit(Exit.FAILED)
