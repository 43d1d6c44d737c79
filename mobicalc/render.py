"""Views as JSON, CSV, Markdown, plain text or Rich: one renderer per format.

Renderers know nothing about MobileNets: they read a view's columns and rows.
Numbers stay exact until here. For people, text and Rich show as many columns
as fit the terminal, most important first, and never cut a number; CSV and
JSON give every column, raw. A ``Target`` says what the output can show.
"""

import csv
import io
import json
import math
import os
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, TextIO

from mobicalc.formats import exact_decimal, grouped, human, human_bytes, percent, share
from mobicalc.rounding import significant
from mobicalc.views import WIDE as WIDE_ONLY
from mobicalc.views import Column, Layout, Report, Style, View

FORMATS = ("table", "json", "csv", "markdown")

ASCII = str.maketrans({"·": "*", "²": "^2", "✓": "ok", "✗": "X", "…": "..."})
"""What the symbols of the views become where the output cannot show them."""

UNLIMITED = 10**9


@dataclass(frozen=True)
class Target:
    """Where a table goes: how wide it may be, and what it may draw."""

    width: int = 80
    wide: bool = False
    """Every column, whatever the width."""
    rich: bool = False
    """Draw with Rich (a capable terminal), else aligned plain text."""
    color: bool = False
    unicode: bool = True


def detect(stream: TextIO, wide: bool = False) -> Target:
    """What ``stream`` can show: Rich on a capable terminal; colour as NO_COLOR and FORCE_COLOR say.

    Width: ``COLUMNS`` if set, else the terminal's, else 80 (a pipe or a file).
    """
    encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("_", "-")
    unicode = encoding in ("utf-8", "utf8", "utf-16", "utf-32") and not _c_locale()
    term = os.environ.get("TERM", "")
    force = os.environ.get("FORCE_COLOR")
    forced = force is not None and force not in ("", "0")
    try:
        tty = stream.isatty()
    except (ValueError, OSError):
        tty = False
    capable = tty and term not in ("dumb", "unknown")
    color = (capable or forced) and "NO_COLOR" not in os.environ and force != "0"
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(stream.fileno()).columns if tty else 80
        except (OSError, ValueError, AttributeError):
            columns = 80
    return Target(width=max(columns, 20), wide=wide, rich=capable or forced, color=color, unicode=unicode)


def _c_locale() -> bool:
    """The user asked for the C (ASCII) locale, which Python itself coerces to UTF-8 (PEP 538).

    PYTHONIOENCODING, when set, says what the output takes and wins.
    """
    if os.environ.get("PYTHONIOENCODING"):
        return False
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        if value := os.environ.get(name):
            return value in ("C", "POSIX")
    return False


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """Control characters and newlines as visible escapes: a name never breaks a line or a terminal."""
    return CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def _ratio(value: Fraction) -> str:
    """Four decimals, as ratios near 1 read best (0.1736); past a million, four significant digits."""
    return f"{float(value):.4f}" if abs(value) < 10**6 else f"{significant(value, 4):g}"


def cell(value: Any, column: Column) -> str:
    """A value as a person reads it."""
    if value is None:
        return ""
    style = column.style
    if style in (Style.COUNT, Style.BYTES):
        return grouped(value)
    if style is Style.SHAPE:
        return "x".join(exact_decimal(size) for size in value)
    if style is Style.SHARE:
        return percent(value)
    if style is Style.RATIO:
        return _ratio(value)
    if style is Style.VERDICT:
        return column.words[0] if value else column.words[1]
    if style is Style.DECIMAL:
        return exact_decimal(value)
    if style is Style.SHORT:
        return human(value)
    if style is Style.HEAT:
        return human(value[0]) + value[1]
    if style is Style.SIZE:
        return str(value) if isinstance(value, int) else "x".join(map(str, value))
    if isinstance(value, list):
        return json.dumps(value)
    return escape(str(value))


SHAPE_FIELDS = ("height", "width", "channels")


def fields(value: Any, column: Column) -> dict[str, Any]:
    """A value as machines read it, under its key (a shape: three numeric keys)."""
    if column.style is Style.SHAPE:
        parts = value if value is not None else (None,) * 3
        return {f"{column.key}_{name}": part for name, part in zip(SHAPE_FIELDS, parts, strict=True)}
    if value is not None and column.style in (Style.SHARE, Style.RATIO):
        value = float(value) if abs(value) < 10**300 else str(significant(value, 17))
    return {column.key: value}


