"""Views for machines: JSON (the contract of docs/json.md) and CSV, every column, raw and exact."""

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

from mobicalc.numbers import exact_decimal, significant
from mobicalc.render.target import escape
from mobicalc.views.model import Column, Layout, Style, View

SHAPE_FIELDS = ("height", "width", "channels")


def fields(value: Any, column: Column) -> dict[str, Any]:
    """A value as machines read it, under its key (a shape: three numeric keys)."""
    if column.style is Style.SHAPE:
        parts = value if value is not None else (None,) * 3
        return {f"{column.key}_{name}": part for name, part in zip(SHAPE_FIELDS, parts, strict=True)}
    if value is not None and column.style in MEASURED:
        value = float(value) if abs(value) < 10**300 else str(significant(value, 17))
    return {column.key: value}


MEASURED = (Style.SHARE, Style.RATIO, Style.SECONDS, Style.MEASURE)
"""The styles whose values machines read as floats (exact fractions where a float cannot hold them)."""
RAW = frozenset(Style) - {Style.SHAPE, *MEASURED}
"""The styles whose values machines read as they are."""


def _record(row: dict[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in columns:
        if column.style in RAW:  # most columns: no call, as a view of 10,000 rows has 100,000 cells
            record[column.key] = row.get(column.key)
        else:
            record.update(fields(row.get(column.key), column))
    return record


class _Streamed(NamedTuple):
    """A view whose rows are written as they are made (``View.blocks``)."""

    view: View


def _streams(view: View) -> bool:
    """Written block by block: rows in blocks, every column raw, more than one (CSV writes a lone empty
    field differently)."""
    return (
        view.blocks is not None
        and len(view.columns) > 1
        and all(column.style in RAW for column in view.columns)
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, View) and value.layout is Layout.ROWS and _streams(value):
        return _Streamed(value)
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
    """JSON with exact numbers: ints as ints, exact-rounding fractions as exact decimals."""
    return "".join(json_chunks(document))


def json_chunks(document: Any) -> Iterator[str]:
    """``render_json``'s text in pieces: a view in blocks (a sweep's million rows) is written a batch
    of rows at a time, as it is made, in the same text as its rows' dicts would be.

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
        if isinstance(value, _Streamed):
            return "".join(streamed(value.view, depth))
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

    def streamed(view: View, depth: int) -> Iterator[str]:
        """A list of records at ``depth``, as ``encode`` writes one, block by block."""
        inner = "  " * (depth + 1)

        def value_text(value: Any) -> str:
            if type(value) is int:  # most values: counts
                return int.__repr__(value)
            return encode(value, depth + 2) if isinstance(value, dict | list | tuple) else scalar(value)

        def record(key: str, text: str) -> str:
            return prefix(depth + 1, key) + text

        started = False
        for template, pick, rows in _templates(view, value_text, record, ",\n"):
            template = f"{inner}{{\n{template}\n{inner}}}"
            for batch in _batches(rows, pick, value_text, template):
                yield (",\n" if started else "[\n") + ",\n".join(batch)
                started = True
        yield f"\n{'  ' * depth}]" if started else "[]"

    def chunks(value: Any, depth: int) -> Iterator[str]:
        """``encode``'s text in pieces: a dict that holds a streamed view, key by key."""
        if isinstance(value, _Streamed):
            yield from streamed(value.view, depth)
        elif isinstance(value, dict) and any(_holds_stream(item) for item in value.values()):
            for index, (key, item) in enumerate(value.items()):
                yield ("{\n" if index == 0 else ",\n") + prefix(depth, key)
                yield from chunks(item, depth + 1)
            yield f"\n{'  ' * depth}}}"
        else:
            yield encode(value, depth)

    yield from chunks(_json_value(document), 0)
    yield "\n"


def _holds_stream(value: Any) -> bool:
    return isinstance(value, _Streamed) or (
        isinstance(value, dict) and any(_holds_stream(item) for item in value.values())
    )


BATCH = 2048
"""Rows written at a time from a view in blocks: one write per batch, a bounded text each."""


def _templates(
    view: View, text: Callable[[Any], str], entry: Callable[[str, str], str], separator: str
) -> Iterator[tuple[str, list[int] | None, Iterable[tuple[Any, ...]]]]:
    """Per block of a view: a %-template of a row (each column an ``entry`` of its key and its text, the
    values the block's rows hold a slot, the shared ones written once), the positions of a row's
    values in the slots' order (None: as they are), and the block's rows."""
    assert view.blocks is not None
    for block in view.blocks():
        slots = [column.key for column in view.columns if column.key in block.keys]
        entries = []
        for column in view.columns:
            key = column.key
            if key in block.keys:  # a slot: NUL is in no key, and JSON and CSV escape it in text
                entries.append(entry(key, "\0").replace("%", "%%").replace("\0", "%s"))
            else:
                entries.append(entry(key, text(block.shared.get(key))).replace("%", "%%"))
        pick = [block.keys.index(key) for key in slots]
        yield separator.join(entries), None if pick == list(range(len(block.keys))) else pick, block.rows


def _batches(
    rows: Iterable[tuple[Any, ...]], pick: list[int] | None, text: Callable[[Any], str], template: str
) -> Iterator[list[str]]:
    """The rows through ``template``, ``BATCH`` at a time."""
    batch: list[str] = []
    for row in rows:
        values = tuple(map(text, row)) if pick is None else tuple(text(row[i]) for i in pick)
        batch.append(template % values)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""A string as json.dumps writes it (ASCII, escaped), without json.dumps' call overhead."""


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Fraction):
        return exact_decimal(value)
    if isinstance(value, float):  # as JSON writes it: the shortest text that reads back as the same float
        return float.__repr__(value) if math.isfinite(value) else json.dumps(value)
    if isinstance(value, list):
        return json.dumps(value)
    return escape(str(value))


def render_csv(view: View) -> str:
    """One view (the layers, the parts of a comparison, the budgets) as CSV: every column, raw."""
    return "".join(csv_chunks(view))


def csv_chunks(view: View) -> Iterator[str]:
    """``render_csv``'s text in pieces: a view in blocks is written a batch of rows at a time.

    A value that many rows share (a sweep's alpha, its model's name) is written once: texts are
    kept by the value's identity, as rows share their objects, for as long as the call runs.
    """
    texts: dict[int, tuple[Any, str]] = {}

    def text(value: Any) -> str:
        if type(value) is int:  # most cells: counts
            return int.__repr__(value)
        known = texts.get(id(value))
        if known is None or known[0] is not value:
            known = texts[id(value)] = (value, _csv_text(value))
        return known[1]

    if not _streams(view):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        records = [_record(row, view.columns) for row in view.rows]
        header = list(records[0]) if records else [column.key for column in view.columns]
        writer.writerow(header)
        writer.writerows([text(record[key]) for key in header] for record in records)
        yield buffer.getvalue()
        return
    quoted: dict[int, tuple[Any, str]] = {}

    def field(value: Any) -> str:
        """A value's text as csv.writer writes it in a row of more than one field."""
        if type(value) is int:
            return int.__repr__(value)
        known = quoted.get(id(value))
        if known is None or known[0] is not value:
            known = quoted[id(value)] = (value, _quoted(text(value)))
        return known[1]

    yield ",".join(_quoted(column.key) for column in view.columns) + "\n"
    for template, pick, rows in _templates(view, field, lambda key, value: value, ","):
        for batch in _batches(rows, pick, field, template + "\n"):
            yield "".join(batch)


def _quoted(text: str) -> str:
    """A field as csv.writer writes it beside other fields (quoted when it must be): asked of csv.writer
    itself, once per distinct value."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow((text, ""))
    return buffer.getvalue()[:-2]
