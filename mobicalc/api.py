"""``mobicalc.cost``, ``mobicalc.bench``: one entry for every source of layers (a table, or a Keras model)."""

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobicalc.count import conventions
from mobicalc.count import sweep as sweeps
from mobicalc.count.network import NetworkCost
from mobicalc.count.network import cost as table_cost
from mobicalc.count.settings import exact
from mobicalc.count.sweep import DesignSpace
from mobicalc.count.timing import ROUNDS
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution
from mobicalc.model.rounding import KERAS

if TYPE_CHECKING:  # the TensorFlow bridge's types, named without importing it
    from mobicalc.tf.bench import ModelBench
    from mobicalc.tf.runtime import Progress

KERAS_FILES = (".keras", ".h5", ".hdf5")


def cost(
    model: Any = "v1",
    *,
    alpha: float | str | Fraction = 1,
    resolution: Resolution | None = None,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    convention: str = conventions.DEFAULT,
    dtype: str = "float32",
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
    minimalistic: bool = False,
    variant: str | None = None,
    keras: str | None = None,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_shape: Sequence[tuple[int, ...]] | None = None,
) -> NetworkCost:
    """Cost a model as ``mobicalc table`` does, with the same options under the same names.

    ``model``: a built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ``"v3-small"``), a table file
    or a loaded table (``count.network.cost``); or a Keras model: a ``keras.Model``, or a
    ``.keras``/``.h5`` file (``keras=`` also takes ``module:function``, as ``--keras``). A Keras
    model takes ``resolution`` (its image input's size), ``input_shape`` (each input's shape, any
    rank), ``custom_objects`` (modules), ``unsafe``, ``include_top`` (for ``module:function``),
    ``dtype`` and ``convention``; its widths are as built, so the table's knobs do not apply.
    """
    source = keras if keras is not None else model
    if not _is_keras(model, keras):
        return table_cost(
            model, alpha=alpha, resolution=resolution, classes=classes, include_top=include_top,
            rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
            depth_multiplier=depth_multiplier, minimalistic=minimalistic, variant=variant,
        )  # fmt: skip
    _refuse_table_knobs(
        alpha=(alpha, 1),
        classes=(classes, None),
        rounding=(rounding, KERAS),
        depth_multiplier=(depth_multiplier, None),
        minimalistic=(minimalistic, False),
    )
    conventions.for_built_model(convention)  # before anything is loaded
    from mobicalc.tf.keras_model import keras_cost

    return keras_cost(
        source, custom_objects=custom_objects, unsafe=unsafe, input_shapes=input_shape, resolution=resolution,
        input_channels=input_channels, include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip


def bench(
    model: Any = "v1",
    *,
    alpha: float | str | Fraction = 1,
    resolution: Resolution | None = None,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    convention: str = conventions.DEFAULT,
    dtype: str = "float32",
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
    minimalistic: bool = False,
    variant: str | None = None,
    keras: str | None = None,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_shape: Sequence[tuple[int, ...]] | None = None,
    standard: bool = False,
    threads: int = 0,
    rounds: int = ROUNDS,
    progress: "Progress | None" = None,
) -> "ModelBench":
    """Time a model as ``mobicalc bench MODEL`` (or ``--keras``) does, with the options of ``cost`` (the
    network it costs is the one timed) and bench's own: ``standard`` (a table only), ``threads``,
    ``rounds``, ``progress`` (told each step in a few words)."""
    from mobicalc.tf.bench import bench_network
    from mobicalc.tf.runtime import silent

    timing: dict[str, Any] = dict(
        standard=standard, threads=threads, rounds=rounds, progress=progress or silent,
    )  # fmt: skip
    if not _is_keras(model, keras):
        network = table_cost(
            model, alpha=alpha, resolution=resolution, classes=classes, include_top=include_top,
            rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
            depth_multiplier=depth_multiplier, minimalistic=minimalistic, variant=variant,
        )  # fmt: skip
        return bench_network(network, **timing)
    _refuse_table_knobs(
        alpha=(alpha, 1), classes=(classes, None), rounding=(rounding, KERAS),
        depth_multiplier=(depth_multiplier, None), minimalistic=(minimalistic, False),
    )  # fmt: skip
    from mobicalc.tf.keras_bench import bench_keras

    return bench_keras(
        keras if keras is not None else model, custom_objects=custom_objects, unsafe=unsafe,
        input_shapes=input_shape, resolution=resolution, input_channels=input_channels,
        include_top=include_top, dtype=dtype, convention=convention, **timing,
    )  # fmt: skip


def _refuse_table_knobs(hint: str = "", **knobs: tuple[Any, Any]) -> None:
    """A NetworkError for a table's knob (name: (value, its default)) given with a Keras model."""
    for name, (value, default) in knobs.items():
        if value != default:
            raise NetworkError(f"{name} shapes a table's layers; a Keras model's are as it was built{hint}")


def _is_keras(model: Any, keras: str | None) -> bool:
    """Whether a model is a Keras model (a ``keras.Model``, a ``.keras``/``.h5`` file, or ``keras=``)."""
    return keras is not None or not (
        isinstance(model, Architecture)
        or (isinstance(model, str | Path) and not str(model).lower().endswith(KERAS_FILES))
    )


def design_space(
    model: Any = "v1",
    alphas: Sequence[float | str | Fraction] | str | None = None,
    resolutions: Sequence[Resolution] | str | None = None,
    *,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    convention: str = conventions.DEFAULT,
    dtype: str = "float32",
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
    minimalistic: bool = False,
    variant: str | None = None,
    budgets: Mapping[str, Fraction | int] | None = None,
    notes: Sequence[str] = (),
    keras: str | None = None,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
) -> DesignSpace:
    """``count.sweep.design_space`` for a table; for a Keras model (``model`` a ``keras.Model`` or a
    ``.keras``/``.h5`` file, or ``keras=`` a file or ``module:function``), its sweep over
    ``resolutions`` as ``sweep --keras`` (``count.sweep.graph_design_space``): the model is walked
    again at each size, ``module:function`` built again; ``alphas`` must be None."""
    if not _is_keras(model, keras):
        return sweeps.design_space(
            model, alphas, resolutions, classes=classes, include_top=include_top, rounding=rounding,
            convention=convention, dtype=dtype, input_channels=input_channels,
            depth_multiplier=depth_multiplier, minimalistic=minimalistic, variant=variant, budgets=budgets,
            notes=notes,
        )  # fmt: skip
    _refuse_table_knobs(
        " (sweep its resolutions)",
        alphas=(alphas, None),
        classes=(classes, None),
        rounding=(rounding, KERAS),
        depth_multiplier=(depth_multiplier, None),
        minimalistic=(minimalistic, False),
        variant=(variant, None),
    )
    conventions.for_built_model(convention)
    from mobicalc.tf.keras_model import keras_at

    network_at = keras_at(
        keras or model, custom_objects=custom_objects, unsafe=unsafe, input_channels=input_channels,
        include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip
    return sweeps.graph_design_space(network_at, resolutions, budgets=budgets, notes=notes)


def sweep(
    model: Any,
    alphas: Iterable[float | str | Fraction] = (1,),
    resolutions: Iterable[Resolution] = (),
    *,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    convention: str = conventions.DEFAULT,
    dtype: str = "float32",
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
    minimalistic: bool = False,
    variant: str | None = None,
    budgets: Mapping[str, Fraction | int] | None = None,
    keras: str | None = None,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
) -> list[sweeps.SweepPoint]:
    """``count.sweep.sweep`` for a table; for a Keras model (as ``design_space``), the totals at every
    resolution within budget (``alphas``: only 1; ``resolutions`` empty: its own size)."""
    table: dict[str, Any] = dict(
        classes=classes, include_top=include_top, rounding=rounding, convention=convention, dtype=dtype,
        input_channels=input_channels, depth_multiplier=depth_multiplier, minimalistic=minimalistic,
        variant=variant, budgets=budgets,
    )  # fmt: skip
    if not _is_keras(model, keras):
        return sweeps.sweep(model, alphas, resolutions, **table)
    if any(exact(alpha) != 1 for alpha in alphas):
        raise NetworkError("alphas: a Keras model has no width multiplier; sweep its resolutions only")
    space = design_space(model, None, list(resolutions) or None, keras=keras, custom_objects=custom_objects,
                         unsafe=unsafe, **table)  # fmt: skip
    return [sweeps.SweepPoint(c.alpha, c.resolution, c.totals) for c in space.configurations]
