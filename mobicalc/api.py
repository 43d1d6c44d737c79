"""``mobicalc.cost``, ``mobicalc.bench``: one entry for every source of layers (a table, or a Keras model)."""

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobicalc.count import arguments, conventions
from mobicalc.count import sweep as sweeps
from mobicalc.count.budgets import limits as budget_limits
from mobicalc.count.layer import compare_layer
from mobicalc.count.network import NetworkCost
from mobicalc.count.network import cost as table_cost
from mobicalc.count.settings import bytes_per_value
from mobicalc.count.sweep import DesignSpace
from mobicalc.count.timing import MAX_ROUNDS, MAX_THREADS, ROUNDS
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution
from mobicalc.model.rounding import KERAS

if TYPE_CHECKING:  # the TensorFlow bridge's types, named without importing it
    from mobicalc.tf.bench import ModelBench, RatioBench
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
        _refuse_keras_knobs(custom_objects, unsafe, input_shape)
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
    request = _keras_request(
        custom_objects=custom_objects, unsafe=unsafe, input_shape=input_shape, resolution=resolution,
        input_channels=input_channels, include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip
    from mobicalc.tf.keras_model import keras_cost

    return keras_cost(source, **request)


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
    timing = _timing(threads, rounds, progress)
    timing["standard"] = arguments.flag(standard, "standard")
    if not _is_keras(model, keras):
        _refuse_keras_knobs(custom_objects, unsafe, input_shape)
        network = table_cost(
            model, alpha=alpha, resolution=resolution, classes=classes, include_top=include_top,
            rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
            depth_multiplier=depth_multiplier, minimalistic=minimalistic, variant=variant,
        )  # fmt: skip
        from mobicalc.tf.bench import bench_network

        return bench_network(network, **timing)
    _refuse_table_knobs(
        alpha=(alpha, 1), classes=(classes, None), rounding=(rounding, KERAS),
        depth_multiplier=(depth_multiplier, None), minimalistic=(minimalistic, False),
    )  # fmt: skip
    request = _keras_request(
        custom_objects=custom_objects, unsafe=unsafe, input_shape=input_shape, resolution=resolution,
        input_channels=input_channels, include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip
    from mobicalc.tf.keras_bench import bench_keras

    return bench_keras(keras if keras is not None else model, **request, **timing)


def bench_ratio(
    N: int,
    dk: int,
    M: int | None = None,
    dp: int = 1,
    alpha: Fraction | float | str = Fraction(1),
    rho: Fraction | float | str = Fraction(1),
    rounding: str = KERAS,
    *,
    threads: int = 0,
    rounds: int = ROUNDS,
    progress: "Progress | None" = None,
) -> "RatioBench":
    """Time one layer as ``mobicalc bench ratio`` does, with the arguments of ``mobicalc.compare_layer``
    (``mobicalc.tf.bench.bench_layer``), every argument read before TensorFlow loads."""
    timing = _timing(threads, rounds, progress)
    comparison = compare_layer(N=N, dk=dk, M=M, dp=dp, alpha=alpha, rho=rho, rounding=rounding)
    from mobicalc.tf.bench import bench_layer

    return bench_layer(comparison, **timing)


def _timing(threads: Any, rounds: Any, progress: Any) -> dict[str, Any]:
    """bench's own arguments, read as ``--threads`` and ``--rounds`` read them, before TensorFlow loads."""
    if progress is not None and not callable(progress):
        raise NetworkError(f"progress must be a function of one string, or None, not {progress!r}")
    from mobicalc.tf.runtime import silent  # imports no TensorFlow

    return dict(
        threads=arguments.whole(threads, "threads", minimum=0, maximum=MAX_THREADS),
        rounds=arguments.whole(rounds, "rounds", maximum=MAX_ROUNDS),
        progress=progress or silent,
    )


def _keras_request(*, convention: Any, **given: Any) -> dict[str, Any]:
    """A Keras model's arguments (``keras_cost``'s), read before anything is loaded or imported."""
    conventions.for_built_model(convention)
    bytes_per_value(given["dtype"])
    shapes = arguments.input_shapes(given["input_shape"])
    size = arguments.resolution(given["resolution"])
    if shapes is not None and size is not None:
        raise NetworkError("give resolution or input_shape, not both")
    channels = given["input_channels"]
    return dict(
        custom_objects=arguments.modules(given["custom_objects"]),
        unsafe=arguments.flag(given["unsafe"], "unsafe"),
        input_shapes=shapes,
        resolution=size,
        input_channels=None if channels is None else arguments.whole(channels, "input_channels"),
        include_top=arguments.flag(given["include_top"], "include_top"),
        dtype=given["dtype"],
        convention=convention,
    )


def _refuse_keras_knobs(custom_objects: Any, unsafe: Any, input_shape: Any) -> None:
    """A NetworkError for a Keras model's argument given with a table (as the CLI refuses it)."""
    for name, value in (("custom_objects", custom_objects), ("unsafe", unsafe), ("input_shape", input_shape)):
        if value not in ((), [], False, None):
            raise NetworkError(f"{name} is for a Keras model (keras=, a keras.Model or a file), not a table")


def _refuse_table_knobs(hint: str = "", **knobs: tuple[Any, Any]) -> None:
    """A NetworkError for a table's knob (name: (value, its default)) given with a Keras model."""
    for name, (value, default) in knobs.items():
        if value != default:
            raise NetworkError(f"{name} shapes a table's layers; a Keras model's are as it was built{hint}")


def _is_keras(model: Any, keras: str | None) -> bool:
    """Whether a model is a Keras model (a ``keras.Model``, a ``.keras``/``.h5`` file, or ``keras=``)."""
    if keras is not None and not isinstance(keras, str | Path):
        raise NetworkError(f"keras must be a file or 'module:function', not {keras!r}")
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
        _refuse_keras_knobs(custom_objects, unsafe, None)
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
    request = _keras_request(
        custom_objects=custom_objects, unsafe=unsafe, input_shape=None, resolution=None,
        input_channels=input_channels, include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip
    sizes, limits = sweeps.graph_sizes(resolutions), budget_limits(budgets)
    from mobicalc.tf.keras_model import keras_at

    del request["input_shapes"], request["resolution"]
    network_at = keras_at(keras or model, **request)
    return sweeps.graph_design_space(network_at, sizes, budgets=limits, notes=notes)


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
        _refuse_keras_knobs(custom_objects, unsafe, None)
        return sweeps.sweep(model, alphas, resolutions, **table)
    if any(alpha != 1 for alpha in arguments.alphas(alphas)):
        raise NetworkError("alphas: a Keras model has no width multiplier; sweep its resolutions only")
    sizes = arguments.resolutions(resolutions)
    space = design_space(model, None, sizes or None, keras=keras, custom_objects=custom_objects,
                         unsafe=unsafe, **table)  # fmt: skip
    return [sweeps.SweepPoint(c.alpha, c.resolution, c.totals) for c in space.configurations]
