"""``mobicalc sweep``: the design space of alphas x resolutions, with budgets and published top-1."""

from fractions import Fraction

import click

from mobicalc.cli.base import collection_paused, command, emit
from mobicalc.cli.exits import Exit
from mobicalc.cli.network import source_of
from mobicalc.cli.options import (
    DEPTH_MULTIPLIER_OPTION,
    DTYPE_OPTION,
    EPILOG,
    INPUT_CHANNELS_OPTION,
    MINIMALISTIC_OPTION,
    budget_options,
    convention_option,
    format_option,
    rounding_option,
)
from mobicalc.cli.paths import PlotPath, TablePath
from mobicalc.cli.sources import named
from mobicalc.cli.types import COUNT, MAX_MULTIPLIER, Values
from mobicalc.count import conventions
from mobicalc.count.sweep import design_space as _table_space
from mobicalc.model.architecture import BUILTIN
from mobicalc.views.sweep import sweep_report

PLOT_KINDS = ("macs", "accuracy")


@command(epilog=EPILOG, short_help="A grid of alphas x resolutions: MACs, params, top-1, budgets.")
@click.argument("model", required=False, type=click.Choice(BUILTIN))
@click.option(
    "--arch",
    type=TablePath(dir_okay=False, allow_dash=True),
    help="Your own architecture table (TOML, docs/tables.md, at most 1 MiB; - reads it from standard "
    "input) instead of a built-in model.",
)
@click.option(
    "--alpha",
    "alphas",
    type=Values(integer=False, what="alpha", maximum=MAX_MULTIPLIER),
    help="Width multipliers: a list and/or start:stop:step ranges, stop included, e.g. "
    "0.25,0.5,1 or 0.25:1.4:0.05; a value given twice (1,1.0) is swept once, where it first appears.  "
    "[default: v1/v2: the released checkpoints' alphas; else 1]",
)
@click.option(
    "--resolution",
    "resolutions",
    type=Values(integer=True, what="resolution"),
    help="Input sizes, the same way, e.g. 128,160,192,224 or 96:320:16, and HEIGHTxWIDTH items, e.g. "
    "192x256 (at most 100 sizes then); 160x160 is the size 160.  "
    "[default: v1/v2: the released checkpoints' sizes; else the table's]",
)
@click.option(
    "--keras",
    metavar="SOURCE",
    help="A Keras model instead of a table (as table --keras: a .keras or .h5 file, or "
    "package.module:function), swept over --resolution only (it has no alpha). Slower than a table's "
    "sweep: the model is walked again at each size, and module:function is built again (about a second "
    "each), so at most 100 sizes. Needs TensorFlow.",
)
@click.option(
    "--custom-objects",
    metavar="MODULE",
    multiple=True,
    help="With --keras FILE: import MODULE (your own code) for the custom layer classes the file names.",
)
@click.option(
    "--unsafe", is_flag=True, help="With --keras FILE: turn Keras' safe mode off (a file you trust)."
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
    type=PlotPath(),
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
@named
def sweep(
    model: str | None,
    arch: str | None,
    keras: str | None,
    custom_objects: tuple[str, ...],
    unsafe: bool,
    alphas: str | None,
    resolutions: str | None,
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
    With --keras, a Keras model over --resolution only (at most 100 sizes,
    each walked again; a builder built again: slower than a table's sweep).
    """
    with collection_paused():
        notes = [note for given in (alphas, resolutions) for note in getattr(given, "notes", [])]
        if keras is not None:
            given = {"--alpha": alphas, "--classes": classes, "--depth-multiplier": depth_multiplier,
                     "--minimalistic": minimalistic, "--rounding": rounding != "keras"}  # fmt: skip
            if model is not None or arch is not None:
                raise click.UsageError("give a model, --arch FILE or --keras SOURCE: one of them")
            for name, value in given.items():
                if value:
                    raise click.UsageError(
                        f"{name} shapes a table's layers (alpha is not a notion of an arbitrary model): "
                        "sweep --keras sweeps --resolution only"
                    )
            conventions.for_built_model(convention)  # before anything is loaded
            from mobicalc.count.sweep import graph_design_space
            from mobicalc.tf.keras_model import keras_at

            network_at = keras_at(
                keras, custom_objects=custom_objects, unsafe=unsafe, input_channels=input_channels,
                include_top=not no_top, dtype=dtype, convention=convention,
            )  # fmt: skip
            from mobicalc.cli.progress import shown

            with shown() as progress:
                progress(f"loading {keras} and walking it at each size (TensorFlow and Keras import first)")
                space = graph_design_space(network_at, resolutions, budgets=budgets, notes=notes)
        else:
            if custom_objects or unsafe:
                raise click.UsageError(
                    "--custom-objects and --unsafe are for a Keras model: give --keras SOURCE"
                )
            space = _table_space(
                source_of(model, arch), alphas, resolutions, classes=classes, include_top=not no_top,
                rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
                depth_multiplier=depth_multiplier, minimalistic=minimalistic, budgets=budgets, notes=notes,
            )  # fmt: skip
        report = sweep_report(space)
        if plot is not None and space.ok:
            from mobicalc.render.plot import draw

            draw(plot, plot_kind, space)
        elif plot is not None:
            click.echo(f"mobicalc: --plot: no configuration is within budget; {plot} was not drawn", err=True)
        emit(report, output_format, wide)
    if not space.ok:
        raise SystemExit(Exit.FAILED)
