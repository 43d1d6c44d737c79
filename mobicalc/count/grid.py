"""A sweep's configurations by width: the columns a million rows are made from.

A table's sweep costs each alpha once (``Plan.grouped``) and each resolution once
(its layers' pixels), so one width's configurations are columns of MACs, not
records: ``price`` makes them, within budgets (memory ones too: each width's
``memory.peak_terms``, evaluated per resolution); ``Configurations`` holds them
with their verdicts and makes a ``Configuration`` only when one is asked for.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cache
from itertools import accumulate
from typing import NamedTuple, overload

from mobicalc.count.budgets import MEMORY_METRICS, validate
from mobicalc.count.costs import Cost, flops
from mobicalc.count.memory import peak_terms
from mobicalc.count.plan import plan
from mobicalc.count.settings import Settings, bytes_per_value
from mobicalc.model.architecture import Architecture
from mobicalc.model.layers import Resolution, Shape, input_size
from mobicalc.model.placing import place, skeleton, spatial_sizes
from mobicalc.model.rounding import Count


class SweepPoint(NamedTuple):
    """One configuration of a sweep and its totals (the same numbers ``network_cost`` gives)."""

    alpha: Fraction
    resolution: Resolution
    """As ``NetworkCost.resolution``: one number for a square input, else (height, width)."""
    totals: Cost


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


class Width(NamedTuple):
    """The configurations of one alpha (and one set of parameters) within budget, in sweep order."""

    alpha: Fraction
    fixed: Cost
    """What does not depend on the resolution: the parameters (MACs and elementwise FLOPs 0)."""
    positions: Sequence[int]
    """Each configuration's resolution, as its position in the sweep's resolutions."""
    macs: Sequence[Count]
    elementwise: Sequence[Count]
    """Each configuration's ``Cost.elementwise``."""
    frontier: Sequence[bool] = ()
    top1: Mapping[int, Fraction] = {}
    """The published top-1s, by the configuration's place in this width (most have none)."""
    accuracy_frontier: Mapping[int, bool] = {}
    """Likewise: the accuracy frontier's verdicts, where there is a top-1."""


