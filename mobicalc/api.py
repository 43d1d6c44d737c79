"""``mobicalc.cost``: one entry for every source of layers (a table, or a Keras model)."""

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.network import NetworkCost
from mobicalc.count.network import cost as table_cost
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution
from mobicalc.model.rounding import KERAS

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
    is_table = keras is None and (
        isinstance(model, Architecture)
        or (isinstance(model, str | Path) and not str(model).lower().endswith(KERAS_FILES))
    )
    if is_table:
        return table_cost(
            model, alpha=alpha, resolution=resolution, classes=classes, include_top=include_top,
            rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
            depth_multiplier=depth_multiplier, minimalistic=minimalistic, variant=variant,
        )  # fmt: skip
    knobs = {"alpha": (alpha, 1), "classes": (classes, None), "rounding": (rounding, KERAS),
             "depth_multiplier": (depth_multiplier, None), "minimalistic": (minimalistic, False)}  # fmt: skip
    for name, (value, default) in knobs.items():
        if value != default:
            raise NetworkError(f"{name} shapes a table's layers; a Keras model's are as it was built")
    from mobicalc.tf.keras_model import keras_cost

    return keras_cost(
        source, custom_objects=custom_objects, unsafe=unsafe, input_shapes=input_shape, resolution=resolution,
        input_channels=input_channels, include_top=include_top, dtype=dtype, convention=convention,
    )  # fmt: skip
