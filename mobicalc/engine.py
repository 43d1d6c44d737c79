"""The analytic cost engine: per-layer records, and everything derived from them.

Pure arithmetic over plain dataclasses: no I/O, no Click, no Rich, no
TensorFlow. A network's totals, standard-convolution counterpart and breakdown
are sums of its per-layer records; verdicts (within budget) are decided here.
``sweep`` shares the work of many configurations explicitly: a table is walked
once, each width is costed once per pixel, each resolution sized once.
"""

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from mobicalc import conventions
from mobicalc.architecture import Architecture, load
from mobicalc.costs import Cost, layer_cost, unit_cost
from mobicalc.kinds import KINDS, Standard
from mobicalc.memory import Memory, memory
from mobicalc.network import (
    Layer,
    NetworkError,
    Resolution,
    Settings,
    Shape,
    Size,
    Step,
    channel_counts,
    depth_multiplier,
    input_size,
    normal_resolution,
    place,
    skeleton,
    spatial_sizes,
)
from mobicalc.rounding import KERAS, Count, scale_channels, significant


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


def _sum(costs: Iterable[Cost]) -> Cost:
    """Field by field; Cost() leads so that no costs at all sum to zero."""
    return Cost(*map(sum, zip(Cost(), *costs, strict=True)))


@dataclass(frozen=True)
class Plan:
    """What a network costs at one width, per output pixel: everything but the resolution.

    A layer's MACs are its cost per output pixel times its output pixels; its
    parameters do not depend on the resolution at all. So one plan serves every
    resolution of a sweep. The standard-convolution side is worked out only
    when asked for: budgets and sweeps never need it.
    """

    steps: tuple[Step, ...]
    inputs: tuple[Count, ...]
    """Each layer's input channels."""
    channels: tuple[Count, ...]
    """Each layer's output channels."""
    present: tuple[bool, ...]
    """False for an add layer whose block does not keep its channels (no layer there)."""
    units: tuple[Cost, ...]
    """Each layer's cost per output pixel."""
    convention: conventions.Convention = conventions.CONVENTIONS[conventions.DEFAULT]
    """How parameters and FLOPs are counted (the standard side follows it too)."""

    @cached_property
    def macs_per_pixel(self) -> tuple[Count, ...]:
        return tuple(unit.macs for unit in self.units)

    @cached_property
    def parameters(self) -> Cost:
        """The parameters of all layers (MACs left at 0): the same at every resolution."""
        return _sum(self.units)._replace(macs=0)

    @cached_property
    def elementwise_per_pixel(self) -> tuple[tuple[Count, ...], Count, Count] | None:
        """The profiler's elementwise FLOPs (``conventions.elementwise_terms``) as a sum over pixels,
        or None when the convention does not count them.

        (per step, the FLOPs per output pixel of that step; per pixel of the network's input; per
        network, whatever does not scale). A layer's per input pixel terms are put on the step
        before it: an absent add has the size and channels it receives, so that stays exact.
        """
        if self.convention.flops != "profiler":
            return None
        per_pixel: list[Count] = []
        per_input: Count = 0
        constant: Count = 0
        for step, received, out, present in zip(
            self.steps, self.inputs, self.channels, self.present, strict=True
        ):
            if not present:
                per_pixel.append(0)
                continue
            layer = step.template
            before, after, fixed = conventions.elementwise_terms(
                layer.kind, layer.activation, layer.bias, layer.batch_norm, received, out
            )
            if per_pixel:
                per_pixel[-1] += before
            else:
                per_input += before
            per_pixel.append(after)
            constant += fixed
        return tuple(per_pixel), per_input, constant

    def total(self, pixels: Sequence[int], input_pixels: int | None = None) -> Cost:
        """The sum of the per-layer costs at their output pixels, without building records.

        ``input_pixels``: the network input's pixels, needed only when the convention counts
        elementwise FLOPs of a first layer that scale with its input (a pool).
        """
        macs = sum(map(operator.mul, self.macs_per_pixel, pixels))
        terms = self.elementwise_per_pixel
        if terms is None:
            return Cost(macs, *self.parameters[1:])
        per_pixel, per_input, constant = terms
        if per_input and input_pixels is None:
            raise ValueError("the first layer's elementwise FLOPs scale with the input: give input_pixels")
        elementwise = sum(map(operator.mul, per_pixel, pixels)) + constant + per_input * (input_pixels or 0)
        return Cost(macs, *self.parameters[1:-1], elementwise)

    @cached_property
    def standard_units(self) -> tuple[Cost, ...]:
        """Per pixel, the standard convolution each layer stands for.

        A depthwise layer stands for its whole pair: one full Dk x Dk convolution
        to its pointwise partner's channels, with the partner's bias and
        batch-norm; the partner then stands for nothing. Other layers are themselves.
        """
        standard = []
        for step, received, unit in zip(self.steps, self.inputs, self.units, strict=True):
            layer, index = step.template, step.partner_step
            if layer.pair:
                standard.append(Cost())
            elif KINDS[layer.kind].standard is Standard.PAIR:
                partner, out = (
                    (layer, received) if index is None else (self.steps[index].template, self.channels[index])
                )
                standard.append(
                    self.convention.adjust(
                        unit_cost("conv", layer.kernel, received, out, partner.bias, partner.batch_norm),
                        out,
                        partner.batch_norm,
                    )
                )
            else:
                standard.append(unit)
        return tuple(standard)


