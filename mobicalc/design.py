"""The design space of a sweep: exact value ranges, the budget frontier, published accuracy.

Pure functions over plain values: no Click, no Rich, no I/O beyond reading the
package's own accuracy data. ``values`` reads ``0.25,0.5`` and ``0.25:1.4:0.05``
exactly (Fractions, the stop included); ``frontier`` decides which configurations
no other configuration dominates; ``published_top1`` gives the ImageNet top-1 of
the released TF-slim checkpoints, with its source.
"""

import math
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

from mobicalc.costs import Cost
from mobicalc.engine import check_budgets
from mobicalc.formats import exact_decimal
from mobicalc.memory import Memory

MAX_CONFIGURATIONS = 1_000_000
"""The most alpha x resolution configurations one sweep may have."""
MAX_MEMORY_CONFIGURATIONS = 10_000
"""The most configurations of a sweep with a memory budget: each costs its every layer (~1 ms)."""
MAX_ITEM_CHARACTERS = 100
"""The longest number, or start:stop:step range, in a list."""

NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


class RangeError(ValueError):
    """A list or range of values that cannot be swept; the message says why, for a person."""


def _number(text: str, what: str, integer: bool) -> Fraction:
    if not NUMBER.fullmatch(text):
        if text.startswith("-"):
            raise RangeError(f"{what} {text!r} is negative: values and steps must be positive")
        raise RangeError(f"{what} {text!r} is not a number")
    value = Fraction(text)
    if integer and value.denominator != 1:
        raise RangeError(f"{what} {text!r} is not a whole number")
    return value


