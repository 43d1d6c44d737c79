"""Architecture tables: TOML files that read like the papers' tables.

A table is a list of rows; each row is one line of the paper (an operator with
its channels ``c``, stride ``s``, repeats ``n`` and, for bottlenecks, expansion
``t``). The built-in tables live in ``mobicalc/tables``; a user's own table in
the same format works everywhere a built-in one does. See docs/tables.md.
What each operator takes is declared in ``operators.OPERATORS``.
"""

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from mobicalc.model.architecture import BUILTIN, NONLINEARITIES, WIDTHS, Architecture, ArchitectureError, Row
from mobicalc.model.files import (
    MAX_DIGITS,
    MAX_NESTING,
    TOO_MANY_DIGITS,
    check_nesting,
    check_size,
    read_stdin,
    read_text,
)
from mobicalc.model.layers import Padding, Resolution
from mobicalc.model.naming import Naming, name_template
from mobicalc.model.operators import OPERATORS, SQUEEZE_EXCITE_LAYERS
from mobicalc.model.rounding import RULES
from mobicalc.tables import TABLES

MAX_LAYERS = 100_000
"""The most layers a table may expand to, counting every repeat."""

TOP_LEVEL = ("name", "source", "resolution", "input_channels", "depth_multiplier", "classes", "rounding",
             "names", "variants", "layers")  # fmt: skip
"""The fields a table may have at its top level."""


STDIN = "-"
"""The path that reads a table from standard input (``--arch -``)."""


def load(name_or_path: str | Path, variant: str | None = None) -> Architecture:
    """Load a built-in table (``"v1"``, ``"v2"``, ...) or a user's TOML file (``"-"``: standard
    input), with one of its variants."""
    if str(name_or_path) in BUILTIN:
        # One argument when there is no variant: _builtin(name) is the table as written.
        return _builtin(str(name_or_path)) if variant is None else _builtin(str(name_or_path), variant)
    return parse(*read(name_or_path), variant)


def read(path: str | Path) -> tuple[str, str]:
    """A user's table file as text, and how messages name it: read once (standard input can be read
    only once), parse as often as its variants need."""
    if str(path) == STDIN:
        return read_stdin(), "<stdin>"
    return read_text(Path(path)), str(path)


@cache
def _builtin(name: str, variant: str | None = None) -> Architecture:
    # The package's own data: validated as any table, but not scanned as a hostile file might be.
    return _parse((TABLES / f"{name}.toml").read_text("utf-8"), name, variant)


def parse(text: str, path: str, variant: str | None = None) -> Architecture:
    """Parse and validate a table, with ``variant`` applied; ``path`` only names it in error messages."""
    check_size(text, path)
    check_nesting(text, path)
    return _parse(text, path, variant)


def _parse(text: str, path: str, variant: str | None) -> Architecture:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ArchitectureError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:  # the nesting scan should have refused it first
        raise ArchitectureError(f"{path}: nests too deep (at most {MAX_NESTING} levels)") from None
    where = path
    unknown = set(data) - set(TOP_LEVEL)
    if unknown:
        raise ArchitectureError(f"{where}: unknown top-level field {_shown(min(unknown))}")
    rounding = _string(data, "rounding", where, default="int", choices=tuple(RULES))
    rows = data.get("layers")
    if not isinstance(rows, list) or not rows:
        raise ArchitectureError(f"{where}: needs a non-empty 'layers' list of rows")
    variants = _variants(data.get("variants", {}), path)
    if variant is not None:
        if variant not in variants:
            known = f"its variants: {', '.join(variants)}" if variants else "it has none"
            raise ArchitectureError(f"{where}: has no variant {_shown(variant)} ({known})")
        rows = [_vary(row, variants[variant]) for row in rows]
    naming = Naming(data.get("names", {}), path)
    name = _string(data, "name", where, default=Path(path).stem)
    architecture = Architecture(
        name=name if variant is None else f"{name} {variant}",
        source=_string(data, "source", where, default=path),
        resolution=_resolution(data, where),
        input_channels=_positive(data, "input_channels", where, default=3),
        classes=_positive(data, "classes", where, default=1000),
        rounding=rounding,
        rows=_rows(rows, path, naming, _positive(data, "input_channels", where, default=3)),
        path=path,
        variant=variant,
        variants=tuple(variants),
        depth_multiplier=_positive(data, "depth_multiplier", where, default=1),
    )
    _check_order(architecture)
    return architecture


