"""Views drawn with Rich for a capable terminal: bars for shares, a heat map for grids.

Rich is imported only inside ``render_rich``: a pipe or a file never loads it.
"""

import io
import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from mobicalc.numbers import share
from mobicalc.render.target import ASCII, Target, escape, right
from mobicalc.render.text import Grid, choose, grid_blocks, grid_of, notes_of
from mobicalc.views.model import Layout, Style, View

UNLIMITED = 10**9
"""A width no table reaches: to measure a table's natural width."""


def _bar(value: Fraction, largest: Fraction, unicode: bool, width: int = 10) -> str:
    """A bar as long as ``value`` is next to the largest value in its column."""
    eighths = round(float(share(value, largest)) * width * 8)
    if not unicode:
        return "#" * round(eighths / 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def render_rich(views: Iterable[View], target: Target) -> str:
    """Views drawn with Rich for a terminal (Rich is imported only here), as text with escape codes."""
    from rich import box
    from rich.box import Box
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    ascii_head = Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)  # SIMPLE_HEAD in ASCII
    file = io.StringIO()
    console = Console(
        file=file,
        width=target.width,
        force_terminal=target.color,
        color_system="standard" if target.color else None,
        no_color=not target.color,
        legacy_windows=False,
        emoji=False,
        highlight=False,
    )
    unbounded = console.options.update_width(UNLIMITED)

    def drawn(text: str) -> str:
        return text if target.unicode else text.translate(ASCII)

    def table_of(grid: Grid, heat: tuple[float, float] = (0.0, 0.0)) -> Table:
        largest = {
            index: max(
                (Fraction(row[column.key]) for row in grid.rows if row.get(column.key) is not None),
                default=Fraction(0),
            )
            for index, column in enumerate(grid.columns)
            if column.style is Style.SHARE
        }
        table = Table(
            box=box.SIMPLE_HEAD if target.unicode else ascii_head,
            show_header=any(column.header for column in grid.columns),
            show_edge=False,
            pad_edge=False,
            padding=(0, 1, 0, 0),  # with the column separator: two spaces between columns, as plain text
        )
        for column in grid.columns:
            table.add_column(column.header, justify="right" if right(column) else "left", no_wrap=True)
        for row, texts in zip(grid.rows, grid.cells, strict=True):
            cells: list[str | Text] = []
            for index, (text, column) in enumerate(zip(texts, grid.columns, strict=True)):
                value = row.get(column.key)
                if column.style is Style.SHARE and value is not None:
                    text = f"{text:>7} {_bar(value, largest[index], target.unicode)}"
                if column.style is Style.HEAT and value is not None and target.color:
                    cells.append(Text(drawn(text), style=_heat_style(value[0], heat)))
                    continue
                cells.append(drawn(text))
            table.add_row(*cells)
        return table

    def width_of(table: Table) -> int:
        return Measurement.get(console, unbounded, table).maximum

    def draw(view: View, grid: Grid, table: Table) -> None:
        # Never squeeze a number into "5,41…": a table wider than the terminal keeps its width.
        console.width = max(target.width, width_of(table))
        console.print(Text(drawn(escape(view.title)), style="bold"))
        console.print(table)
        console.width = target.width
        for note in notes_of(view, grid.columns):
            console.print(Text(drawn(note)))
        console.print()

    for whole in views:
        heat = _heat_range(whole)
        for view, full in grid_blocks(whole, grid_of(whole, target), target):

            def fits(shown: list[int], full: Grid = full) -> bool:
                return width_of(table_of(full.only(shown))) <= target.width

            grid = full if view.layout is Layout.GRID else full.only(choose(full.columns, fits, target))
            draw(view, grid, table_of(grid, heat))
    return file.getvalue()


def _heat_range(view: View) -> tuple[float, float]:
    """The least and the largest count of a view's heat cells, on a log scale."""
    counts = [
        float(row[column.key][0])
        for column in view.columns
        if column.style is Style.HEAT
        for row in view.rows
        if row.get(column.key) is not None and row[column.key][0] > 0
    ]
    return (math.log(min(counts)), math.log(max(counts))) if counts else (0.0, 0.0)


HEAT = ("white on blue", "black on cyan", "black on green", "black on yellow", "black on red")
"""A heat map in the 16 standard colours, coolest first: every terminal shows them alike."""


def _heat_style(count: Any, heat: tuple[float, float]) -> str:
    low, high = heat
    if count <= 0 or high <= low:
        return HEAT[0]
    position = (math.log(float(count)) - low) / (high - low)
    return HEAT[min(len(HEAT) - 1, int(position * len(HEAT)))]
