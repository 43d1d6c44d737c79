"""A whole network under one set of settings: its layer records, and everything derived from them.

Pure arithmetic over plain records: no I/O, no Click, no Rich, no TensorFlow.
A network's totals, standard-convolution counterpart, breakdown and memory are
sums over its records; verdicts (within budget) are decided here. The records
are the one source of layers downstream: views, memory and verify read them
and never ask how they were made.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mobicalc.count import arguments, conventions
from mobicalc.count.budgets import MEMORY_METRICS, BudgetVerdict, check_budgets, limits
from mobicalc.count.costs import Cost
from mobicalc.count.memory import Memory, memory
from mobicalc.count.plan import Plan, add_up, at_size, plan
from mobicalc.count.settings import Settings, exact
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import BUILTIN, Architecture, ArchitectureError
from mobicalc.model.kinds import ALL_KINDS, Spatial, kind_of
from mobicalc.model.layers import Layer, Resolution, Shape, Size, input_size, normal_resolution
from mobicalc.model.placing import place, skeleton, spatial_sizes
from mobicalc.model.rounding import KERAS, Count
from mobicalc.model.tables import load, parse, read

if TYPE_CHECKING:  # a Keras model's description: the type only (a table's run never loads it)
    from mobicalc.model.graph import GraphModel


class LayerRecord(NamedTuple):
    """One layer, what it costs, and what it would cost as a standard convolution.

    In a depthwise separable pair the depthwise record carries the whole pair's
    standard counterpart (one full Dk x Dk convolution from its input channels
    to the pointwise layer's output channels) and the pointwise record carries
    nothing, so the standard column adds up to the paper's "Conv MobileNet".
    """

    layer: Layer
    cost: Cost
    standard: Cost
    separable: Cost | None = None
    """What it would cost with every standard convolution made depthwise separable (count/graph.py);
    None where the source does not say (a table's layers)."""
    counted: bool | None = None
    """False for a layer no formula counts (its cost is then zero, and said to be not counted); None
    where the source has no layer without a formula (a table)."""
    note: str | None = None
    """Why it is not counted."""
    left_out: tuple[str, ...] = ()
    """The counts of it the totals leave out, when it is not counted: all (``macs``, ``params``,
    ``flops``) for a layer no formula counts; ``flops`` alone for one whose elementwise FLOPs the
    convention cannot count (its MACs and params are in the totals, its FLOPs there as 2 x MACs)."""


@dataclass(frozen=True)
class NetworkCost:
    """A whole network under one set of settings: its per-layer records and their sums."""

    architecture: "Architecture | GraphModel"
    """Where the layers come from: a table, or a graph (a Keras model)."""
    settings: Settings
    records: tuple[LayerRecord, ...]
    """Every layer that is there, in the order they run, each naming the layers it reads."""

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(record.layer for record in self.records)

    @cached_property
    def totals(self) -> Cost:
        return add_up(record.cost for record in self.records)

    @cached_property
    def standard(self) -> Cost:
        """The same network with every separable pair made one standard convolution."""
        return add_up(record.standard for record in self.records)

    @cached_property
    def separable(self) -> Cost | None:
        """The network with every standard convolution of more than one tap made depthwise separable;
        None when its source does not say (a table)."""
        if all(record.separable is None for record in self.records):
            return None
        return add_up(
            record.cost if record.separable is None else record.separable for record in self.records
        )

    @cached_property
    def uncounted(self) -> tuple[str, ...] | None:
        """The layers no formula counts; None when the source has none that could be (a table)."""
        if all(record.counted is None for record in self.records):
            return None
        return tuple(record.layer.name for record in self.records if record.counted is False)

    @property
    def unseen_params(self) -> Count:
        """Parameters in weights no layer call uses (a subclassed model's raw ops in ``call()``): no record
        counts them (``GraphModel.unseen_params``); 0 for a table."""
        return getattr(self.architecture, "unseen_params", 0)

    @cached_property
    def not_counted(self) -> tuple[str, ...]:
        """What the totals leave out, so that they prove no budget: the layers no formula counts, then
        the parameters in weights of no layer call, when there are any."""
        unseen = (f"{self.unseen_params:,} params in weights of no layer call",) if self.unseen_params else ()
        return (*(self.uncounted or ()), *unseen)

    @property
    def convention(self) -> conventions.Convention:
        """How parameters and FLOPs are counted."""
        return self.settings.convention

    @property
    def macs(self) -> Count:
        return self.totals.macs

    @property
    def params(self) -> Count:
        return self.totals.params

    @property
    def resolution(self) -> Resolution:
        """The input size: one number for a square input, else (height, width)."""
        return normal_resolution(self.settings.resolution or self.architecture.resolution)

    @property
    def height(self) -> int:
        return input_size(self.resolution).height

    @property
    def width(self) -> int:
        return input_size(self.resolution).width

    @property
    def input_channels(self) -> int:
        return self.settings.input_channels or self.architecture.input_channels

    @property
    def depth_multiplier(self) -> int:
        """Each depthwise layer's output channels per input channel."""
        return self.settings.depth_multiplier or self.architecture.depth_multiplier

    @property
    def classes(self) -> Count | None:
        """The classifier's outputs, or None for a network without one."""
        last = self.records[-1].layer
        return last.output.channels if kind_of(last.kind).spatial is Spatial.VECTOR else None

    @cached_property
    def memory(self) -> Memory:
        """Activation sizes, peak working memory and model size at the settings' dtype (memory.py)."""
        return memory(self.layers, self.params, self.settings.dtype)

    def breakdown(self) -> dict[str, Cost]:
        """Totals by layer kind, for the kinds that occur, in registry order."""
        by_kind: dict[str, list[Cost]] = {}
        for record in self.records:
            by_kind.setdefault(record.layer.kind, []).append(record.cost)
        return {kind: add_up(by_kind[kind]) for kind in ALL_KINDS if kind in by_kind}

    def check(self, budgets: Mapping[str, Any], allow_uncounted: bool = False) -> BudgetVerdict:
        """The verdict on ``budgets`` (any of ``METRICS``; inclusive; limits as ``budgets.limits`` reads
        them: ``{"macs": "300M"}``); not ok when some layers or weights are not counted (``not_counted``),
        unless ``allow_uncounted``."""
        budgets = limits(budgets)
        arguments.flag(allow_uncounted, "allow_uncounted")
        needs_memory = any(metric in MEMORY_METRICS for metric in budgets)
        verdict = check_budgets(self.totals, budgets, self.memory if needs_memory else None)
        return verdict if allow_uncounted else verdict._replace(uncounted=self.not_counted)


def layer_records(network_plan: Plan, sizes: tuple[Size, ...], image: Shape) -> tuple[LayerRecord, ...]:
    """The records of a planned table at one resolution (``sizes``: each blueprint's output size)."""
    layers = iter(place(network_plan.blueprints, image, network_plan.channels, network_plan.present, sizes))
    records = []
    profiler = network_plan.convention.counts_elementwise
    fewer = network_plan.convention.fewer_flops_per_mac  # 1 where FLOPs are MACs (fvcore, torchvision)
    for unit, standard, size, present in zip(
        network_plan.units, network_plan.standard_units, sizes, network_plan.present, strict=True
    ):
        if present:
            layer, cost = next(layers), at_size(unit, size)
            if profiler:  # the elementwise ops the TensorFlow profiler counts beside 2 x MACs
                cost = cost._replace(elementwise=conventions.elementwise_flops(layer))
            counterpart = cost if standard is unit else at_size(standard, size)
            if fewer:
                cost = cost._replace(elementwise=cost.elementwise - fewer * cost.macs)
                counterpart = counterpart._replace(
                    elementwise=counterpart.elementwise - fewer * counterpart.macs
                )
            records.append(LayerRecord(layer, cost, counterpart))
    return tuple(records)


class VariantError(ArchitectureError):
    """A variant a table does not have."""


MINIMALISTIC = "minimalistic"
"""The variant ``minimalistic=True`` (``--minimalistic``) chooses: MobileNetV3's, as keras.applications'."""


def architecture_of(
    model: Architecture | str | Path, *, minimalistic: bool = False, variant: str | None = None
) -> Architecture:
    """A built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ...), a table file, or a loaded table,
    with a variant: ``minimalistic``, or another the table names."""
    if arguments.flag(minimalistic, "minimalistic"):
        if variant not in (None, MINIMALISTIC):
            raise NetworkError(f"minimalistic and variant {variant!r}: give one variant")
        variant = MINIMALISTIC
    arguments.text(variant, "variant")
    if isinstance(model, Architecture):
        if variant is not None and variant != model.variant:
            raise NetworkError(f"variant {variant!r}: load the table with it (tables.load)")
        return model
    if str(model) in BUILTIN:
        architecture = load(model)
        if minimalistic and MINIMALISTIC not in architecture.variants:
            raise VariantError(f"{model} has no minimalistic variant")
        return architecture if variant is None else load(model, variant)
    text, where = read(model)  # once: standard input (``--arch -``) can be read only once
    architecture = parse(text, where)
    if minimalistic and MINIMALISTIC not in architecture.variants:
        raise VariantError(f"{where} has no minimalistic variant")
    return architecture if variant is None else parse(text, where, variant)


def network_cost(model: Architecture | str | Path, settings: Settings | None = None) -> NetworkCost:
    """Cost a built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ...), a table file, or a loaded table."""
    architecture = architecture_of(model)
    settings = settings or Settings()
    blueprints = skeleton(architecture, settings.include_top)
    resolution = settings.resolution or architecture.resolution
    sizes = spatial_sizes(blueprints, resolution, architecture)
    height, width = input_size(resolution)
    image = Shape(height, width, settings.input_channels or architecture.input_channels)
    return NetworkCost(
        architecture, settings, layer_records(plan(blueprints, architecture, settings), sizes, image)
    )


def cost(
    model: Architecture | str | Path = "v1",
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
) -> NetworkCost:
    """Cost a model as ``mobicalc table`` does, with the same options under the same names.

    ``model``: a built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ``"v3-small"``), a table
    file, or a loaded table. ``alpha`` is taken as written: 0.75 means exactly 3/4.
    ``resolution``: one number (square) or ``(height, width)``. ``minimalistic``: MobileNetV3's
    minimalistic variant; ``variant``: any other variant a table names. A bad value raises a
    ``MobicalcError``.
    """
    settings = Settings(
        alpha=exact(alpha),
        resolution=resolution,
        classes=classes,
        include_top=include_top,
        rounding=rounding,
        dtype=dtype,
        convention=conventions.get(convention),
        input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )
    return network_cost(architecture_of(model, minimalistic=minimalistic, variant=variant), settings)
