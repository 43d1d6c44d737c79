"""The view model: what every command shows, as columns and rows, for any output format.

A ``View`` is a list of column definitions and one row record per item (a
layer, a budget, a part of a comparison), each row a dict keyed by the column
keys. Every output format renders the same views (``mobicalc.render``): the
JSON field names and the CSV headers are the column keys; text and Rich show
the columns' headers, as many columns as the terminal fits, most important
first. A command's ``Report`` places its views in a JSON document and lists
the ones a person reads, in order. Rendering imports this module alone.
"""

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, NamedTuple


class Style(Enum):
    """How a column's values are written."""

    TEXT = "text"
    COUNT = "count"
    """An exact count: thousands separators for people, every digit for machines."""
    BYTES = "bytes"
    """A size in bytes: as a count, with a short form (``4.817 MB``) where a count has one."""
    NUMBER = "number"
    """A small exact integer (kernel, stride, layer number): no separators."""
    SHAPE = "shape"
    """(height, width, channels): ``112x112x32``; three numeric fields in JSON and CSV."""
    SHARE = "share"
    """A fraction of a whole: a percentage, with a bar on a terminal."""
    RATIO = "ratio"
    VERDICT = "verdict"
    """True or False: a word for people, a boolean for machines."""
    DECIMAL = "decimal"
    """An exact non-integer number (alpha, a published accuracy): every digit, no separators."""
    SHORT = "short"
    """A count in short form for people (149.5M); every digit for machines."""
    SIZE = "size"
    """An input size: a number (square) or [height, width], written ``192x256`` for people."""
    SECONDS = "seconds"
    """A measured or estimated time in seconds: ``12.6 ms``, ``812 µs`` for people; the float for machines."""
    MEASURE = "measure"
    """A measured or estimated real number (GMAC/s, MACs per byte): three significant digits for people;
    a float for machines."""
    HEAT = "heat"
    """(count, mark) in a grid: the count in short form then the mark; on a colour terminal its
    background is scaled by the count among the view's."""


ALWAYS = 1
WIDE = 9
"""Priority of the columns only ``--wide`` shows."""


class Column(NamedTuple):
    key: str
    """The JSON field and the CSV header."""
    header: str
    """What a person reads above the column."""
    style: Style = Style.TEXT
    priority: int = ALWAYS
    """1 is always shown; the columns with the largest numbers go first when space is short."""
    words: tuple[str, str] = ("", "")
    """For a verdict: how True and False read."""
    note: str = ""
    """What a reader needs to know when this column is shown (a share: of what; a bar: against what)."""
    wraps: bool = False
    """A long text (a layer's name) that may continue, indented, on lines of its own to fit the width,
    folded after its separators (``/``, ``_``, ``.``, ``-``, spaces); --wide, JSON and CSV keep it whole."""


class Layout(Enum):
    ROWS = "rows"
    """JSON: a list of row objects."""
    RECORD = "record"
    """One row: a JSON object; on a terminal, one line per column."""
    BY_FIRST = "by-first"
    """JSON: an object keyed by each row's first column."""
    GRID = "grid"
    """A grid read across: too wide for a terminal, it is cut into blocks of columns, each
    block repeating the always-shown columns (never dropping one)."""


class Block(NamedTuple):
    """Rows that share some values (a sweep's width): made as they are written, never held all at once."""

    shared: dict[str, Any]
    """The values every row of the block has, by column key."""
    keys: tuple[str, ...]
    """The other columns, in the view's column order: each row is a tuple of their values."""
    rows: Iterable[tuple[Any, ...]]


class View:
    """A title, its columns, one row (a dict keyed by the column keys) per item, and notes.

    A plain class, not a dataclass: the start-up of every command pays for defining it. Rows too many
    to hold (a sweep's million configurations) are ``blocks`` instead: a function that makes them as
    JSON and CSV write them; ``rows`` then makes every row's dict, once, for whoever asks. ``rows``
    may also be a function, called when they are first asked for (a view few outputs show).
    """

    __slots__ = ("_rows", "blocks", "columns", "layout", "notes", "title")

    def __init__(
        self,
        title: str,
        columns: tuple[Column, ...],
        rows: list[dict[str, Any]] | Callable[[], list[dict[str, Any]]] | None = None,
        notes: list[str] | None = None,
        layout: Layout = Layout.ROWS,
        blocks: Callable[[], Iterable[Block]] | None = None,
    ) -> None:
        self.title = title
        self.columns = columns
        self._rows = [] if rows is None and blocks is None else rows
        self.notes = [] if notes is None else notes
        self.layout = layout
        self.blocks = blocks

    @property
    def rows(self) -> list[dict[str, Any]]:
        rows = self._rows
        if rows is None:
            assert self.blocks is not None
            rows = [
                {**block.shared, **dict(zip(block.keys, row, strict=True))}
                for block in self.blocks()
                for row in block.rows
            ]
        elif callable(rows):
            rows = rows()
        self._rows = rows
        return rows


class Report(NamedTuple):
    """A command's result: a JSON document (views in place), and the views a person reads."""

    document: dict[str | None, Any]
    """The JSON document; a view under the key None puts its entries at that level."""
    views: list[View]
    csv: View | None = None
    """The view --format csv prints, when it is not the first one a person reads."""