def plan(steps: tuple[Step, ...], architecture: Architecture, settings: Settings) -> Plan:
    """The per-pixel costs of a walked table at the width (and classes, rounding) of ``settings``."""
    convention = conventions.get(settings.convention)
    classes = settings.classes
    if convention.classes_offset:
        classes = (classes or architecture.classes or 0) + convention.classes_offset
    image = settings.input_channels or architecture.input_channels
    channels, present = channel_counts(
        steps, architecture, settings.alpha, classes, settings.rounding, convention.min_depth,
        input_channels=image, depth_multiplier=depth_multiplier(architecture, settings),
    )  # fmt: skip
    inputs = (image, *channels[:-1])
    units = tuple(
        unit_cost(layer.kind, layer.kernel, received, out, layer.bias, layer.batch_norm)
        for layer, received, out in zip((step.template for step in steps), inputs, channels, strict=True)
    )
    if not convention.keeps_parameters:
        units = tuple(
            convention.adjust(unit, out, step.template.batch_norm)
            for unit, out, step in zip(units, channels, steps, strict=True)
        )
    return Plan(steps, inputs, channels, present, units, convention)


def _at(unit: Cost, size: Size) -> Cost:
    """A per-pixel cost at a height x width output."""
    return Cost(unit.macs * size.height * size.width, *unit[1:])


@dataclass(frozen=True)
class NetworkCost:
    """A whole network under one set of settings: its per-layer records and their sums."""

    architecture: Architecture
    settings: Settings
    plan: Plan
    sizes: tuple[Size, ...]
    """Each layer's output (height, width)."""

    @cached_property
    def records(self) -> tuple[LayerRecord, ...]:
        """Every layer that is there, in order: the one way a network's layers are built."""
        network_plan = self.plan
        source = Shape(self.height, self.width, self.input_channels)
        layers = iter(
            place(network_plan.steps, source, network_plan.channels, network_plan.present, self.sizes)
        )
        records = []
        profiler = network_plan.convention.flops == "profiler"
        for unit, standard, size, present in zip(
            network_plan.units, network_plan.standard_units, self.sizes, network_plan.present, strict=True
        ):
            if present:
                layer, cost = next(layers), _at(unit, size)
                if profiler:  # the elementwise ops the TensorFlow profiler counts beside 2 x MACs
                    cost = cost._replace(elementwise=conventions.elementwise_flops(layer))
                records.append(LayerRecord(layer, cost, cost if standard is unit else _at(standard, size)))
        return tuple(records)

    @property
    def layers(self) -> tuple[Layer, ...]:
        return tuple(record.layer for record in self.records)

    @cached_property
    def totals(self) -> Cost:
        return _sum(record.cost for record in self.records)

    @cached_property
    def standard(self) -> Cost:
        """The same network with every separable pair made one standard convolution."""
        return _sum(record.standard for record in self.records)

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
        last = self.plan.steps[-1].template
        return self.plan.channels[-1] if last.kind == "dense" else None

    @cached_property
    def memory(self) -> Memory:
        """Activation sizes, peak working memory and model size at the settings' dtype (memory.py)."""
        return memory(self.layers, self.params, self.settings.dtype)

    def breakdown(self) -> dict[str, Cost]:
        """Totals by layer kind, for the kinds that occur, in registry order."""
        by_kind: dict[str, list[Cost]] = {}
        for record in self.records:
            by_kind.setdefault(record.layer.kind, []).append(record.cost)
        return {kind: _sum(by_kind[kind]) for kind in KINDS if kind in by_kind}

    def check(self, budgets: Mapping[str, Fraction]) -> "BudgetVerdict":
        """The verdict on ``budgets`` (any of ``METRICS``; inclusive)."""
        needs_memory = any(metric in MEMORY_METRICS for metric in budgets)
        return check_budgets(self.totals, budgets, self.memory if needs_memory else None)


