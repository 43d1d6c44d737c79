"""``mobicalc reproduce``: every published figure beside mobicalc's value, with its verdict."""

from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from mobicalc.count.figures import Result, shown
from mobicalc.numbers import exact_decimal
from mobicalc.views.model import WIDE, Column, Report, Style, View

FIGURE_COLUMNS = (
    Column("source", "source", priority=WIDE),
    Column("table", "table", priority=2),
    Column("row", "figure"),
    Column("metric", "metric", priority=5),
    Column("published", "published"),
    Column("mobicalc", "mobicalc"),
    Column("mobicalc_exact", "mobicalc exact", priority=WIDE),
    Column("verdict", "verdict"),
    Column("convention", "convention", priority=3),
    Column("rounding", "source's rounding", priority=4),
    Column("command", "command", priority=WIDE),
    Column("ok", "ok", Style.VERDICT, WIDE, words=("✓", "✗")),
    Column("why", "why", priority=WIDE),
    Column("checked", "checked against", priority=WIDE),
)


def _digits(value: Fraction, digits: int) -> str:
    """A rounded value with as many decimals as the source printed: 4.0, not 4."""
    text = exact_decimal(value)
    if digits <= 0 or "/" in text:
        return text
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(digits, '0')}"


NOT_LISTED = "detection and segmentation heads are out of scope: their figures are not listed"
"""What ``reproduce`` leaves out altogether (said with its count)."""


def reproduce_report(results: list[Result], documents: Mapping[str, str]) -> Report:
    """``results``: one per published figure; ``documents``: each source's citation."""
    rows_by_source: dict[str, list[dict[str, Any]]] = {}
    notes_by_source: dict[str, list[str]] = {}
    for result in results:
        figure = result.figure
        unit = "" if figure.unit == 1 else figure.unit
        value = None if result.value is None else shown(result.value, figure)
        verdict = result.verdict if result.ok else f"{result.verdict} (UNEXPECTED)"
        rows_by_source.setdefault(figure.source, []).append(
            {
                "source": figure.source,
                "table": figure.table,
                "row": figure.row,
                "metric": figure.metric,
                "published": f"{figure.value}{unit}",
                "mobicalc": "-"
                if result.rounded is None
                else f"{_digits(result.rounded, figure.digits)}{unit}",
                "mobicalc_exact": value,
                "verdict": verdict,
                "convention": figure.convention if figure.command != "ratio" else "paper",
                "rounding": figure.rounding_text,
                "command": None if figure.expect == "out of scope" else figure.cli(),
                "ok": result.ok,
                "why": figure.why or None,
                "checked": figure.checked or None,
            }
        )
        if figure.why or not result.ok:
            exact = f" (mobicalc: {value})" if value is not None else ""
            notes_by_source.setdefault(figure.source, []).append(
                f"{figure.table}, {figure.row}: {verdict}{exact}. {figure.why}".rstrip()
            )
    views = [
        View(f"{source}: {documents[source]}", FIGURE_COLUMNS, rows, notes_by_source.get(source, []))
        for source, rows in rows_by_source.items()
    ]
    counts = Counter(result.verdict for result in results)
    failed = [result for result in results if not result.ok]
    summary = {
        "figures": len(results),
        "reproduced": counts["exact"] + counts["within rounding"],
        "exact": counts["exact"],
        "within_rounding": counts["within rounding"],
        "explained": counts["explained"],
        "not_reproducible": counts["not reproducible"],
        "out_of_scope": counts["out of scope"],
        "unexpected": len(failed),
        "not_listed": NOT_LISTED,
    }
    line = (
        f"{summary['figures']} figures: {summary['reproduced']} reproduced ({summary['exact']} exact, "
        f"{summary['within_rounding']} within the source's rounding), {summary['explained']} explained, "
        f"{summary['not_reproducible']} not reproducible, "
        f"{summary['out_of_scope']} out of scope"
        + (f"; {len(failed)} UNEXPECTED" if failed else "")
        + f" ({NOT_LISTED})"
    )
    if views:
        views[-1].notes += [""] * bool(views[-1].notes) + [line]
    document: dict[str | None, Any] = {
        "ok": not failed,
        "summary": summary,
        "sources": dict(documents),
        "figures": View("figures", FIGURE_COLUMNS, [row for view in views for row in view.rows]),
    }
    return Report(document, views, csv=document["figures"])  # every source's figures, not the first's
