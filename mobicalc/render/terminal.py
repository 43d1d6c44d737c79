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
from mobicalc.render.text import Grid, choose, choosing_widths, fold, grid_blocks, grid_of, notes_of, wrap
from mobicalc.views.model import Layout, Style, View


def _bar(value: Fraction, largest: Fraction, unicode: bool, width: int = 10) -> str:
    """A bar as long as ``value`` is next to the largest value in its column."""
    eighths = round(float(share(value, largest)) * width * 8)
    if not unicode:
        return "#" * round(eighths / 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def render_rich(views: Iterable[View], target: Target) -> str:
    """Views drawn with Rich for a terminal (Rich is imported only here), as text with escape codes.

    Every cell is known before Rich sees it, so the columns' widths are worked out here (as Rich
    would measure them: each column as wide as its widest cell, two spaces between columns) and
    given to Rich, which then measures nothing.
    """
    from rich.cells import cell_len
    from rich.console import Console
    from rich.style import Style as RichStyle
    from rich.text import Text

    styles = {name: RichStyle.parse(name) for name in HEAT}

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

    def drawn(text: str) -> str:
        return text if target.unicode else text.translate(ASCII)

    def lines(text: str, bold: bool = False) -> None:
        """A title or note wrapped as plain text wraps it, written beside Rich's output (cheaper than
        Rich's printing a line at a time); a title in bold where colour is on."""
        for line in wrap(drawn(text), target.width):
            file.write(f"\x1b[1m{line}\x1b[0m\n" if bold and target.color and line else line + "\n")

    def shown_cells(grid: Grid) -> list[list[str]]:
        """Each row's cells as drawn: a share with its bar against the largest in its column."""
        largest = {
            index: max(
                (Fraction(row[column.key]) for row in grid.rows if row.get(column.key) is not None),
                default=Fraction(0),
            )
            for index, column in enumerate(grid.columns)
            if column.style is Style.SHARE
        }
        cells = []
        for row, texts in zip(grid.rows, grid.cells, strict=True):
            line = []
            for index, (text, column) in enumerate(zip(texts, grid.columns, strict=True)):
                if index in largest and row.get(column.key) is not None:
                    text = f"{text:>7} {_bar(row[column.key], largest[index], target.unicode)}"
                line.append(drawn(text))
            cells.append(line)
        return cells

    def widths_of(grid: Grid, cells: list[list[str]]) -> list[int]:
        headers = [drawn(column.header) for column in grid.columns]
        return [max(map(cell_len, column)) for column in zip(headers, *cells, strict=True)]

    def width_of(widths: list[int]) -> int:
        return sum(widths) + 2 * (len(widths) - 1)  # a space of padding and a space of rule between

    def table_of(grid: Grid, cells: list[list[str]], heat: tuple[float, float]) -> Text:
        """The table as one Rich text of cells already justified and padded, drawn as Rich's SIMPLE_HEAD
        table with ``padding=(0, 1, 0, 0)`` draws it (a bold header, a rule under it, two spaces
        between columns): Rich's Table would measure, pad and render every cell again."""
        widths = widths_of(grid, cells)
        last = len(widths) - 1

        def padded(text: str, index: int) -> str:
            if right(grid.columns[index]):
                text = text.rstrip()  # as Rich justifies right
                text = " " * (widths[index] - cell_len(text)) + text
            else:
                text += " " * (widths[index] - cell_len(text))
            return text if index == last else text + " "  # a space of padding, then the rule's

        table = Text(no_wrap=True, overflow="ignore")
        if any(column.header for column in grid.columns):
            for index, column in enumerate(grid.columns):
                table.append(padded(drawn(column.header), index), style="bold")
                table.append(" " if index != last else "\n")
            table.append(("─" if target.unicode else "-") * width_of(widths) + "\n")
        for row, texts in zip(grid.rows, cells, strict=True):
            for index, (text, column) in enumerate(zip(texts, grid.columns, strict=True)):
                value = row.get(column.key)
                style = None
                if column.style is Style.HEAT and value is not None and target.color:
                    style = styles[_heat_style(value[0], heat)]
                table.append(padded(text, index), style=style)
                table.append(" " if index != last else "\n")
        table.rstrip()
        return table

    for whole in views:
        heat = _heat_range(whole)
        for view, full in grid_blocks(whole, grid_of(whole, target), target):
            cells = shown_cells(full)
            widths = choosing_widths(full.columns, widths_of(full, cells))

            def fits(shown: list[int], widths: list[int] = widths) -> bool:
                return width_of([widths[i] for i in shown]) <= target.width

            chosen = list(range(len(full.columns)))
            if view.layout is not Layout.GRID:
                chosen = choose(full.columns, fits, target)
            grid = full.only(chosen)
            cells_shown = [[line[i] for i in chosen] for line in cells]
            if not target.wide:
                cells_shown, rows = fold(grid.columns, cells_shown, grid.rows, target.width, cell_len)
                grid = Grid(grid.columns, cells_shown, rows)
            # Never squeeze a number into "5,41…": a table wider than the terminal keeps its width.
            console.width = max(target.width, width_of(widths_of(grid, cells_shown)))
            lines(escape(view.title), bold=True)
            console.print(table_of(grid, cells_shown, heat))
            for note in notes_of(view, grid.columns, target):
                lines(note)
            file.write("\n")
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