RAW = frozenset(Style) - {Style.SHAPE, Style.SHARE, Style.RATIO}
"""The styles whose values machines read as they are."""


def _record(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in columns:
        if column.style in RAW:  # most columns: no call, as a view of 10,000 rows has 100,000 cells
            record[column.key] = row.get(column.key)
        else:
            record.update(fields(row.get(column.key), column))
    return record


def _json_value(value: Any) -> Any:
    if isinstance(value, View):
        records = [_record(row, value.columns) for row in value.rows]
        if value.layout is Layout.RECORD:
            return records[0]
        if value.layout is Layout.BY_FIRST:
            first = value.columns[0].key
            return {record.pop(first): record for record in records}
        return records
    if isinstance(value, dict):
        document: dict[str, Any] = {}
        for key, item in value.items():
            if key is None:
                document.update(_json_value(item))
            else:
                document[key] = _json_value(item)
        return document
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def render_json(document: Any) -> str:
    """JSON with exact numbers: ints as ints, exact-rounding fractions as exact decimals.

    Scalars are written by type, without a json.dumps call each (what json.dumps
    would write): a sweep's 10,000 rows have 110,000 of them.
    """
    fractions: dict[int, str] = {}  # by id: rows share their Fraction objects, which hash slowly
    prefixes: dict[tuple[int, Any], str] = {}

    def prefix(depth: int, key: Any) -> str:
        """``  "key": `` at a depth, made once per key: rows repeat their keys."""
        text = prefixes.get((depth, key))
        if text is None:
            text = prefixes[depth, key] = f"{'  ' * (depth + 1)}{json_string(str(key))}: "
        return text

    def scalar(value: Any) -> str:
        kind = type(value)
        if kind is int:
            return int.__repr__(value)
        if kind is str:
            return json_string(value)
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is float and math.isfinite(value):
            return float.__repr__(value)
        if kind is Fraction:
            text = fractions.get(value)
            if text is None:
                text = exact_decimal(value)
                text = fractions[value] = (
                    json.dumps(text) if "/" in text else text
                )  # no JSON number holds 1/3
            return text
        if isinstance(value, Fraction):
            text = exact_decimal(value)
            return json.dumps(text) if "/" in text else text
        return json.dumps(value)

    def encode(value: Any, depth: int) -> str:
        if not isinstance(value, dict | list | tuple):
            return scalar(value)
        pad, inner = "  " * depth, "  " * (depth + 1)
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [
                prefix(depth, key)
                + (encode(item, depth + 1) if isinstance(item, dict | list | tuple) else scalar(item))
                for key, item in value.items()
            ]
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        if not value:
            return "[]"
        if all(not isinstance(item, dict | list | tuple) for item in value):
            return "[" + ", ".join(scalar(item) for item in value) + "]"
        return "[\n" + ",\n".join(f"{inner}{encode(item, depth + 1)}" for item in value) + f"\n{pad}]"

    return encode(_json_value(document), 0) + "\n"


json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""A string as json.dumps writes it (ASCII, escaped), without json.dumps' call overhead."""


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Fraction):
        return exact_decimal(value)
    if isinstance(value, float):
        return f"{significant(Fraction(value), 17):g}"
    if isinstance(value, list):
        return json.dumps(value)
    return escape(str(value))


