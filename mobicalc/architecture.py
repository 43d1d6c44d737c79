"""Architecture tables: TOML files that read like the papers' tables.

A table is a list of rows; each row is one line of the paper (an operator with
its channels ``c``, stride ``s``, repeats ``n`` and, for bottlenecks, expansion
``t``). The built-in tables live in ``mobicalc/tables``; a user's own table in
the same format works everywhere a built-in one does. See docs/tables.md.
"""

import tomllib
from dataclasses import dataclass, fields
from functools import cache, cached_property
from pathlib import Path

from mobicalc.rounding import RULES

BUILTIN = ("v1", "v2")

Padding = str | tuple[int, int]
"""``"same"``, ``"valid"``, or explicit ``(before, after)`` zero padding."""

WIDTHS = ("scaled", "grow-only", "fixed")

# Which fields each operator takes; the ones listed under REQUIRED must be given.
OPERATOR_FIELDS = {
    "conv": {
        "c",
        "kernel",
        "s",
        "n",
        "padding",
        "rounding",
        "width",
        "bias",
        "batch_norm",
    },
    "depthwise": {"kernel", "s", "n", "padding", "bias", "batch_norm"},
    "pointwise": {"c", "n", "rounding", "width", "bias", "batch_norm"},
    "separable": {"c", "kernel", "s", "n", "padding", "rounding", "width"},
    "bottleneck": {"t", "c", "kernel", "s", "n", "padding", "rounding", "width"},
    "pool": set(),
    "classifier": {"bias"},
}
REQUIRED = {
    "conv": {"c"},
    "pointwise": {"c"},
    "separable": {"c"},
    "bottleneck": {"t", "c"},
}


class ArchitectureError(ValueError):
    """A table that cannot be read; the message names the file, row and field."""


@dataclass(frozen=True, slots=True)
class Row:
    """One line of an architecture table."""

    index: int
    operator: str
    c: int = 0
    t: int = 1
    n: int = 1
    s: int = 1
    kernel: int = 3
    padding: Padding = "same"
    rounding: str | None = None
    width: str = "scaled"
    bias: bool = False
    batch_norm: bool = True


@dataclass(frozen=True)
class Architecture:
    """A whole table: its defaults and its rows."""

    name: str
    source: str
    resolution: int
    input_channels: int
    classes: int
    rounding: str
    rows: tuple[Row, ...]
    path: str

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:
        """The engine's caches are keyed by the table: its rows are hashed once, not on every lookup."""
        return hash(tuple(getattr(self, field.name) for field in fields(self)))


def load(name_or_path: str | Path) -> Architecture:
    """Load a built-in table (``"v1"``, ``"v2"``) or a user's TOML file."""
    if str(name_or_path) in BUILTIN:
        return _builtin(str(name_or_path))
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArchitectureError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArchitectureError(f"{path}: is a directory, not a TOML table") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # ValueError: a NUL in the path
        raise ArchitectureError(f"{path}: cannot read: {error}") from None
    return parse(text, str(path))


@cache
def _builtin(name: str) -> Architecture:
    # Package data read from beside this file: importlib.resources would cost the CLI ~10 ms to import.
    text = (Path(__file__).parent / "tables" / f"{name}.toml").read_text("utf-8")
    return parse(text, name)


def parse(text: str, path: str) -> Architecture:
    """Parse and validate a table; ``path`` only names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ArchitectureError(f"{path}: invalid TOML: {error}") from None
    where = path
    unknown = set(data) - {
        "name",
        "source",
        "resolution",
        "input_channels",
        "classes",
        "rounding",
        "layers",
    }
    if unknown:
        raise ArchitectureError(f"{where}: unknown top-level field {min(unknown)!r}")
    rounding = _string(data, "rounding", where, default="int", choices=tuple(RULES))
    rows = data.get("layers")
    if not isinstance(rows, list) or not rows:
        raise ArchitectureError(f"{where}: needs a non-empty 'layers' list of rows")
    architecture = Architecture(
        name=_string(data, "name", where, default=Path(path).stem),
        source=_string(data, "source", where, default=path),
        resolution=_positive(data, "resolution", where, default=224),
        input_channels=_positive(data, "input_channels", where, default=3),
        classes=_positive(data, "classes", where, default=1000),
        rounding=rounding,
        rows=tuple(_row(row, index, path) for index, row in enumerate(rows, start=1)),
        path=path,
    )
    _check_order(architecture)
    return architecture


def _row(data: object, index: int, path: str) -> Row:
    where = f"{path}: layer {index}"
    if not isinstance(data, dict):
        raise ArchitectureError(f'{where}: each layer must be a table like {{ operator = "conv", c = 32 }}')
    operator = _string(data, "operator", where, choices=tuple(OPERATOR_FIELDS))
    where = f"{where} ({operator})"
    allowed = OPERATOR_FIELDS[operator]
    unknown = set(data) - allowed - {"operator"}
    if unknown:
        field = min(unknown)
        raise ArchitectureError(
            f"{where}: field {field!r} does not apply (allowed: {', '.join(sorted(allowed))})"
        )
    missing = REQUIRED.get(operator, set()) - set(data)
    if missing:
        raise ArchitectureError(f"{where}: missing field {min(missing)!r}")
    fields: dict[str, object] = {}
    for field in ("c", "t", "n", "s", "kernel"):
        if field in data:
            fields[field] = _positive(data, field, where)
    if "padding" in data:
        fields["padding"] = _padding(data["padding"], where)
    if "rounding" in data:
        fields["rounding"] = _string(data, "rounding", where, choices=tuple(RULES))
    if "width" in data:
        fields["width"] = _string(data, "width", where, choices=WIDTHS)
    for field in ("bias", "batch_norm"):
        if field in data:
            if not isinstance(data[field], bool):
                raise ArchitectureError(f"{where}: field {field!r} must be true or false")
            fields[field] = data[field]
    if operator == "pointwise":
        fields["kernel"] = 1
    if operator == "classifier":
        fields.setdefault("bias", True)
        fields["batch_norm"] = False
    return Row(index=index, operator=operator, **fields)


def _check_order(architecture: Architecture) -> None:
    operators = [row.operator for row in architecture.rows]
    if "classifier" in operators[:-1]:
        index = operators.index("classifier") + 1
        raise ArchitectureError(
            f"{architecture.path}: layer {index} (classifier): the classifier must be the last layer"
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
        raise ArchitectureError(f"{where}: field {field!r} must be a string, got {value!r}")
    if choices and value not in choices:
        raise ArchitectureError(
            f"{where}: field {field!r} is {value!r}; expected one of: {', '.join(choices)}"
        )
    return value


def _positive(data: dict, field: str, where: str, *, default: int | None = None) -> int:
    if field not in data:
        if default is None:
            raise ArchitectureError(f"{where}: missing field {field!r}")
        return default
    value = data[field]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArchitectureError(f"{where}: field {field!r} must be a positive integer, got {value!r}")
    return value


def _padding(value: object, where: str) -> Padding:
    if value in ("same", "valid"):
        return value
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(side, int) and not isinstance(side, bool) and side >= 0 for side in value)
    ):
        return (value[0], value[1])
    raise ArchitectureError(
        f'{where}: field \'padding\' must be "same", "valid" or [before, after] '
        f"(non-negative integers), got {value!r}"
    )
