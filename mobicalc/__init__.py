"""mobicalc: exact MACs and parameters of MobileNet-style networks.

The Python API, for tests and notebooks in other projects::

    import mobicalc
    network = mobicalc.cost("v2", alpha=0.75)
    network.macs, network.params          # exact ints, the same numbers as the CLI
    network.totals.trainable_params
    network.memory.peak_activation_bytes  # bytes at batch 1; cost(..., dtype="int8") for 1 byte
    [record.layer.name for record in network.records]

    # A grid of widths x resolutions, sharing the work the configurations have in common:
    for point in mobicalc.sweep("v1", alphas=["0.5", "1"], resolutions=[128, 224]):
        point.alpha, point.resolution, point.totals.macs

    # Which of them no other one dominates (as much alpha and resolution for no more MACs and params):
    on_frontier = mobicalc.frontier(points)   # one bool per point
"""

from fractions import Fraction
from pathlib import Path

from mobicalc.architecture import load
from mobicalc.design import frontier
from mobicalc.engine import LayerComparison, NetworkCost, SweepPoint, compare_layer, network_cost, sweep
from mobicalc.network import Settings
from mobicalc.rounding import KERAS

__all__ = ["LayerComparison", "NetworkCost", "SweepPoint", "compare_layer", "cost", "frontier", "sweep"]


def cost(
    model: str | Path = "v1",
    *,
    alpha: float | str | Fraction = 1,
    resolution: int | tuple[int, int] | None = None,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    dtype: str = "float32",
    variant: str | None = None,
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
) -> NetworkCost:
    """Cost a built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ``"v3-small"``) or a table file,
    as ``mobicalc table`` does; ``variant`` is one of the table's (``"minimalistic"`` for v3).

    ``alpha`` is taken as written: 0.75 means exactly 3/4, as on the command line.
    ``dtype`` (float32, float16, int8) sizes ``.memory``: activations and weights in bytes.
    ``resolution`` is one number (square) or ``(height, width)``; ``input_channels`` the image's
    (1: grayscale); ``depth_multiplier`` each depthwise layer's channels per input channel (v1).
    """
    exact_alpha = alpha if isinstance(alpha, Fraction) else Fraction(str(alpha))
    settings = Settings(
        alpha=exact_alpha,
        resolution=resolution,
        classes=classes,
        include_top=include_top,
        rounding=rounding,
        dtype=dtype,
        input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )
    return network_cost(load(model, variant) if variant is not None else model, settings)
