"""Views as JSON, CSV, Markdown, plain text or Rich: one renderer per format.

Renderers know nothing about MobileNets: they read a view's columns and rows
(``mobicalc.views.model``). Numbers stay exact until here. For people, text
and Rich show as many columns as fit the terminal, most important first, and
never cut a number; CSV and JSON give every column, raw. A ``Target`` says
what the output can show.
"""

from collections.abc import Iterable

from mobicalc.render.target import Target
from mobicalc.views.model import Report

FORMATS = ("table", "json", "csv", "markdown")


def render(report: Report, output_format: str, target: Target) -> str:
    """A command's report in one of FORMATS; each format's renderer is loaded when it is asked for."""
    return "".join(render_chunks(report, output_format, target))


def render_chunks(report: Report, output_format: str, target: Target) -> Iterable[str]:
    """``render``'s text in pieces, to be written as they come: JSON and CSV write a view in blocks (a
    sweep's million rows) as it is made."""
    if output_format in ("json", "csv"):
        from mobicalc.render.machine import csv_chunks, json_chunks

        return (
            json_chunks(report.document)
            if output_format == "json"
            else csv_chunks(report.csv or report.views[0])
        )
    if target.rich and output_format == "table":
        from mobicalc.render.terminal import render_rich

        return (render_rich(report.views, target),)
    from mobicalc.render.text import render_markdown, render_text

    if output_format == "markdown":
        return (render_markdown(report.views),)
    return (render_text(report.views, target),)