def _architecture(architecture: Architecture | str | Path) -> Architecture:
    return architecture if isinstance(architecture, Architecture) else load(architecture)


def network_cost(architecture: Architecture | str | Path, settings: Settings | None = None) -> NetworkCost:
    """Cost a built-in table (``"v1"``, ``"v2"``, ``"v3-large"``, ...), a table file, or a loaded table."""
    architecture = _architecture(architecture)
    settings = settings or Settings()
    steps = skeleton(architecture, settings.include_top)
    sizes = spatial_sizes(steps, settings.resolution or architecture.resolution, architecture)
    return NetworkCost(architecture, settings, plan(steps, architecture, settings), sizes)


class SweepPoint(NamedTuple):
    """One configuration of a sweep and its totals (the same numbers ``network_cost`` gives)."""

    alpha: Fraction
    resolution: Resolution
    """As ``NetworkCost.resolution``: one number for a square input, else (height, width)."""
    totals: Cost


def sweep(
    architecture: Architecture | str | Path,
    alphas: Iterable[Fraction | int | str],
    resolutions: Iterable[Resolution],
    *,
    classes: int | None = None,
    include_top: bool = True,
    rounding: str = KERAS,
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
    convention: str = conventions.DEFAULT,
) -> list[SweepPoint]:
    """Totals for every alpha x resolution, alpha-major, sharing the work they have in common.

    A resolution is one number (square) or (height, width).

    The table is walked once; each width is costed per output pixel once and
    each resolution is sized once, so a configuration is one sum of products
    (two under a convention that counts elementwise FLOPs: ``Plan.elementwise_per_pixel``).
    """
    architecture = _architecture(architecture)
    steps = skeleton(architecture, include_top)
    resolutions = tuple(normal_resolution(resolution) for resolution in resolutions)
    pixels = [
        tuple(size.height * size.width for size in spatial_sizes(steps, resolution, architecture))
        for resolution in resolutions
    ]
    input_pixels = [math.prod(input_size(resolution)) for resolution in resolutions]
    points = []
    for alpha in alphas:
        exact_alpha = Fraction(str(alpha)) if isinstance(alpha, str | float) else Fraction(alpha)
        settings = Settings(
            alpha=exact_alpha, classes=classes, include_top=include_top, rounding=rounding,
            input_channels=input_channels, depth_multiplier=depth_multiplier, convention=convention,
        )  # fmt: skip
        width = plan(steps, architecture, settings)
        points += [
            SweepPoint(exact_alpha, resolution, width.total(sizes, image))
            for resolution, sizes, image in zip(resolutions, pixels, input_pixels, strict=True)
        ]
    return points


MEMORY_METRICS = ("params_bytes", "peak_activation_bytes", "peak_streamed_bytes")
"""What a budget can limit in bytes: attributes of a Memory."""

