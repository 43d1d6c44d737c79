"""Sweeps: every alpha x resolution of a table, the work they share done once.

``sweep`` gives each configuration's totals (within budgets, if any).
``design_space`` is everything ``mobicalc sweep`` shows: the configurations
within budget, each marked on the frontier or not and with the published top-1
of its released checkpoint, and what was swept.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.accuracy import Published, released
from mobicalc.count.budgets import MEMORY_METRICS, check_budgets
from mobicalc.count.frontier import Run, accuracy_frontier, frontier, run_frontiers
from mobicalc.count.grid import Configuration, Configurations, SweepPoint, Width, price, runs_of
from mobicalc.count.network import NetworkCost, architecture_of, cost
from mobicalc.count.ranges import MAX_CONFIGURATIONS, sizes, survey, values
from mobicalc.count.settings import Settings, exact
from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution, normal_resolution
from mobicalc.model.rounding import KERAS
from mobicalc.numbers import quantity

MAX_MEMORY_CONFIGURATIONS = 10_000
"""The most configurations of a sweep with a memory budget (each width's peaks are worked out from its
layers, then evaluated at each size: ``memory.peak_terms``)."""


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
            f"a sweep with a memory budget has at most {MAX_MEMORY_CONFIGURATIONS:,} configurations, "
            f"not {count:,}"
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
    sized once, so a configuration is one sum of products (``grid.price``); a memory budget places
    each width's layers once (at most ``MAX_MEMORY_CONFIGURATIONS`` configurations with one).
    """
    architecture = architecture_of(model, minimalistic=minimalistic, variant=variant)
    sizes = [normal_resolution(resolution) for resolution in resolutions]
    widths = _priced(
        architecture, [exact(alpha) for alpha in alphas], sizes, budgets, classes=classes,
        include_top=include_top, rounding=rounding, convention=convention, dtype=dtype,
        input_channels=input_channels, depth_multiplier=depth_multiplier,
    )  # fmt: skip
    return [
        SweepPoint(width.alpha, sizes[j], width.fixed._replace(macs=macs, elementwise=elementwise))
        for width in widths
        for j, macs, elementwise in zip(width.positions, width.macs, width.elementwise, strict=True)
    ]


def _priced(
    architecture: Architecture,
    alphas: list[Fraction],
    sizes: list[Resolution],
    budgets: Mapping[str, Fraction | int] | None,
    *,
    convention: str,
    **options: Any,
) -> list[Width]:
    """``grid.price`` with ``cost``'s options, after the limits on how many configurations there are."""
    limits = {metric: Fraction(limit) for metric, limit in (budgets or {}).items()}
    refuse_over_limits(len(alphas), len(sizes), limits)
    base = Settings(convention=conventions.get(convention), **options)
    return price(architecture, alphas, sizes, base, limits)


@dataclass(frozen=True)
class DesignSpace:
    """What a sweep asked and found: the model, the grid, the budgets, the verdicts."""

    network: NetworkCost
    """The first configuration: the model and the settings every configuration shares."""
    alphas: list[Fraction]
    resolutions: list[Resolution]
    """Numbers (square) or (height, width) pairs."""
    budgets: dict[str, Fraction]
    configurations: Configurations
    """Those within budget (all, without budgets), in sweep order: a sequence, held by width."""
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
        return min(self.configurations.rated(), key=lambda c: (-(c.top1 or 0), c.totals.macs), default=None)


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
    grid_alphas = [exact(alpha) for alpha in alphas]
    grid_sizes = [normal_resolution(resolution) for resolution in resolutions]
    widths = _priced(
        architecture, grid_alphas, grid_sizes, limits, classes=classes, include_top=include_top,
        rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )  # fmt: skip
    network = cost(
        architecture, alpha=alphas[0], resolution=resolutions[0], classes=classes, include_top=include_top,
        rounding=rounding, convention=convention, dtype=dtype, input_channels=input_channels,
        depth_multiplier=depth_multiplier,
    )  # fmt: skip
    return DesignSpace(
        network=network,
        alphas=grid_alphas,
        resolutions=grid_sizes,
        budgets=limits,
        configurations=_verdicts(widths, grid_sizes, published.top1 if published is not None else {}),
        swept=len(alphas) * len(resolutions),
        published=published,
        no_accuracy=no_accuracy,
        notes=list(notes),
    )


def _verdicts(
    widths: list[Width], sizes: list[Resolution], top1: Mapping[tuple[Fraction, int], Fraction]
) -> Configurations:
    """The widths with their verdicts: the cost frontier, the published top-1 of each released checkpoint
    (square sizes only), and the accuracy frontier among those."""
    marks = run_frontiers([
        Run(width.alpha, width.fixed.params, [sizes[j] for j in width.positions], width.macs)
        for width in widths
    ])  # fmt: skip
    by_alpha: dict[Fraction, dict[int, Fraction]] = {}
    for (alpha, size), accuracy in top1.items():
        by_alpha.setdefault(alpha, {})[size] = accuracy
    published: list[dict[int, Fraction]] = []
    for width in widths:  # a Fraction hashes slowly: looked up once per width, then by size
        released_sizes, found = by_alpha.get(width.alpha, {}), {}
        for row, j in enumerate(width.positions if released_sizes else ()):
            resolution = sizes[j]
            if isinstance(resolution, int) and resolution in released_sizes:
                found[row] = released_sizes[resolution]
        published.append(found)
    rated = [(width.macs[row], accuracy) for width, found in zip(widths, published, strict=True)
             for row, accuracy in found.items()]  # fmt: skip
    best = iter([bool(mark) for mark in accuracy_frontier(rated)])
    return Configurations(
        [
            width._replace(frontier=mark, top1=found, accuracy_frontier={row: next(best) for row in found})
            for width, mark, found in zip(widths, marks, published, strict=True)
        ],
        sizes,
    )


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
                f"incomplete at {point.resolution}: {quantity(len(uncounted), 'layer')} not counted "
                f"({', '.join(uncounted[:3])}{', ...' if len(uncounted) > 3 else ''})"
                + ("; never within a budget" if limits else "")
            )
        if not limits or (not uncounted and check_budgets(point.totals, limits, network.memory).ok):
            kept.append(point)
    return DesignSpace(
        network=networks[0], alphas=[Fraction(1)], resolutions=[point.resolution for point in points],
        budgets=limits, configurations=runs_of(kept, frontier(kept)), swept=len(points), published=None,
        no_accuracy="a Keras model has no published accuracy", notes=notes,
    )  # fmt: skip
