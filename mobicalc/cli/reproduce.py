"""``mobicalc reproduce``: every published MobileNet figure beside mobicalc's value."""

import click

from mobicalc.cli.base import command, emit
from mobicalc.cli.exits import Exit
from mobicalc.cli.options import format_option
from mobicalc.count import figures
from mobicalc.views.reproduce import reproduce_report


@command(short_help="Every published MobileNet figure beside mobicalc's value.")
@click.option("--source", help="Only the figures of one source (sources are listed in --format json).")
@format_option
def reproduce(source: str | None, output_format: str, wide: bool) -> None:
    """Every published MobileNet MAC, parameter and memory figure beside mobicalc's value.

    \b
    The figures (papers' tables, TF-slim READMEs and docstrings, Keras docs)
    are data in the package, each with its citation, the configuration and
    counting convention that reproduce it, and the source's rounding. Verdicts:
      exact             the printed value is the exact count
      within rounding   the count, rounded as the source rounds, is printed
      explained         a misprint, an omission or a different quantity
                        (the arithmetic is given)
      not reproducible  nothing known explains it (what was tried is given)
      out of scope      listed, not evaluated
    Exit 0 when every verdict is as the data expects; 1 when a figure expected
    to reproduce does not (or one expected not to does); 2 on a usage error.
    """
    documents = figures.sources()
    if source is not None and source not in documents:
        raise click.BadParameter(
            f"{source!r} is not a source; expected one of: {', '.join(documents)}", param_hint="'--source'"
        )
    results = figures.reproduce(source)
    emit(reproduce_report(results, documents), output_format, wide)
    if not all(result.ok for result in results):
        raise SystemExit(Exit.FAILED)