METRICS = ("macs", "flops", "params", *MEMORY_METRICS)
"""What a budget can limit: attributes of a Cost, or of a Memory."""


class BudgetCheck(NamedTuple):
    metric: str
    value: Count
    budget: Fraction
    ok: bool


class BudgetVerdict(NamedTuple):
    checks: tuple[BudgetCheck, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def over(self) -> tuple[str, ...]:
        return tuple(check.metric for check in self.checks if not check.ok)


def check_budgets(
    totals: Cost, budgets: Mapping[str, Fraction], memory: Memory | None = None
) -> BudgetVerdict:
    """Each budget against the totals (or ``memory``, for bytes); inclusive: exactly at it is within."""
    checks = []
    for metric, budget in budgets.items():
        if metric not in METRICS:
            raise ValueError(f"unknown budget {metric!r}; expected one of: {', '.join(METRICS)}")
        if metric in MEMORY_METRICS and memory is None:
            raise ValueError(f"a budget on {metric} needs the network's memory figures")
        value = getattr(memory if metric in MEMORY_METRICS else totals, metric)
        checks.append(BudgetCheck(metric, value, budget, value <= budget))
    return BudgetVerdict(tuple(checks))


@dataclass(frozen=True)
class LayerComparison:
    """One layer as standard convolution and as depthwise separable convolution.

    Parameters here are kernel weights only (no bias, no batch-norm), as in the
    MobileNet paper's Table 3.
    """

    M: Count
    N: Count
    dk: int
    dp: int
    standard: Cost
    depthwise: Cost
    pointwise: Cost

    @property
    def separable(self) -> Cost:
        return self.depthwise + self.pointwise

    @property
    def ratio(self) -> Fraction:
        """Separable over standard MACs; algebraically 1/N + 1/Dk^2."""
        return Fraction(self.separable.macs) / Fraction(self.standard.macs)

    @property
    def params_ratio(self) -> Fraction:
        return Fraction(self.separable.params) / Fraction(self.standard.params)

    @property
    def closed_form(self) -> Fraction:
        return 1 / Fraction(self.N) + Fraction(1, self.dk * self.dk)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves up (the paper's 14 x 0.714 = 9.996 -> 10)."""
    return math.floor(value + Fraction(1, 2))


def compare_layer(
    N: int,
    dk: int,
    M: int | None = None,
    dp: int = 1,
    alpha: Fraction = Fraction(1),
    rho: Fraction = Fraction(1),
    rounding: str = KERAS,
) -> LayerComparison:
    """Standard vs depthwise separable convolution for one layer (paper Section 3).

    ``M`` defaults to ``N``; ``dp`` (output size) to 1, i.e. costs per output
    pixel. ``alpha`` scales M and N (rounded by ``rounding``; ``keras`` means
    ``int``, as MobileNetV1), ``rho`` scales Dp, rounded to the nearest integer.
    """
    rule = "int" if rounding == KERAS else rounding
    in_channels = scale_channels(N if M is None else M, alpha, rule)
    out_channels = scale_channels(N, alpha, rule)
    size = round_half_up(rho * dp)
    for what, value in (("alpha x M", in_channels), ("alpha x N", out_channels), ("rho x Dp", size)):
        if value < 1:  # under exact rounding too: less than one channel is no layer
            raise NetworkError(
                f"{what} is {significant(value):g}: a layer needs at least 1 channel and 1 pixel; "
                "use a larger alpha or rho"
            )
    source = Shape(size, size, in_channels)
    depthwise = Layer("depthwise", "depthwise", source, source, kernel=dk)
    pointwise = Layer("pointwise", "pointwise", source, source._replace(channels=out_channels))
    standard = Layer("standard", "conv", source, pointwise.output, kernel=dk)
    return LayerComparison(
        M=in_channels,
        N=out_channels,
        dk=dk,
        dp=size,
        standard=layer_cost(standard),
        depthwise=layer_cost(depthwise),
        pointwise=layer_cost(pointwise),
    )
