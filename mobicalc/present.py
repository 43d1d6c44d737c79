"""Presentation: engine results as sheets, and sheets as Rich, Markdown, CSV or JSON.

Each command turns its result into a few ``Sheet``s (rows of raw values) and a
JSON document; the renderers below know nothing about MobileNets. Numbers stay
exact until here: counts print in full with thousands separators, and the
exact-rounding fractions print as their exact decimal expansion.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from mobicalc.rounding import significant

FORMATS = ("table", "json", "csv", "markdown")


@dataclass(frozen=True)
class Column:
    header: str
    style: str = "text"
    """text, count (exact number), share (of a whole, drawn with a bar), percent, ratio."""


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _decimal_places(denominator: int) -> int | None:
    """How many decimal places 1/denominator needs, or None if its expansion never ends."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    return max(twos, fives) if denominator == 1 else None


def exact_decimal(value: int | Fraction) -> str:
    """All the digits of a count: 1234567 -> '1234567', 1234567/4 -> '308641.75'.

    A fraction with no finite decimal (only the Python API can make one, with an
    alpha such as Fraction(1, 3)) is shown as 'numerator/denominator'.
    """
    if isinstance(value, int) or value.denominator == 1:
        return str(int(value))
    places = _decimal_places(value.denominator)
    if places is None:
        return str(value)
    text = str(abs(value.numerator * 10**places // value.denominator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-places]}.{text[-places:]}"


def grouped(value: int | Fraction) -> str:
    """Exact count with thousands separators: 568740352 -> '568,740,352'."""
    text = exact_decimal(value)
    if "/" in text:
        return text
    whole, _, decimals = text.partition(".")
    whole = f"{int(whole):,}"
    return f"{whole}.{decimals}" if decimals else whole


def _four_digits(value: int | Fraction) -> str:
    """Like '%.4g' (4 significant digits, no trailing zeros), for any size: float() would overflow."""
    rounded = significant(value, 4).normalize()
    return f"{rounded:f}" if -5 <= rounded.adjusted() < 4 else f"{rounded:g}"


def human(value: int | Fraction) -> str:
    """Short form for reading, never for computing: 568740352 -> '568.7M'."""
    for limit, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        scaled = Fraction(value) / limit
        if abs(significant(scaled, 4)) >= 1:  # after rounding: 999,950 is 1M, not 1000K
            return _four_digits(scaled) + suffix
    return exact_decimal(value) if isinstance(value, int) else _four_digits(value)


def percent(share: Fraction) -> str:
    return f"{significant(share * 100, 28):.2f}%"


def share(part: int | Fraction, whole: int | Fraction) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _cell(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.style == "count":
        return grouped(value)
    if column.style in ("share", "percent"):
        return percent(value)
    if column.style == "ratio":
        return f"{float(value):.4f}"
    return str(value)


def _csv_cell(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.style == "count":
        return exact_decimal(value)
    if column.style in ("share", "percent", "ratio"):
        return f"{significant(value, 17):g}"
    return str(value)


def render_markdown(sheets: Iterable[Sheet]) -> str:
    parts = []
    for sheet in sheets:
        lines = [f"### {sheet.title}", ""]
        lines.append("| " + " | ".join(column.header for column in sheet.columns) + " |")
        lines.append(
            "| " + " | ".join("---:" if column.style != "text" else "---" for column in sheet.columns) + " |"
        )
        for row in sheet.rows:
            cells = (
                _cell(value, column).replace("|", "\\|")
                for value, column in zip(row, sheet.columns, strict=True)
            )
            lines.append("| " + " | ".join(cells) + " |")
        if sheet.notes:
            lines.append("")
            lines.extend(sheet.notes)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def render_csv(sheet: Sheet) -> str:
    """One sheet (the layers, or the parts of a comparison) as CSV, raw exact values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(column.header for column in sheet.columns)
    for row in sheet.rows:
        writer.writerow(_csv_cell(value, column) for value, column in zip(row, sheet.columns, strict=True))
    return buffer.getvalue()


def render_json(document: Any) -> str:
    """JSON with exact numbers: ints as ints, exact-rounding fractions as exact decimals."""

    def encode(value: Any, depth: int) -> str:
        pad, inner = "  " * depth, "  " * (depth + 1)
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = (
                f"{inner}{json.dumps(str(key))}: {encode(item, depth + 1)}" for key, item in value.items()
            )
            return "{\n" + ",\n".join(items) + f"\n{pad}}}"
        if isinstance(value, list | tuple):
            if not value:
                return "[]"
            if all(not isinstance(item, dict | list | tuple) for item in value):
                return "[" + ", ".join(encode(item, depth + 1) for item in value) + "]"
            return "[\n" + ",\n".join(f"{inner}{encode(item, depth + 1)}" for item in value) + f"\n{pad}]"
        if isinstance(value, Fraction):
            text = exact_decimal(value)
            return json.dumps(text) if "/" in text else text  # no JSON number holds 1/3
        return json.dumps(value)

    return encode(document, 0) + "\n"


def _aligned(texts: list[str], widths: list[int], columns: list[Column]) -> str:
    return "  ".join(
        text.ljust(width) if column.style == "text" else text.rjust(width)
        for text, width, column in zip(texts, widths, columns, strict=True)
    ).rstrip()


def render_text(sheets: Iterable[Sheet]) -> str:
    """Sheets as aligned plain text: what pipes and files get instead of Rich's drawing."""
    blocks = []
    for sheet in sheets:
        cells = [
            [_cell(value, column) for value, column in zip(row, sheet.columns, strict=True)]
            for row in sheet.rows
        ]
        headers = [column.header for column in sheet.columns]
        widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=True)]
        lines = [
            sheet.title,
            "",
            _aligned(headers, widths, sheet.columns),
            "  ".join("-" * w for w in widths),
        ]
        lines += [_aligned(texts, widths, sheet.columns) for texts in cells]
        if sheet.notes:
            lines += ["", *sheet.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _bar(value: Fraction, largest: Fraction, width: int = 10) -> str:
    """A bar as long as ``value`` is next to the largest value in its column."""
    eighths = round(float(share(value, largest)) * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def rich_tables(sheets: Iterable[Sheet]) -> list[Any]:
    """Sheets as Rich renderables; Rich is imported only when a table is drawn."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    renderables: list[Any] = []
    for sheet in sheets:
        largest = {
            index: max((row[index] for row in sheet.rows if row[index] is not None), default=0)
            for index, column in enumerate(sheet.columns)
            if column.style == "share"
        }
        # The title goes above the table, not in it, so that it never wraps to the table's width.
        renderables.append(Text(sheet.title, style="bold"))
        table = Table(box=box.SIMPLE_HEAD)
        for column in sheet.columns:
            # Share columns are left-justified so the bars start in one column.
            table.add_column(
                column.header, justify="right" if column.style in ("count", "percent", "ratio") else "left"
            )
        for row in sheet.rows:
            cells = []
            for index, (value, column) in enumerate(zip(row, sheet.columns, strict=True)):
                text = _cell(value, column)
                if column.style == "share" and value is not None:
                    text = f"{text:>7} {_bar(value, largest[index])}"
                cells.append(text)
            table.add_row(*cells)
        renderables.append(table)
        renderables.extend(Text(note) for note in sheet.notes)
        renderables.append(Text(""))
    return renderables


def print_rich(sheets: Iterable[Sheet]) -> None:
    """Draw sheets on the terminal with Rich (colour unless NO_COLOR is set)."""
    from rich.console import Console
    from rich.measure import Measurement

    console, renderables = Console(), rich_tables(sheets)
    # Never squeeze a number into "5,41…": a table wider than the terminal keeps its width.
    unbounded = console.options.update_width(10_000)
    console.width = max(
        console.width, *(Measurement.get(console, unbounded, item).maximum for item in renderables)
    )
    console.print(*renderables, sep="\n")
