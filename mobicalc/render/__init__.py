"""Views as JSON, CSV, Markdown, plain text or Rich: one renderer per format.

Renderers know nothing about MobileNets: they read a view's columns and rows
(``mobicalc.views.model``). Numbers stay exact until here. For people, text
and Rich show as many columns as fit the terminal, most important first, and
never cut a number; CSV and JSON give every column, raw. A ``Target`` says
what the output can show.
"""

from mobicalc.render.target import Target
from mobicalc.views.model import Report

FORMATS = ("table", "json", "csv", "markdown")


def render(report: Report, output_format: str, target: Target) -> str:
    """A command's report in one of FORMATS; each format's renderer is loaded when it is asked for."""
    if output_format in ("json", "csv"):
        from mobicalc.render.machine import render_csv, render_json

        return (
            render_json(report.document)
            if output_format == "json"
            else render_csv(report.csv or report.views[0])
        )
    if target.rich and output_format == "table":
        from mobicalc.render.terminal import render_rich

        return render_rich(report.views, target)
    from mobicalc.render.text import render_markdown, render_text

    return render_markdown(report.views) if output_format == "markdown" else render_text(report.views, target)
