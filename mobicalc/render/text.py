"""Views for people as aligned plain text (pipes, files, plain terminals) and Markdown.

Text shows as many columns as fit the width, most important first, and never
cuts a number; Markdown shows every column.
"""

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mobicalc.numbers import human, human_bytes
from mobicalc.render.target import ASCII, Target, cell, escape, right
from mobicalc.views.model import WIDE as WIDE_ONLY
from mobicalc.views.model import Column, Layout, Style, View


def render_markdown(views: Iterable[View]) -> str:
    """Every column, for docs and pull requests."""
    parts = []
    for view in views:
        columns, rows = table_of(view)
        lines = [f"### {escape(view.title)}", ""]
        lines.append("| " + " | ".join(column.header for column in columns) + " |")
        lines.append("| " + " | ".join("---:" if right(column) else "---" for column in columns) + " |")
        for row in rows:
            cells = (cell(row.get(column.key), column).replace("|", "\\|") for column in columns)
            lines.append("| " + " | ".join(cells) + " |")
        if notes := notes_of(view, columns):
            lines += ["", *notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


TRANSPOSED = (
    Column("field", "", Style.TEXT),
    Column("value", "", Style.COUNT),
    Column("short", "", Style.TEXT),
)


def table_of(view: View) -> tuple[tuple[Column, ...], list[dict[str, Any]]]:
    """The columns and rows a person reads: a record view is turned on its side, one line per field."""
    if view.layout is not Layout.RECORD:
        return view.columns, view.rows
    record = view.rows[0]
    rows = []
    for column in view.columns:
        value = record[column.key]
        if column.style in (Style.COUNT, Style.BYTES) and value is not None:
            short = human(value) if column.style is Style.COUNT else human_bytes(value)
            rows.append({"field": column.header, "value": value, "short": short, "_column": column})
        else:
            rows.append(
                {"field": column.header, "value": None, "short": cell(value, column), "_column": column}
            )
    return TRANSPOSED, rows


def choose(columns: Sequence[Column], fits: Callable[[list[int]], bool], target: Target) -> list[int]:
    """Which columns to show: all with ``--wide``; else the most important that ``fits`` the width.

    Columns go in priority order, all of one priority or none; the always-shown ones stay
    even if they do not fit (a wide line, never a cut number).
    """
    indices = list(range(len(columns)))
    if target.wide:
        return indices
    chosen: list[int] = []
    for priority in sorted({column.priority for column in columns}):
        candidate = [i for i in indices if columns[i].priority <= priority]
        if chosen and not fits(candidate):
            break
        chosen = candidate
    return chosen


@dataclass
class Grid:
    """A view as a person reads it: its columns, each row's cells as text, and the rows' values."""

    columns: list[Column]
    cells: list[list[str]]
    rows: list[dict[str, Any]]

    @property
    def widths(self) -> list[int]:
        headers = [column.header for column in self.columns]
        return [max(len(text) for text in column) for column in zip(headers, *self.cells, strict=True)]

    def only(self, indices: list[int]) -> "Grid":
        return Grid(
            [self.columns[i] for i in indices], [[row[i] for i in indices] for row in self.cells], self.rows
        )


def grid_of(view: View, target: Target) -> Grid:
    """Every column with something in it (records on their side, their wide-only fields left out)."""
    columns, rows = table_of(view)
    if view.layout is Layout.RECORD and not target.wide:
        rows = [row for row in rows if row["_column"].priority < WIDE_ONLY]
    cells = [[cell(row.get(column.key), column) for column in columns] for row in rows]
    keep = [i for i in range(len(columns)) if any(texts[i] for texts in cells) or not rows]
    return Grid(list(columns), cells, rows).only(keep)


def notes_of(view: View, shown: Sequence[Column], target: Target | None = None) -> list[str]:
    """For a ``target`` too narrow for them, which columns were left out and how to see them; then
    the view's notes, then what the columns shown need said (what a share is a share of)."""
    said = [column.note for column in shown if column.note]
    hidden = [
        column.header
        for column in view.columns
        if column not in shown and column.priority < WIDE_ONLY and column.header.strip()
    ]
    left_out = []
    if target is not None and hidden and view.layout not in (Layout.RECORD, Layout.GRID):
        left_out = [f"Left out to fit {target.width} columns: {', '.join(hidden)}; --wide shows them all."]
    return left_out + view.notes + list(dict.fromkeys(said))  # a view's last note may be its verdict


def wrap(text: str, width: int) -> list[str]:
    """A note or title wrapped at spaces only: never inside a number."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def grid_blocks(view: View, full: Grid, target: Target) -> list[tuple[View, Grid]]:
    """A grid view cut into blocks of columns that fit the width, each repeating the always-shown
    columns; the title on the first block, the notes on the last. Other views: themselves, whole."""
    if view.layout is not Layout.GRID or target.wide:
        return [(view, full)]
    widths = full.widths
    fixed = [i for i, column in enumerate(full.columns) if column.priority <= 1]
    room = target.width - sum(widths[i] + 2 for i in fixed)
    blocks: list[list[int]] = [[]]
    used = 0
    for i in range(len(full.columns)):
        if i in fixed:
            continue
        if blocks[-1] and used + widths[i] + 2 > room + 2:
            blocks.append([])
            used = 0
        blocks[-1].append(i)
        used += widths[i] + 2
    pieces = []
    for number, block in enumerate(blocks):
        title = view.title if number == 0 else "(continued)"
        notes = view.notes if number == len(blocks) - 1 else []
        piece = View(title, view.columns, view.rows, notes, view.layout)
        pieces.append((piece, full.only(sorted(fixed + block))))
    return pieces


def render_text(views: Iterable[View], target: Target) -> str:
    """Views as aligned plain text: what pipes, files and plain terminals get."""
    blocks = []
    for view, full in (
        piece for whole in views for piece in grid_blocks(whole, grid_of(whole, target), target)
    ):

        def fits(shown: list[int], widths: list[int] = full.widths) -> bool:
            return sum(widths[i] + 2 for i in shown) - 2 <= target.width

        whole_grid = view.layout is Layout.GRID
        grid = full if whole_grid else full.only(choose(full.columns, fits, target))
        widths, columns = grid.widths, grid.columns

        def aligned(texts: list[str], widths: list[int] = widths, columns: list[Column] = columns) -> str:
            return "  ".join(
                text.rjust(width) if right(column) else text.ljust(width)
                for text, width, column in zip(texts, widths, columns, strict=True)
            ).rstrip()

        lines = [*wrap(escape(view.title), target.width), ""]
        headers = [column.header for column in grid.columns]
        if any(headers):
            lines += [aligned(headers), "  ".join("-" * width for width in widths)]
        lines += [aligned(texts) for texts in grid.cells]
        if notes := notes_of(view, grid.columns, target):
            lines.append("")
            for note in notes:
                lines += wrap(note, target.width)
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks) + "\n"
    return text if target.unicode else text.translate(ASCII)