class Configurations(Sequence[Configuration]):
    """A sweep's configurations within budget, in sweep order, held by width; each ``Configuration``
    is made when it is asked for (a sweep may have a million)."""

    def __init__(self, widths: Sequence[Width], resolutions: Sequence[Resolution]) -> None:
        self.widths = list(widths)
        self.resolutions = list(resolutions)
        """The sweep's resolutions, which ``Width.positions`` index."""
        self._ends = list(accumulate(len(width.macs) for width in self.widths))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def _made(self, width: Width, row: int) -> Configuration:
        totals = width.fixed._replace(macs=width.macs[row], elementwise=width.elementwise[row])
        resolution = self.resolutions[width.positions[row]]
        return Configuration(
            width.alpha, resolution, totals, width.frontier[row], width.top1.get(row),
            width.accuracy_frontier.get(row),
        )  # fmt: skip

    def __iter__(self) -> Iterator[Configuration]:
        for width in self.widths:
            for row in range(len(width.macs)):
                yield self._made(width, row)

    @overload
    def __getitem__(self, index: int) -> Configuration: ...
    @overload
    def __getitem__(self, index: slice) -> list[Configuration]: ...
    def __getitem__(self, index: int | slice) -> Configuration | list[Configuration]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("configuration index out of range")
        start = 0
        for width, end in zip(self.widths, self._ends, strict=True):
            if index < end:
                return self._made(width, index - start)
            start = end
        raise AssertionError("unreachable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Configurations({list(self)!r})"

    def rated(self) -> list[Configuration]:
        """Those with a published top-1, in sweep order."""
        return [self._made(width, row) for width in self.widths for row in sorted(width.top1)]


def runs_of(points: Sequence[SweepPoint], frontier: Sequence[bool]) -> Configurations:
    """Configurations of any points (a Keras model's: its params may change with its size), each run of
    one alpha and the same parameters a width, the resolutions as the points give them."""
    widths: list[Width] = []
    for position, (point, mark) in enumerate(zip(points, frontier, strict=True)):
        fixed = point.totals._replace(macs=0, elementwise=0)
        if not widths or widths[-1].alpha != point.alpha or widths[-1].fixed != fixed:
            widths.append(Width(point.alpha, fixed, [], [], [], []))
        width = widths[-1]
        for column, value in zip(width[2:6], (position, point.totals.macs, point.totals.elementwise, mark),
                                 strict=True):  # fmt: skip
            column.append(value)  # type: ignore[attr-defined]  # the lists just made
    return Configurations(widths, [point.resolution for point in points])


def price(
    architecture: Architecture,
    alphas: Sequence[Fraction],
    sizes: Sequence[Resolution],
    base: Settings,
    budgets: Mapping[str, Fraction],
) -> list[Width]:
    """Every alpha x resolution, alpha-major, as widths of the configurations within ``budgets``.

    The table is walked once; each width is costed per output pixel once and each resolution is
    sized once, so a configuration is one sum of products (two under a convention that counts
    elementwise FLOPs: ``Plan.elementwise_per_pixel``). Layers whose output pixels are the same at
    every resolution (a stage between two strides) are one group of that sum. A memory budget
    places each width's layers once, at the first size: its peaks are sums over the same groups.
    """
    validate(budgets)
    blueprints = skeleton(architecture, base.include_top)
    placed = [spatial_sizes(blueprints, resolution, architecture) for resolution in sizes]
    groups: dict[tuple[int, ...], int] = {}
    group_of = [
        groups.setdefault(column, len(groups))
        for column in zip(*([size.height * size.width for size in row] for row in placed), strict=True)
    ]
    pixels = [tuple(column[index] for column in groups) for index in range(len(sizes))]
    input_pixels = [input_size(resolution).height * input_size(resolution).width for resolution in sizes]
    memory = bool(set(budgets) & set(MEMORY_METRICS))
    widths = []
    for alpha in alphas:
        network_plan = plan(blueprints, architecture, replace(base, alpha=alpha))
        width = network_plan.grouped(group_of, len(groups))
        macs, elementwise = width.columns(pixels, input_pixels)
        fixed = Cost(**width.fixed)
        if not budgets:
            widths.append(Width(alpha, fixed, range(len(sizes)), macs, elementwise))
            continue
        peaks = None
        if memory and sizes:
            height, across = input_size(sizes[0])
            image = Shape(height, across, base.input_channels or architecture.input_channels)
            present = network_plan.present
            layers = place(blueprints, image, network_plan.channels, present, placed[0])
            classes = [group for group, there in zip(group_of, present, strict=True) if there]
            terms = peak_terms(layers, classes, len(groups))

            peaks = cache(lambda j, terms=terms: terms.peaks((*pixels[j], input_pixels[j])))

        kept = _within(budgets, fixed, macs, elementwise, peaks, bytes_per_value(base.dtype))
        widths.append(Width(alpha, fixed, kept, [macs[j] for j in kept], [elementwise[j] for j in kept]))
    return widths


def _within(
    budgets: Mapping[str, Fraction],
    fixed: Cost,
    macs: Sequence[Count],
    elementwise: Sequence[Count],
    peaks: Callable[[int], tuple[Count, Count]] | None,
    size: int,
) -> list[int]:
    """The positions of the configurations within every budget (inclusive), as ``check_budgets`` says of
    a configuration's totals and memory: FLOPs are ``Cost.flops``, bytes ``Memory``'s at ``size``
    bytes per value."""
    params = fixed.params
    value_of: dict[str, Callable[[int], Count]] = {
        "macs": macs.__getitem__,
        "flops": lambda j: flops(macs[j], elementwise[j]),
        "params": lambda j: params,
        "params_bytes": lambda j: params * size,
    }
    if peaks is not None:
        value_of["peak_activation_bytes"] = lambda j: peaks(j)[0] * size
        value_of["peak_streamed_bytes"] = lambda j: peaks(j)[1] * size
    checks = [(value_of[metric], limit) for metric, limit in budgets.items()]
    return [j for j in range(len(macs)) if all(value(j) <= limit for value, limit in checks)]
