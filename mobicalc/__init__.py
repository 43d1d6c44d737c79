"""mobicalc: exact MACs and parameters of MobileNet-style networks.

The Python API, with every option the CLI has, under the same names
(docs/api.md; its examples run as tests)::

    import mobicalc

    network = mobicalc.cost("v2", alpha=0.75, convention="keras", dtype="int8")
    network.macs, network.params          # exact ints, the same numbers as the CLI
    mobicalc.cost(keras_model)            # any Keras model (or "model.keras"), walked layer by layer
    network.totals.trainable_params
    network.memory.peak_activation_bytes  # bytes at batch 1, 1 byte per value at int8
    [record.layer.name for record in network.records]

    # A grid of widths x resolutions, sharing the work the configurations have in common:
    points = mobicalc.sweep("v1", alphas=["0.5", "1"], resolutions=[128, 224], budgets={"macs": 300_000_000})
    [(point.alpha, point.resolution, point.totals.macs) for point in points]

    # Measured time beside the counts (needs TensorFlow: pip install 'mobicalc[tf]'):
    result = mobicalc.bench("v1", standard=True)   # as ``mobicalc bench v1 --standard``
    result.model.median, result.attribution.share("conv_dw_7"), result.time_ratio
    mobicalc.bench(keras_model)                     # your own Keras model, per layer call

Every error mobicalc raises on purpose is a ``mobicalc.MobicalcError``.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names below are; each is imported when first used (``__getattr__``)
    from mobicalc.api import bench, bench_ratio, cost, design_space, sweep
    from mobicalc.count.budgets import METRICS, BudgetCheck, BudgetVerdict
    from mobicalc.count.costs import Cost
    from mobicalc.count.frontier import frontier
    from mobicalc.count.layer import LayerComparison, compare_layer
    from mobicalc.count.memory import Memory
    from mobicalc.count.network import LayerRecord, NetworkCost
    from mobicalc.count.roofline import LayerRoofline, roofline
    from mobicalc.count.settings import Settings
    from mobicalc.count.sweep import Configuration, DesignSpace, SweepPoint
    from mobicalc.count.timing import Samples
    from mobicalc.errors import MissingDependency, MobicalcError
    from mobicalc.model.layers import Layer, Shape
    from mobicalc.tf.bench import ModelBench, RatioBench

API = {
    "mobicalc.count.budgets": ("METRICS", "BudgetCheck", "BudgetVerdict"),
    "mobicalc.count.costs": ("Cost",),
    "mobicalc.count.frontier": ("frontier",),
    "mobicalc.count.layer": ("LayerComparison", "compare_layer"),
    "mobicalc.count.memory": ("Memory",),
    "mobicalc.api": ("bench", "bench_ratio", "cost", "design_space", "sweep"),
    "mobicalc.count.network": ("LayerRecord", "NetworkCost"),
    "mobicalc.count.roofline": ("LayerRoofline", "roofline"),
    "mobicalc.count.settings": ("Settings",),
    "mobicalc.count.sweep": ("Configuration", "DesignSpace", "SweepPoint"),
    "mobicalc.count.timing": ("Samples",),
    "mobicalc.errors": ("MissingDependency", "MobicalcError"),
    "mobicalc.model.layers": ("Layer", "Shape"),
    "mobicalc.tf.bench": ("ModelBench", "RatioBench"),
}
"""Where each name of the API lives. They are loaded on first use, so that the command line, which
imports this package first, loads only what its command needs."""

__all__ = [
    "METRICS", "BudgetCheck", "BudgetVerdict", "Configuration", "Cost", "DesignSpace", "Layer",
    "LayerComparison", "LayerRecord", "LayerRoofline", "Memory", "MissingDependency", "MobicalcError",
    "ModelBench", "NetworkCost", "RatioBench", "Samples", "Settings", "Shape", "SweepPoint", "bench",
    "bench_ratio", "compare_layer", "cost", "design_space", "frontier", "roofline", "sweep",
]  # fmt: skip

_HOME = {name: module for module, names in API.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'mobicalc' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