def _items(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise RangeError("no values: give numbers, e.g. 0.5,1, or a range start:stop:step")
    for item in items:
        if not item:
            raise RangeError(f"an empty item in {text!r}: separate values with single commas")
        if len(item) > MAX_ITEM_CHARACTERS:
            raise RangeError(
                f"{item[:12]}... ({len(item):,} characters) is too long: at most {MAX_ITEM_CHARACTERS}"
            )
    return items


def _item_bounds(item: str, integer: bool) -> tuple[Fraction, Fraction, Fraction, range]:
    """start, stop, step of one item, and ``range(n)`` for its n values (a single value: 1)."""
    parts = item.split(":")
    if len(parts) == 1:
        value = _number(item, "value", integer)
        return value, value, Fraction(1), range(1)
    if len(parts) != 3:
        raise RangeError(f"{item!r} is not a range: write start:stop:step, e.g. 96:224:32")
    start = _number(parts[0], "start", integer)
    stop = _number(parts[1], "stop", integer)
    step = _number(parts[2], "step", integer)
    if step == 0:
        raise RangeError(f"{item!r}: the step is zero")
    if stop < start:
        raise RangeError(f"{item!r} is empty: the stop {parts[1]} is below the start {parts[0]}")
    steps = math.floor((stop - start) / step)  # as seq: the stop if the step reaches it, else the last below
    if steps >= MAX_CONFIGURATIONS:
        raise RangeError(f"{item!r} has {steps + 1:,} values: a sweep has at most {MAX_CONFIGURATIONS:,}")
    return start, stop, step, range(steps + 1)


def values(text: str, *, integer: bool = False, what: str = "value") -> list[Fraction]:
    """The values of a comma-separated list of numbers and ranges, exactly, each once, in order.

    A range ``start:stop:step`` includes its stop when the step reaches it exactly, as
    ``seq`` does: ``0.25:1.4:0.05`` is 0.25, 0.30, ..., 1.40 (24 values); ``96:293:2`` ends
    at 292 (``short_ranges`` says so). Values must be positive
    (``integer``: whole numbers too); steps positive; a range's stop at least its start.
    A value given twice is kept once, where it first appears.
    """
    seen: dict[Fraction, None] = {}
    total = 0
    for item in _items(text):
        start, _, step, indices = _item_bounds(item, integer)
        total += len(indices)
        if total > MAX_CONFIGURATIONS:
            raise RangeError(f"{text[:40]!r} has over {MAX_CONFIGURATIONS:,} values")
        for index in indices:
            seen.setdefault(start + index * step, None)
    found = list(seen)
    for value in found:
        if value <= 0:
            raise RangeError(f"{what} {exact_decimal(value)} is not positive")
    return found


MAX_SIZED = 100
"""The most input sizes a sweep may have when one of them is HEIGHTxWIDTH (its frontier is slower)."""


def sizes(text: str) -> list[int | tuple[int, int]]:
    """Input sizes: whole numbers and ranges as ``values`` reads them, or ``HEIGHTxWIDTH`` items.

    A square given as a pair (``160x160``) is the number ``160``; each size is kept once.
    """
    found: dict[int | tuple[int, int], None] = {}
    numbers: list[str] = []
    for item in _items(text):
        if "x" not in item.lower():
            numbers.append(item)
            continue
        sides = item.lower().split("x")
        if len(sides) != 2:
            raise RangeError(f"{item!r} is not an input size: write HEIGHTxWIDTH, e.g. 192x256")
        height, width = (int(_number(side.strip(), "side", integer=True)) for side in sides)
        if not height or not width:
            raise RangeError(f"{item!r}: a side of 0 pixels")
        found.setdefault(height if height == width else (height, width), None)
    if numbers:
        for value in values(",".join(numbers), integer=True, what="resolution"):
            found.setdefault(int(value), None)
    result = list(found)
    if any(isinstance(size, tuple) for size in result) and len(result) > MAX_SIZED:
        raise RangeError(
            f"{len(result):,} sizes with a HEIGHTxWIDTH among them: a sweep of non-square sizes has at "
            f"most {MAX_SIZED}"
        )
    return result


def short_ranges(text: str, integer: bool = False) -> list[str]:
    """A line for each range of ``text`` whose step does not reach its stop: where it ends instead."""
    lines = []
    for item in _items(text):
        if "x" in item.lower():  # an input size HEIGHTxWIDTH: no range
            continue
        start, stop, step, indices = _item_bounds(item, integer)
        last = start + (len(indices) - 1) * step
        if last != stop:
            lines.append(
                f"{item} ends at {exact_decimal(last)}: the step {exact_decimal(step)} does not reach "
                f"{exact_decimal(stop)} (ranges include the stop only when the step lands on it)"
            )
    return lines


Size = int | tuple[int, int]


def _sides(size: Size) -> tuple[int, int]:
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

    def __init__(self, points: Sequence[tuple[Fraction, int, Cost]], alpha_rank: dict[Fraction, int]) -> None:
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
    """Sizes only partly ordered (a HEIGHTxWIDTH among them: at least another when both sides are):
    a tree over alpha ranks per size, queried for every size at least the one asked about
    (``MAX_SIZED`` sizes at most)."""

    def __init__(
        self, points: Sequence[tuple[Fraction, Size, Cost]], alpha_rank: dict[Fraction, int]
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


def frontier(points: Sequence[tuple[Fraction, Size, Cost]]) -> list[bool]:
    """For each configuration (alpha, input size, totals): True if no other one dominates it.

    One configuration dominates another when it has at least as much alpha and an input
    size at least as large (square sizes by themselves; with a HEIGHTxWIDTH among them,
    height and width each at least) for no more MACs and no more params, and differs from
    it. The frontier is what a budget leaves worth having: nothing else gives as much
    network for as little. Pass only the configurations within budget, sizes as ``sizes``
    gives them (a square is a number, never a pair).

    Exact for any costs: configurations are taken in order of MACs (ties: params, then the
    larger configurations first), so every possible dominator of one is taken before it;
    an index of Fenwick trees keeps the least params taken at or above each alpha and size,
    in O(n log^2 n) for square sizes.
    """
    alphas = sorted({point[0] for point in points}, reverse=True)
    alpha_rank = {alpha: index + 1 for index, alpha in enumerate(alphas)}  # 1 = the largest
    index: _SquareIndex | _SizedIndex
    if all(isinstance(point[1], int) for point in points):
        index = _SquareIndex(points, alpha_rank)  # type: ignore[arg-type]
    else:
        index = _SizedIndex(points, alpha_rank)
    # Keys and params once per configuration: a Fraction hashes slowly and params is a sum.
    params = [point[2].params for point in points]
    order = sorted(range(len(points)), key=lambda i: (points[i][2].macs, params[i], index.larger_first[i]))
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


# --- published accuracy ----------------------------------------------------------------

ACCURACY_FILE = Path(__file__).parent / "data" / "accuracy.toml"


@dataclass(frozen=True)
class Published:
    """The released checkpoints of one built-in table: top-1 by (alpha, resolution), and the source."""

    model: str
    source: str
    url: str
    metric: str
    top1: dict[tuple[Fraction, int], Fraction]

    @property
    def citation(self) -> str:
        """The source and where it is, short enough for a terminal: repository@commit path."""
        match = re.fullmatch(r"https://github.com/([^/]+/[^/]+)/blob/([0-9a-f]{7})[0-9a-f]*/(.+)", self.url)
        return f"{self.source}, {match[1]}@{match[2]} {match[3]}" if match else f"{self.source}, {self.url}"


@cache
def published_top1(table: str) -> Published | None:
    """The published top-1 of the released checkpoints for built-in table ``table`` ("v1", "v2"), or None."""
    data = tomllib.loads(ACCURACY_FILE.read_text("utf-8"))
    entry = data.get(table)
    if entry is None:
        return None
    top1 = {
        (Fraction(row["alpha"]), int(row["resolution"])): Fraction(row["top1"])
        for row in entry["checkpoints"]
    }
    return Published(entry["model"], entry["source"], entry["url"], entry["metric"], top1)


def released(
    table: str, classes: int | None, include_top: bool, rounding: str
) -> tuple[Published | None, str]:
    """The published accuracy that applies to a sweep of ``table`` with these options, or why none does.

    The figures belong to the released checkpoints: a built-in table, with its
    classifier (1000 classes as keras.applications, or the checkpoints' own 1001)
    and keras.applications' channel rounding, the widths the checkpoints have.
    """
    published = published_top1(table) if table in ("v1", "v2") else None
    if published is None:
        return None, "no published accuracy: only the built-in v1 and v2 have released checkpoints"
    if not include_top or classes not in (None, 1000, 1001):
        return None, "no published accuracy: the released checkpoints have a 1000-class (1001) classifier"
    if rounding != "keras":
        return None, "no published accuracy: the released checkpoints' channels are those of --rounding keras"
    return published, ""


@dataclass(frozen=True)
class Configuration:
    """One configuration of a sweep that is within budget, with its verdicts."""

    alpha: Fraction
    resolution: Size
    """A number (square) or (height, width)."""
    totals: Cost
    frontier: bool
    """No other configuration within budget dominates it (see ``frontier``)."""
    top1: Fraction | None
    """The published top-1 (percent) of the released checkpoint with this alpha and resolution, if any."""


def design_space(
    points: Sequence[tuple[Fraction, Size, Cost]],
    budgets: dict[str, Fraction] | None = None,
    published: Published | None = None,
    memory_of: Callable[[Fraction, Size], Memory] | None = None,
) -> list[Configuration]:
    """The configurations within ``budgets`` (all without), in order, each marked frontier or not.

    ``memory_of`` gives a configuration's memory figures, for budgets in bytes.
    """
    budgets = budgets or {}
    kept = [
        point
        for point in points
        if not budgets
        or check_budgets(point[2], budgets, memory_of(point[0], point[1]) if memory_of else None).ok
    ]
    marks = frontier(kept)
    top1 = published.top1 if published is not None else {}
    sizes = {size for _, size in top1}  # an int test first: a Fraction hashes slowly
    return [
        Configuration(
            alpha, resolution, totals, mark, top1.get((alpha, resolution)) if resolution in sizes else None
        )
        for (alpha, resolution, totals), mark in zip(kept, marks, strict=True)
    ]


def most_accurate(configurations: Sequence[Configuration]) -> Configuration | None:
    """The released configuration with the highest published top-1 (fewer MACs on a tie), or None."""
    rated = [configuration for configuration in configurations if configuration.top1 is not None]
    return min(rated, key=lambda c: (-(c.top1 or 0), c.totals.macs), default=None)
