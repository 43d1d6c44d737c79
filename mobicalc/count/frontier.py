"""The frontiers of a sweep: the cost frontier (``frontier``), the configurations no other one
dominates, and the accuracy frontier (``accuracy_frontier``) among those with a published top-1.

For the cost frontier, one configuration dominates another when it has at least as much alpha
and an input size at least as large for no more MACs and no more params. For the accuracy
frontier, when it has at least as much top-1 for no more MACs (and more of one or fewer of the other).
"""

from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple

from mobicalc.count import arguments
from mobicalc.count.costs import Cost
from mobicalc.errors import NetworkError
from mobicalc.model.layers import Resolution, normal_resolution


def _sides(size: Resolution) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else size


Least = int | Fraction | None


class _LeastTree:
    """A Fenwick tree over ranks 1..n: the least value taken at any rank up to a given one."""

    def __init__(self, n: int) -> None:
        self.cells: list[Least] = [None] * (n + 1)

    def least(self, rank: int) -> Least:
        best, cells = None, self.cells
        while rank > 0:
            value = cells[rank]
            if value is not None and (best is None or value < best):
                best = value
            rank -= rank & -rank
        return best

    def take(self, rank: int, value: int | Fraction) -> None:
        cells = self.cells
        while rank < len(cells):
            current = cells[rank]
            if current is None or value < current:
                cells[rank] = value
            rank += rank & -rank


class _SquareIndex:
    """Square sizes, ordered by themselves: a two-dimensional tree over the ranks of alpha and size
    (rank 1 the largest), so one query covers every configuration at least as large."""

    def __init__(self, points: Sequence[tuple[Fraction, int]], alpha_rank: dict[Fraction, int]) -> None:
        sizes = sorted({point[1] for point in points}, reverse=True)
        size_rank = {size: index + 1 for index, size in enumerate(sizes)}
        self.keys = [(alpha_rank[point[0]], size_rank[point[1]]) for point in points]
        self.larger_first = self.keys
        self.rows = [_LeastTree(len(sizes)) for _ in range(len(alpha_rank) + 1)]

    def least(self, key: tuple[int, int]) -> Least:
        a, r = key
        best = None
        while a > 0:
            value = self.rows[a].least(r)
            if value is not None and (best is None or value < best):
                best = value
            a -= a & -a
        return best

    def take(self, key: tuple[int, int], params: int | Fraction) -> None:
        a, r = key
        while a < len(self.rows):
            self.rows[a].take(r, params)
            a += a & -a


class _SizedIndex:
    """Resolutions only partly ordered (a HEIGHTxWIDTH among them: at least another when both sides are):
    a tree over alpha ranks per size, queried for every size at least the one asked about
    (``MAX_SIZED`` sizes at most)."""

    def __init__(
        self, points: Sequence[tuple[Fraction, Resolution]], alpha_rank: dict[Fraction, int]
    ) -> None:
        sizes = list(dict.fromkeys(point[1] for point in points))
        sides = [_sides(size) for size in sizes]
        self.at_least = [
            [j for j, (h, w) in enumerate(sides) if h >= height and w >= width] for height, width in sides
        ]
        size_index = {size: index for index, size in enumerate(sizes)}
        self.keys = [(alpha_rank[point[0]], size_index[point[1]]) for point in points]
        self.larger_first = [(a, -sum(sides[s])) for a, s in self.keys]  # a larger size has more sides
        self.trees = [_LeastTree(len(alpha_rank)) for _ in sizes]

    def least(self, key: tuple[int, int]) -> Least:
        a, s = key
        found = [value for j in self.at_least[s] if (value := self.trees[j].least(a)) is not None]
        return min(found) if found else None

    def take(self, key: tuple[int, int], params: int | Fraction) -> None:
        a, s = key
        self.trees[s].take(a, params)


class Run(NamedTuple):
    """Configurations in a row of a sweep that share their alpha and their params (a table's width)."""

    alpha: Fraction
    params: int | Fraction
    sizes: Sequence[Resolution]
    macs: Sequence[int | Fraction]


def frontier(points: Sequence[tuple[Fraction, Resolution, Cost]]) -> list[bool]:
    """For each configuration (alpha, input size, totals): True if no other one dominates it.

    One configuration dominates another when it has at least as much alpha and an input
    size at least as large (square sizes by themselves; with a HEIGHTxWIDTH among them,
    height and width each at least) for no more MACs and no more params, and differs from
    it. The frontier is what a budget leaves worth having: nothing else gives as much
    network for as little. Pass only the configurations within budget, sizes as ``sizes``
    gives them (a square is a number, never a pair). ``run_frontiers`` decides it.
    """
    runs: list[Run] = []
    for alpha, size, totals in _read(points):
        params = totals.params
        if not runs or runs[-1].alpha != alpha or runs[-1].params != params:
            runs.append(Run(alpha, params, [], []))
        runs[-1].sizes.append(size)  # type: ignore[attr-defined]  # the lists just made
        runs[-1].macs.append(totals.macs)  # type: ignore[attr-defined]
    return [mark for marks in run_frontiers(runs) for mark in marks]


def _read(points: Sequence[tuple[Fraction, Resolution, Cost]]) -> list[tuple[Fraction, Resolution, Cost]]:
    """The points as ``frontier`` compares them: alphas and sizes read as ``sweep`` reads them (a square
    size a number), or a MobicalcError naming the point."""
    read = []
    for number, point in enumerate(points, 1):
        if not isinstance(point, tuple) or len(point) != 3 or not isinstance(point[2], Cost):
            raise NetworkError(f"point {number} must be (alpha, resolution, totals), not {point!r}")
        size = arguments.resolution(point[1], f"point {number}'s resolution")
        if size is None:
            raise NetworkError(f"point {number} has no resolution")
        read.append((arguments.real(point[0], f"point {number}'s alpha"), normal_resolution(size), point[2]))
    return read


