"""Views for people as aligned plain text (pipes, files, plain terminals) and Markdown.

Text shows as many columns as fit the width, most important first, and never
cuts a number: a long name (a wrapping column's text) continues, indented, on
lines of its own instead. Markdown shows every column.
"""

import re
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
    Column("short", "", Style.TEXT, wraps=True),  # a short form, or a text value (a layer's name)
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


FOLDED = 24
"""The width a wrapping column (``Column.wraps``) counts for when columns are chosen, or its own if
narrower: its longest texts may continue on lines of their own rather than leave out other columns.
It then takes what room the chosen columns leave, up to its widest text."""
NARROWEST = 16
"""The least a wrapping column is folded to, when the always-shown columns leave it less than ``FOLDED``."""
INDENT = "  "
"""Before a folded text's later lines: a continuation, not another row's text."""
SEPARATED = r"(?<=[/_.\- ])(?![0-9])"
"""Where a name may be folded: after a separator, unless a number follows (``block_0_`` stays whole)."""


def choosing_widths(columns: Sequence[Column], widths: list[int]) -> list[int]:
    """The widths that choosing columns counts: a wrapping column's at most ``FOLDED``."""
    return [
        min(width, max(FOLDED, len(column.header))) if column.wraps else width
        for column, width in zip(columns, widths, strict=True)
    ]


def folded_text(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` characters, broken after separators, the later lines
    indented; a piece longer than a line is cut (a name, never a number).

    >>> folded_text("convnext_tiny_stage_0_block_10_depthwise_conv", 24)
    ['convnext_tiny_stage_0_', '  block_10_depthwise_', '  conv']
    """
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    line = ""
    for piece in re.split(SEPARATED, text):
        room = width - (len(INDENT) if lines else 0)
        if line and len(line) + len(piece) > room:
            lines.append(line)
            line, room = "", width - len(INDENT)
        line += piece
        while len(line) > room:
            lines.append(line[:room])
            line, room = line[room:], width - len(INDENT)
    lines.append(line)
    return [lines[0], *(INDENT + rest for rest in lines[1:])]


def fold(
    columns: Sequence[Column],
    cells: list[list[str]],
    rows: list[dict[str, Any]],
    width: int,
    measure: Callable[[str], int] = len,
) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """The cells and rows of a table wider than ``width`` with its wrapping columns folded, as far as
    ``NARROWEST``, until it fits: a row whose text is folded continues on lines of blank cells (and of
    no values: an empty row)."""
    widths = [max(map(measure, texts)) for texts in zip([c.header for c in columns], *cells, strict=True)]
    over = sum(widths) + 2 * (len(widths) - 1) - width
    limits = {}
    for index, column in enumerate(columns):
        if column.wraps and over > 0:
            least = max(min(NARROWEST, widths[index]), measure(column.header))
            limits[index] = max(widths[index] - over, least)
            over -= widths[index] - limits[index]
    if not any(limits[index] < widths[index] for index in limits):
        return cells, rows
    folded_cells, folded_rows = [], []
    for texts, row in zip(cells, rows, strict=True):
        pieces = {index: folded_text(texts[index], limit) for index, limit in limits.items()}
        for line in range(max(map(len, pieces.values()))):
            folded_cells.append(
                [
                    (pieces[i][line] if line < len(pieces[i]) else "")
                    if i in pieces
                    else (text * (line == 0))
                    for i, text in enumerate(texts)
                ]
            )
            folded_rows.append(row if line == 0 else {})
    return folded_cells, folded_rows


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

    def folded(self, width: int) -> "Grid":
        """Its wrapping columns folded to fit ``width`` (``fold``)."""
        return Grid(self.columns, *fold(self.columns, self.cells, self.rows, width))


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
        counted = choosing_widths(full.columns, full.widths)

        def fits(shown: list[int], widths: list[int] = counted) -> bool:
            return sum(widths[i] + 2 for i in shown) - 2 <= target.width

        whole_grid = view.layout is Layout.GRID
        grid = full if whole_grid else full.only(choose(full.columns, fits, target))
        if not target.wide:
            grid = grid.folded(target.width)
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
