"""Where output goes and what it can show (``Target``), and a value as a person reads it (``cell``)."""

import os
import re
from fractions import Fraction
from typing import Any, NamedTuple, TextIO

from mobicalc.numbers import duration, exact_decimal, grouped, human, measure, percent, significant
from mobicalc.views.model import Column, Style

ASCII = str.maketrans({"·": "*", "²": "^2", "✓": "ok", "✗": "X", "…": "...", "µ": "u"})
"""What the symbols of the views become where the output cannot show them."""


class Target(NamedTuple):
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
    if style is Style.SECONDS:
        return duration(float(value))
    if style is Style.MEASURE:
        return measure(float(value))
    if style is Style.HEAT:
        return human(value[0]) + value[1]
    if style is Style.SIZE:
        return str(value) if isinstance(value, int) else "x".join(map(str, value))
    if isinstance(value, list):
        if all(type(item) is int for item in value):  # a layer's explicit padding: as json.dumps writes it
            return "[" + ", ".join(map(str, value)) + "]"
        import json  # other lists are rare: json costs start-up

        return json.dumps(value)
    return escape(str(value))


def right(column: Column) -> bool:
    return column.style not in (Style.TEXT, Style.VERDICT)
