"""Sweeps: every alpha x resolution of a table, the work they share done once.

``sweep`` gives each configuration's totals (within budgets, if any).
``design_space`` is everything ``mobicalc sweep`` shows: the configurations
within budget, each marked on the frontier or not and with the published top-1
of its released checkpoint, and what was swept.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from mobicalc.count import conventions
from mobicalc.count.accuracy import Published, released
from mobicalc.count.budgets import MEMORY_METRICS, check_budgets
from mobicalc.count.costs import Cost
from mobicalc.count.frontier import accuracy_frontier, frontier
from mobicalc.count.network import NetworkCost, architecture_of, cost, network_cost
from mobicalc.count.plan import plan
from mobicalc.count.ranges import MAX_CONFIGURATIONS, sizes, survey, values
from mobicalc.count.settings import Settings, exact
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution, input_size, normal_resolution
from mobicalc.model.placing import skeleton, spatial_sizes
from mobicalc.model.rounding import KERAS

MAX_MEMORY_CONFIGURATIONS = 10_000
"""The most configurations of a sweep with a memory budget: each costs its every layer (~1 ms)."""


class SweepPoint(NamedTuple):
    """One configuration of a sweep and its totals (the same numbers ``network_cost`` gives)."""

    alpha: Fraction
    resolution: Resolution
    """As ``NetworkCost.resolution``: one number for a square input, else (height, width)."""
    totals: Cost


def refuse_over_limits(alphas: int, resolutions: int, budgets: Mapping[str, Fraction]) -> None:
    """A sweep of more configurations than it may have is refused, before anything is costed."""
    count = alphas * resolutions
    if count > MAX_CONFIGURATIONS:
        raise NetworkError(
            f"{alphas:,} alphas x {resolutions:,} resolutions is {count:,} configurations: "
            f"a sweep has at most {MAX_CONFIGURATIONS:,}"
        )
    if set(budgets) & set(MEMORY_METRICS) and count > MAX_MEMORY_CONFIGURATIONS:
        raise NetworkError(
            f"a memory budget costs each configuration's every layer: a sweep with one has at most "
            f"{MAX_MEMORY_CONFIGURATIONS:,} configurations, not {count:,}"
        )


def sweep(
    model: Architecture | str | Path,
    alphas: Iterable[float | str | Fraction],
    resolutions: Iterable[Resolution],
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
) -> list[SweepPoint]:
    """Totals for every alpha x resolution, alpha-major, sharing the work they have in common;
    with ``budgets`` (``{"macs": 300_000_000}``, any of ``budgets.METRICS``), only those within.

    The options are ``cost``'s; a resolution is one number (square) or (height, width). The
    table is walked once; each width is costed per output pixel once and each resolution is
    sized once, so a configuration is one sum of products (two under a convention that counts
    elementwise FLOPs: ``Plan.elementwise_per_pixel``). A memory budget costs each
    configuration's every layer (at most ``MAX_MEMORY_CONFIGURATIONS`` of them).
    """
    architecture = architecture_of(model, minimalistic=minimalistic, variant=variant)
    widths = [exact(alpha) for alpha in alphas]
    sizes = [normal_resolution(resolution) for resolution in resolutions]
    limits = {metric: Fraction(limit) for metric, limit in (budgets or {}).items()}
    refuse_over_limits(len(widths), len(sizes), limits)
    base = Settings(
        classes=classes, include_top=include_top, rounding=rounding, dtype=dtype,
        convention=conventions.get(convention), input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )  # fmt: skip
    blueprints = skeleton(architecture, include_top)
    per_layer = [
        tuple(size.height * size.width for size in spatial_sizes(blueprints, resolution, architecture))
        for resolution in sizes
    ]
    # Layers whose output pixels are the same at every resolution (a stage between two strides) are
    # costed as one group: a configuration is then a sum of a few products, not one per layer.
    groups: dict[tuple[int, ...], int] = {}
    group_of = [groups.setdefault(column, len(groups)) for column in zip(*per_layer, strict=True)]
    pixels = [tuple(column[index] for column in groups) for index in range(len(sizes))]
    input_pixels = [math.prod(input_size(resolution)) for resolution in sizes]
    points = []
    for alpha in widths:
        width = plan(blueprints, architecture, replace(base, alpha=alpha)).grouped(group_of, len(groups))
        points += [
            SweepPoint(alpha, resolution, width.total(at, image))
            for resolution, at, image in zip(sizes, pixels, input_pixels, strict=True)
        ]
    if not limits:
        return points
    needs_memory = bool(set(limits) & set(MEMORY_METRICS))

    def within(point: SweepPoint) -> bool:
        memory = None
        if needs_memory:
            settings = replace(base, alpha=point.alpha, resolution=point.resolution)
            memory = network_cost(architecture, settings).memory
        return check_budgets(point.totals, limits, memory).ok

    return [point for point in points if within(point)]


@dataclass(frozen=True)
class Configuration:
    """One configuration of a sweep that is within budget, with its verdicts."""

    alpha: Fraction
    resolution: Resolution
    """A number (square) or (height, width)."""
    totals: Cost
    frontier: bool
    """No other configuration within budget dominates it (see ``frontier.frontier``)."""
    top1: Fraction | None
    """The published top-1 (percent) of the released checkpoint with this alpha and resolution, if any
    (a ``numbers.Printed``: it shows the source's digits)."""
    accuracy_frontier: bool | None = None
    """Among the configurations with a published top-1: no other has at least its top-1 for no more
    MACs (``frontier.accuracy_frontier``); None without a published top-1."""


@dataclass(frozen=True)
class DesignSpace:
    """What a sweep asked and found: the model, the grid, the budgets, the verdicts."""

    network: NetworkCost
    """The first configuration: the model and the settings every configuration shares."""
    alphas: list[Fraction]
    resolutions: list[Resolution]
    """Numbers (square) or (height, width) pairs."""
    budgets: dict[str, Fraction]
    configurations: list[Configuration]
    """Those within budget (all, without budgets), in sweep order."""
    swept: int
    """How many configurations were costed."""
    published: Published | None
    no_accuracy: str
    """Why no published accuracy applies, when none does."""
    notes: list[str] = field(default_factory=list)
    """What a reader should know about the values swept (a range that stops short of its stop)."""

    @property
    def ok(self) -> bool:
        """At least one configuration is within budget."""
        return bool(self.configurations)

    @property
    def convention(self) -> conventions.Convention:
        return self.network.convention

    def most_accurate(self) -> Configuration | None:
        """The released configuration with the highest published top-1 (fewer MACs on a tie), or None."""
        rated = [configuration for configuration in self.configurations if configuration.top1 is not None]
        return min(rated, key=lambda c: (-(c.top1 or 0), c.totals.macs), default=None)


def design_space(
    model: Architecture | str | Path,
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
) -> DesignSpace:
    """``sweep`` with its verdicts: the configurations within ``budgets``, each marked on the frontier
    or not, with its released checkpoint's published top-1; ``alphas`` and ``resolutions`` default to
    the released checkpoints' (v1, v2), else 1 and the table's size. ``notes``: said beside the grid.

    ``alphas`` and ``resolutions`` may also be text as the command line takes it (``"0.25:1.4:0.05"``,
    ``"128,192x256"``): it is counted before it is expanded, so a request over the limits is refused
    at once, however many values its ranges hold.
    """
    limits = {metric: Fraction(limit) for metric, limit in (budgets or {}).items()}
    if isinstance(alphas, str) or isinstance(resolutions, str):
        refuse_over_limits(_count(alphas, integer=False), _count(resolutions, integer=True), limits)
        alphas = values(alphas, what="alpha") if isinstance(alphas, str) else alphas
        resolutions = sizes(resolutions) if isinstance(resolutions, str) else resolutions
    architecture = architecture_of(model, minimalistic=minimalistic, variant=variant)
    published, no_accuracy = released(
        architecture.path, classes, include_top, rounding, variant=architecture.variant,
        input_channels=input_channels, depth_multiplier=depth_multiplier,
    )  # fmt: skip
    if alphas is None:
        alphas = sorted({alpha for alpha, _ in published.top1}) if published else [Fraction(1)]
    if resolutions is None:
        resolutions = sorted({size for _, size in published.top1}) if published else [architecture.resolution]
    points = sweep(
        architecture, alphas, resolutions, classes=classes, include_top=include_top, rounding=rounding,
        convention=convention, dtype=dtype, input_channels=input_channels,
        depth_multiplier=depth_multiplier, budgets=limits,
    )  # fmt: skip
    network = cost(
        architecture, alpha=alphas[0], resolution=resolutions[0], classes=classes, include_top=include_top,
        rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )  # fmt: skip
    top1 = published.top1 if published is not None else {}
    rated = [(point.totals.macs, _top1(top1, point)) for point in points]
    configurations = [
        Configuration(point.alpha, point.resolution, point.totals, mark, accuracy, best)
        for point, mark, (_, accuracy), best in zip(
            points, frontier(points), rated, accuracy_frontier(rated), strict=True
        )
    ]
    return DesignSpace(
        network=network,
        alphas=[exact(alpha) for alpha in alphas],
        resolutions=[normal_resolution(resolution) for resolution in resolutions],
        budgets=limits,
        configurations=configurations,
        swept=len(alphas) * len(resolutions),
        published=published,
        no_accuracy=no_accuracy,
        notes=list(notes),
    )


def _top1(top1: Mapping[tuple[Fraction, int], Fraction], point: SweepPoint) -> Fraction | None:
    """The published top-1 of a point's released checkpoint, if it is one (square sizes only)."""
    size = point.resolution
    return top1.get((point.alpha, size)) if isinstance(size, int) else None


def _count(given: Sequence[object] | str | None, *, integer: bool) -> int:
    """How many values a sweep was given (text: counted from its ranges' bounds); None: one."""
    if isinstance(given, str):
        return survey(given, integer=integer).total
    return 1 if given is None else len(given)


MAX_GRAPH_SIZES = 100
"""The most input sizes of a Keras model's sweep: each walks the model again (and a builder builds it)."""


def graph_design_space(
    network_at: Callable[[Resolution | None], NetworkCost],
    resolutions: Sequence[Resolution] | str | None = None,
    *,
    budgets: Mapping[str, Fraction | int] | None = None,
    notes: Sequence[str] = (),
) -> DesignSpace:
    """A graph's (a Keras model's) sweep over input sizes: ``network_at(resolution)`` costs it at each,
    as ``table --keras --resolution`` does; None: its own size. A graph has no width multiplier, so
    every configuration is alpha 1. At most ``MAX_GRAPH_SIZES`` sizes, refused before any is costed.
    A configuration some of whose layers no formula counts is never within a budget (as ``check``)."""
    limits = {metric: Fraction(limit) for metric, limit in (budgets or {}).items()}
    count = _count(resolutions, integer=True)
    if count > MAX_GRAPH_SIZES:
        raise NetworkError(
            f"{count:,} resolutions: a Keras model is walked again at each size, so its sweep has at most "
            f"{MAX_GRAPH_SIZES} of them"
        )
    asked = sizes(resolutions) if isinstance(resolutions, str) else resolutions
    networks = [network_at(resolution) for resolution in asked] if asked else [network_at(None)]
    points, kept, notes = [], [], list(notes)
    for network in networks:
        point = SweepPoint(Fraction(1), network.resolution, network.totals)
        points.append(point)
        uncounted = network.uncounted or ()
        if uncounted:
            notes.append(
                f"incomplete at {point.resolution}: {len(uncounted)} layers not counted "
                f"({', '.join(uncounted[:3])}{', ...' if len(uncounted) > 3 else ''})"
                + ("; never within a budget" if limits else "")
            )
        if not limits or (not uncounted and check_budgets(point.totals, limits, network.memory).ok):
            kept.append(point)
    configurations = [
        Configuration(point.alpha, point.resolution, point.totals, mark, None)
        for point, mark in zip(kept, frontier(kept), strict=True)
    ]
    return DesignSpace(
        network=networks[0], alphas=[Fraction(1)], resolutions=[point.resolution for point in points],
        budgets=limits, configurations=configurations, swept=len(points), published=None,
        no_accuracy="a Keras model has no published accuracy", notes=notes,
    )  # fmt: skip