def render_csv(view: View) -> str:
    """One view (the layers, the parts of a comparison, the budgets) as CSV: every column, raw."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    records = [_record(row, view.columns) for row in view.rows]
    header = list(records[0]) if records else [column.key for column in view.columns]
    writer.writerow(header)
    for record in records:
        writer.writerow(_csv_text(record[key]) for key in header)
    return buffer.getvalue()


def _right(column: Column) -> bool:
    return column.style not in (Style.TEXT, Style.VERDICT)


def render_markdown(views: Iterable[View]) -> str:
    """Every column, for docs and pull requests."""
    parts = []
    for view in views:
        columns, rows = _table_of(view)
        lines = [f"### {escape(view.title)}", ""]
        lines.append("| " + " | ".join(column.header for column in columns) + " |")
        lines.append("| " + " | ".join("---:" if _right(column) else "---" for column in columns) + " |")
        for row in rows:
            cells = (cell(row.get(column.key), column).replace("|", "\\|") for column in columns)
            lines.append("| " + " | ".join(cells) + " |")
        if notes := _notes(view, columns):
            lines += ["", *notes]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


TRANSPOSED = (
    Column("field", "", Style.TEXT),
    Column("value", "", Style.COUNT),
    Column("short", "", Style.TEXT),
)


def _table_of(view: View) -> tuple[tuple[Column, ...], list[dict[str, Any]]]:
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
class _Grid:
    """A view as a person reads it: its columns, each row's cells as text, and the rows' values."""

    columns: list[Column]
    cells: list[list[str]]
    rows: list[dict[str, Any]]

    @property
    def widths(self) -> list[int]:
        headers = [column.header for column in self.columns]
        return [max(len(text) for text in column) for column in zip(headers, *self.cells, strict=True)]

    def only(self, indices: list[int]) -> "_Grid":
        return _Grid(
            [self.columns[i] for i in indices], [[row[i] for i in indices] for row in self.cells], self.rows
        )


def _grid(view: View, target: Target) -> _Grid:
    """Every column with something in it (records on their side, their wide-only fields left out)."""
    columns, rows = _table_of(view)
    if view.layout is Layout.RECORD and not target.wide:
        rows = [row for row in rows if row["_column"].priority < WIDE_ONLY]
    cells = [[cell(row.get(column.key), column) for column in columns] for row in rows]
    keep = [i for i in range(len(columns)) if any(texts[i] for texts in cells) or not rows]
    return _Grid(list(columns), cells, rows).only(keep)


def _notes(view: View, shown: Sequence[Column]) -> list[str]:
    """The view's notes, then what the columns shown need said (what a share is a share of)."""
    said = [column.note for column in shown if column.note]
    return view.notes + list(dict.fromkeys(said))


def _wrap(text: str, width: int) -> list[str]:
    """A note or title wrapped at spaces only: never inside a number."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def _blocks(view: View, full: _Grid, target: Target) -> list[tuple[View, _Grid]]:
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
    for view, full in (piece for whole in views for piece in _blocks(whole, _grid(whole, target), target)):

        def fits(shown: list[int], widths: list[int] = full.widths) -> bool:
            return sum(widths[i] + 2 for i in shown) - 2 <= target.width

        whole_grid = view.layout is Layout.GRID
        grid = full if whole_grid else full.only(choose(full.columns, fits, target))
        widths, columns = grid.widths, grid.columns

        def aligned(texts: list[str], widths: list[int] = widths, columns: list[Column] = columns) -> str:
            return "  ".join(
                text.rjust(width) if _right(column) else text.ljust(width)
                for text, width, column in zip(texts, widths, columns, strict=True)
            ).rstrip()

        lines = [*_wrap(escape(view.title), target.width), ""]
        headers = [column.header for column in grid.columns]
        if any(headers):
            lines += [aligned(headers), "  ".join("-" * width for width in widths)]
        lines += [aligned(texts) for texts in grid.cells]
        if notes := _notes(view, grid.columns):
            lines.append("")
            for note in notes:
                lines += _wrap(note, target.width)
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks) + "\n"
    return text if target.unicode else text.translate(ASCII)


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

    def table_of(grid: _Grid, heat: tuple[float, float] = (0.0, 0.0)) -> Table:
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
            table.add_column(column.header, justify="right" if _right(column) else "left", no_wrap=True)
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

    def draw(view: View, grid: _Grid, table: Table) -> None:
        # Never squeeze a number into "5,41…": a table wider than the terminal keeps its width.
        console.width = max(target.width, width_of(table))
        console.print(Text(drawn(escape(view.title)), style="bold"))
        console.print(table)
        console.width = target.width
        for note in _notes(view, grid.columns):
            console.print(Text(drawn(note)))
        console.print()

    for whole in views:
        heat = _heat_range(whole)
        for view, full in _blocks(whole, _grid(whole, target), target):

            def fits(shown: list[int], full: _Grid = full) -> bool:
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


def render(report: Report, output_format: str, target: Target) -> str:
    """A command's report in one of FORMATS."""
    if output_format == "json":
        return render_json(report.document)
    if output_format == "csv":
        return render_csv(report.csv or report.views[0])
    if output_format == "markdown":
        return render_markdown(report.views)
    if target.rich:
        return render_rich(report.views, target)
    return render_text(report.views, target)