Variant = dict[str, dict[str, Any]]
"""A variant: per operator, the fields it sets on that operator's rows; and ``nl``, how it maps
each non-linearity (``{ HS = "RE" }``)."""


def _variants(data: object, path: str) -> dict[str, Variant]:
    """The table's ``variants``: each a table like ``{ bottleneck = { se = false }, nl = { HS = "RE" } }``."""
    where = f"{path}: variants"
    if not isinstance(data, dict):
        raise ArchitectureError(
            f'{where}: must be a table like {{ minimalistic = {{ nl = {{ HS = "RE" }} }} }}'
        )
    variants = {}
    for name, variant in data.items():
        here = f"{where}.{name}"
        if not isinstance(variant, dict):
            raise ArchitectureError(f"{here}: must be a table of operators' fields and nl")
        for key, value in variant.items():
            if key == "nl":
                pairs = value.items() if isinstance(value, dict) else [(None, None)]
                if not all(
                    isinstance(old, str) and isinstance(new, str) and {old, new} <= set(NONLINEARITIES)
                    for old, new in pairs
                ):
                    raise ArchitectureError(
                        f"{here}: field 'nl' must map non-linearities to non-linearities "
                        f'({", ".join(NONLINEARITIES)}), like {{ HS = "RE" }}'
                    )
            elif key not in OPERATORS:
                raise ArchitectureError(
                    f"{here}: unknown field {_shown(key)} (allowed: nl, {', '.join(OPERATORS)})"
                )
            elif not isinstance(value, dict) or not set(value) <= OPERATORS[key].fields - {"name"}:
                raise ArchitectureError(
                    f"{here}: field {key!r} must be a table of {key} fields other than name"
                )
        variants[name] = variant
    return variants


def _vary(row: object, variant: Variant) -> object:
    """A row (still as read) with a variant applied; the row is validated afterwards, as any row."""
    if not isinstance(row, dict) or row.get("operator") not in OPERATORS:
        return row
    row = {**row, **variant.get(row["operator"], {})}
    if "nl" in variant and "nl" in OPERATORS[row["operator"]].fields:
        nl = row.get("nl", "RE6")
        row["nl"] = variant["nl"].get(nl, nl) if isinstance(nl, str) else nl
    return row


def _rows(rows: list, path: str, naming: Naming, input_channels: int) -> tuple[Row, ...]:
    """The rows, refused as soon as their repeats add up to more than MAX_LAYERS layers.

    The count is checked before a row is named, which takes a step per repeat.
    """
    result = []
    layers = 0
    for index, data in enumerate(rows, start=1):
        operator = data.get("operator") if isinstance(data, dict) else None
        repeats = data.get("n", 1) if isinstance(data, dict) else 1
        if (
            isinstance(operator, str)
            and isinstance(repeats, int)
            and not isinstance(repeats, bool)
            and repeats > 0
        ):
            excite = SQUEEZE_EXCITE_LAYERS if data.get("se") is True else 0
            per_repeat = OPERATORS[operator].layers_per_repeat if operator in OPERATORS else 1
            layers += repeats * (per_repeat + excite)
            if layers > MAX_LAYERS:
                raise ArchitectureError(
                    f"{path}: layer {index} ({operator}): n = {_shown(repeats)} takes the table "
                    f"past {MAX_LAYERS:,} layers, the most a table may have"
                )
        row = _row(data, index, path, naming, input_channels)
        input_channels = row.c or input_channels  # at width 1, as the table gives it
        result.append(row)
    return tuple(result)