def run_frontiers(runs: Sequence[Run]) -> list[list[bool]]:
    """``frontier`` of the configurations of ``runs``, in order, run by run.

    Exact for any costs: configurations are taken in order of MACs (ties: params, then the
    larger configurations first), so every possible dominator of one is taken before it;
    an index of Fenwick trees keeps the least params taken at or above each alpha and size,
    in O(n log^2 n) for square sizes. When params grow with alpha alone, as in any sweep of a
    table (params do not depend on the input size), only configurations of equal params can
    dominate each other: each group of them is decided on its own, a single width's in one
    pass over its sizes.
    """
    groups = _equal_params(runs)
    by_params = groups is not None
    if groups is None:
        groups = [list(range(len(runs)))]
    result: list[list[bool]] = [[] for _ in runs]
    for group in groups:
        sizes = [size for i in group for size in runs[i].sizes]
        macs = [count for i in group for count in runs[i].macs]
        square = all(isinstance(size, int) for size in sizes)
        if by_params and square and len({runs[i].alpha for i in group}) == 1:
            marks = _one_width(sizes, macs)  # type: ignore[arg-type]  # square sizes: ints
        else:
            alphas = [runs[i].alpha for i in group for _ in runs[i].macs]
            params = [runs[i].params for i in group for _ in runs[i].macs]
            marks = _dominance(alphas, sizes, macs, params)
        start = 0
        for i in group:
            result[i] = marks[start : start + len(runs[i].macs)]
            start += len(runs[i].macs)
    return result


def _equal_params(runs: Sequence[Run]) -> list[list[int]] | None:
    """The runs (their positions) by equal params, when params is a function of alpha that never falls
    as alpha grows; None otherwise."""
    of_alpha: dict[Fraction, int | Fraction] = {}
    by_params: dict[int | Fraction, list[int]] = {}
    for i, run in enumerate(runs):
        if not run.macs:
            continue
        if of_alpha.setdefault(run.alpha, run.params) != run.params:
            return None
        by_params.setdefault(run.params, []).append(i)
    ordered = [of_alpha[alpha] for alpha in sorted(of_alpha)]
    if any(later < earlier for earlier, later in pairwise(ordered)):
        return None
    return list(by_params.values())


def _one_width(sizes: Sequence[int], macs: Sequence[int | Fraction]) -> list[bool]:
    """One alpha's configurations: dominated by a larger size of no more MACs (the first of a size
    given twice stands for both, as in ``_dominance``)."""
    count = len(sizes)
    mark = [False] * count
    least = None  # the least MACs of the sizes larger than those being decided
    order = sorted(range(count), key=sizes.__getitem__, reverse=True)  # stable: a size's first is first
    position = 0
    while position < count:
        first = order[position]
        size, smallest = sizes[first], macs[first]
        mark[first] = least is None or least > smallest
        position += 1
        while position < count and sizes[order[position]] == size:  # the same size again
            smallest = min(smallest, macs[order[position]])
            position += 1
        if least is None or smallest < least:
            least = smallest
    return mark


def _dominance(
    alphas: Sequence[Fraction],
    sizes: Sequence[Resolution],
    macs: Sequence[int | Fraction],
    params: Sequence[int | Fraction],
) -> list[bool]:
    """``frontier`` for any costs (configurations by columns): the index of Fenwick trees."""
    points = list(zip(alphas, sizes, strict=True))
    ranked = sorted(set(alphas), reverse=True)
    alpha_rank = {alpha: index + 1 for index, alpha in enumerate(ranked)}  # 1 = the largest
    index: _SquareIndex | _SizedIndex
    if all(isinstance(size, int) for size in sizes):
        index = _SquareIndex(points, alpha_rank)  # type: ignore[arg-type]
    else:
        index = _SizedIndex(points, alpha_rank)
    order = sorted(range(len(points)), key=lambda i: (macs[i], params[i], index.larger_first[i]))
    result = [False] * len(points)
    seen: set[tuple[int, int]] = set()
    for i in order:
        key = index.keys[i]
        if key in seen:  # the same configuration twice: the first one stands for both
            continue
        seen.add(key)
        best = index.least(key)
        result[i] = best is None or best > params[i]
        index.take(key, params[i])
    return result


def accuracy_frontier(points: Sequence[tuple[int | Fraction, Fraction | None]]) -> list[bool | None]:
    """For each configuration (MACs, published top-1 or None): True if no other configuration with a
    published top-1 beats it, that is has at least its top-1 for no more MACs and is better in one of
    the two; None for a configuration without a published top-1.

    What a budget of MACs buys in accuracy: MobileNetV2 0.5 at 160 (50M MACs, 61.0%) beats both 0.35 at
    224 and 1.0 at 96 (56-59M MACs, 60.3%). Two configurations with the same MACs and top-1 both stand.
    """
    rated = sorted((macs, top1) for macs, top1 in points if top1 is not None)
    best_below: dict[int | Fraction, Fraction | None] = {}  # the best top-1 at fewer MACs than each
    best_at: dict[int | Fraction, Fraction] = {}  # the best top-1 at exactly those MACs
    best: Fraction | None = None
    for macs, top1 in rated:
        if macs not in best_below:
            best_below[macs] = best
        best_at[macs] = max(best_at.get(macs, top1), top1)
        best = top1 if best is None or top1 > best else best
    result: list[bool | None] = []
    for macs, accuracy in points:
        if accuracy is None:
            result.append(None)
            continue
        beaten_by = best_below[macs]
        result.append((beaten_by is None or accuracy > beaten_by) and accuracy == best_at[macs])
    return result