def _shown(value: object) -> str:
    """A value for an error message: short, and never a huge integer's thousands of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= TOO_MANY_DIGITS:
        return f"a number of more than {MAX_DIGITS:,} digits"
    if isinstance(value, list):
        if len(value) > 4 or not all(isinstance(item, bool | int | float | str) for item in value):
            return f"an array of {len(value)} items"
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    text = repr(value[:41] if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:37] + "..."


def _row(data: object, index: int, path: str, naming: Naming, inputs: int) -> Row:
    where = f"{path}: layer {index}"
    if not isinstance(data, dict):
        raise ArchitectureError(f'{where}: each layer must be a table like {{ operator = "conv", c = 32 }}')
    operator = OPERATORS[_string(data, "operator", where, choices=tuple(OPERATORS))]
    where = f"{where} ({operator.name})"
    unknown = set(data) - operator.fields - {"operator"}
    if unknown:
        field = min(unknown)
        raise ArchitectureError(
            f"{where}: field {_shown(field)} does not apply (allowed: {', '.join(sorted(operator.fields))})"
        )
    missing = operator.required - set(data)
    if missing:
        raise ArchitectureError(f"{where}: missing field {min(missing)!r}")
    if (wrong := operator.check(data)) is not None:
        raise ArchitectureError(f"{where}: {wrong}")
    fields: dict[str, Any] = {"inputs": inputs, **operator.defaults}  # validated below, field by field
    for field in ("c", "t", "exp", "n", "s", "kernel"):
        if field in data:
            fields[field] = _positive(data, field, where)
    if "padding" in data:
        fields["padding"] = _padding(data["padding"], where)
    if "rounding" in data:
        fields["rounding"] = _string(data, "rounding", where, choices=tuple(RULES))
    if "width" in data:
        fields["width"] = _string(data, "width", where, choices=WIDTHS)
    if "nl" in data:
        fields["nl"] = _string(data, "nl", where, choices=tuple(NONLINEARITIES))
    for field in ("bias", "batch_norm", "se", "top"):
        if field in data:
            if not isinstance(data[field], bool):
                raise ArchitectureError(f"{where}: field {field!r} must be true or false")
            fields[field] = data[field]
    fields.update(operator.fixed)
    template = name_template(data["name"], operator, where, "name") if "name" in data else None
    row = Row(number=index, operator=operator.name, **fields)
    return row._replace(names=naming.names(operator, template, row.n, operator.absent(row), where))


def _check_order(architecture: Architecture) -> None:
    for row in architecture.rows[:-1]:
        if OPERATORS[row.operator].last:
            raise ArchitectureError(
                f"{architecture.path}: layer {row.number} ({row.operator}): the {row.operator} must be the "
                "last layer"
            )


def _string(
    data: dict,
    field: str,
    where: str,
    *,
    default: str | None = None,
    choices: tuple[str, ...] = (),
) -> str:
    if field not in data:
        if default is None:
            raise ArchitectureError(f"{where}: missing field {field!r}")
        return default
    value = data[field]
    if not isinstance(value, str):
        raise ArchitectureError(f"{where}: field {field!r} must be a string, got {_shown(value)}")
    if choices and value not in choices:
        raise ArchitectureError(
            f"{where}: field {field!r} is {_shown(value)}; expected one of: {', '.join(choices)}"
        )
    return value


def _positive(data: dict, field: str, where: str, *, default: int | None = None) -> int:
    if field not in data:
        if default is None:
            raise ArchitectureError(f"{where}: missing field {field!r}")
        return default
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArchitectureError(f"{where}: field {field!r} must be a positive integer, got {_shown(value)}")
    if value >= TOO_MANY_DIGITS:
        raise ArchitectureError(f"{where}: field {field!r} has more than {MAX_DIGITS:,} digits")
    return value


def _resolution(data: dict, where: str) -> Resolution:
    """The table's ``resolution``: a positive integer (square), or [height, width]; 224 when not given."""
    if "resolution" not in data:
        return 224
    value = data["resolution"]
    if isinstance(value, list) and len(value) == 2:
        height, width = (_positive({"resolution": side}, "resolution", where) for side in value)
        return height if height == width else (height, width)
    if isinstance(value, list):
        raise ArchitectureError(
            f"{where}: field 'resolution' must be a positive integer or [height, width], got {_shown(value)}"
        )
    return _positive(data, "resolution", where)


def _padding(value: object, where: str) -> Padding:
    if isinstance(value, str) and value in ("same", "valid"):
        return value
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(
            isinstance(side, int) and not isinstance(side, bool) and 0 <= side < TOO_MANY_DIGITS
            for side in value
        )
    ):
        return (value[0], value[1])
    raise ArchitectureError(
        f'{where}: field \'padding\' must be "same", "valid" or [before, after] '
        f"(non-negative integers of at most {MAX_DIGITS:,} digits), got {_shown(value)}"
    )
