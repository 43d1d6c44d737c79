"""Architecture tables: TOML files that read like the papers' tables.

A table is a list of rows; each row is one line of the paper (an operator with
its channels ``c``, stride ``s``, repeats ``n`` and, for bottlenecks, expansion
``t``). The built-in tables live in ``mobicalc/tables``; a user's own table in
the same format works everywhere a built-in one does. See docs/tables.md.
"""

import string
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
        "name",
    },
    "depthwise": {"kernel", "s", "n", "padding", "bias", "batch_norm", "name"},
    "pointwise": {"c", "n", "rounding", "width", "bias", "batch_norm", "name"},
    "separable": {"c", "kernel", "s", "n", "padding", "rounding", "width", "name"},
    "bottleneck": {"t", "c", "kernel", "s", "n", "padding", "rounding", "width", "name"},
    "pool": {"name"},
    "classifier": {"bias", "name"},
}
REQUIRED = {
    "conv": {"c"},
    "pointwise": {"c"},
    "separable": {"c"},
    "bottleneck": {"t", "c"},
}


# Layer names. A row makes one layer per repeat, or for separable and bottleneck rows one block
# per repeat, of these parts (a bottleneck's expand only when t != 1, its add only where the
# block keeps its shape). A name template fills in the placeholders of its operator.
PARTS = {
    "separable": ("depthwise", "pointwise"),
    "bottleneck": ("expand", "depthwise", "project", "add"),
}
PLACEHOLDERS = {
    "single": {
        "count": "the layer's number among the table's layers of its operator (1, 2, ...)",
        "repeat": "the repeat within the row (1 to n)",
    },
    "block": {
        "block": "the block's number among the table's blocks, from names.first_block (default 1)",
        "layer": "the part of the block (separable: depthwise, pointwise; "
        "bottleneck: expand, depthwise, project, add)",
        "repeat": "the repeat within the row (1 to n)",
    },
}
DEFAULT_NAMES = {
    "conv": "conv{count}",
    "depthwise": "depthwise{count}",
    "pointwise": "pointwise{count}",
    "separable": "block{block}_{layer}",
    "bottleneck": "block{block}_{layer}",
    "pool": "pool{count}",
    "classifier": "classifier",
}
RESERVED_NAMES = ("input",)  # names the network's input (a shortcut from the start)


def parts(operator: str) -> tuple[str, ...]:
    """The layers each repeat of a row makes, by the part names ``{layer}`` takes (one: the operator)."""
    return PARTS.get(operator, (operator,))


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
    names: tuple[tuple[str, ...], ...] = ()
    """The layers' names: one tuple per repeat, one name per part (``parts(operator)``)."""

    def layer_names(self, repeat: int) -> dict[str, str]:
        """The names of the layers of repeat ``repeat`` (from 0), by part."""
        return dict(zip(parts(self.operator), self.names[repeat], strict=True))


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
        "names",
        "layers",
    }
    if unknown:
        raise ArchitectureError(f"{where}: unknown top-level field {min(unknown)!r}")
    rounding = _string(data, "rounding", where, default="int", choices=tuple(RULES))
    rows = data.get("layers")
    if not isinstance(rows, list) or not rows:
        raise ArchitectureError(f"{where}: needs a non-empty 'layers' list of rows")
    naming = _Naming(data.get("names", {}), path)
    architecture = Architecture(
        name=_string(data, "name", where, default=Path(path).stem),
        source=_string(data, "source", where, default=path),
        resolution=_positive(data, "resolution", where, default=224),
        input_channels=_positive(data, "input_channels", where, default=3),
        classes=_positive(data, "classes", where, default=1000),
        rounding=rounding,
        rows=tuple(_row(row, index, path, naming) for index, row in enumerate(rows, start=1)),
        path=path,
    )
    _check_order(architecture)
    return architecture


def _row(data: object, index: int, path: str, naming: "_Naming") -> Row:
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
    template = _name_template(data["name"], operator, where, "name") if "name" in data else None
    fields["names"] = naming.names(operator, template, fields.get("n", 1), fields.get("t", 1), where)
    return Row(index=index, operator=operator, **fields)


Template = str | dict[str, str]
"""A name template: one string for every part, or a string per part (separable, bottleneck)."""


class _Naming:
    """The table's naming scheme (its ``names`` table), and the names given so far."""

    def __init__(self, data: object, path: str) -> None:
        where = f"{path}: names"
        if not isinstance(data, dict):
            raise ArchitectureError(
                f'{where}: must be a table like {{ bottleneck = "block_{{block}}_{{layer}}" }}'
            )
        unknown = set(data) - set(OPERATOR_FIELDS) - {"first_block"}
        if unknown:
            allowed = ", ".join(("first_block", *OPERATOR_FIELDS))
            raise ArchitectureError(f"{where}: unknown field {min(unknown)!r} (allowed: {allowed})")
        first_block = data.get("first_block", 1)
        if isinstance(first_block, bool) or not isinstance(first_block, int) or first_block < 0:
            raise ArchitectureError(
                f"{where}: field 'first_block' must be a non-negative integer, got {first_block!r}"
            )
        self.path = path
        self.templates: dict[str, Template] = {
            operator: _name_template(data[operator], operator, where, operator)
            for operator in OPERATOR_FIELDS
            if operator in data
        }
        self.next_block = first_block
        self.counts: dict[str, int] = {}
        self.given: dict[str, str] = {}  # each name given so far, and where

    def template(self, operator: str, part: str, own: Template | None) -> str:
        """A part's template: the row's own, else the table's for its operator, else the default."""
        for template in (own, self.templates.get(operator)):
            if isinstance(template, str):
                return template
            if isinstance(template, dict) and part in template:
                return template[part]
        return DEFAULT_NAMES[operator]

    def names(
        self, operator: str, own: Template | None, repeats: int, t: int, where: str
    ) -> tuple[tuple[str, ...], ...]:
        """A row's names, per repeat and part; each checked against the names given before."""
        names = []
        for repeat in range(1, repeats + 1):
            if operator in PARTS:
                values: dict[str, object] = {"block": self.next_block, "repeat": repeat}
                self.next_block += 1
            else:
                self.counts[operator] = self.counts.get(operator, 0) + 1
                values = {"count": self.counts[operator], "repeat": repeat}
            given = []
            for part in parts(operator):
                name = self.template(operator, part, own).format(**values, layer=part)
                if operator != "bottleneck" or part != "expand" or t != 1:  # no expand layer when t is 1
                    self.check(name, where)
                given.append(name)
            names.append(tuple(given))
        return tuple(names)

    def check(self, name: str, where: str) -> None:
        """A name must be usable, and unique in the network."""
        here = where.removeprefix(f"{self.path}: ")
        if not name or "/" in name or name in RESERVED_NAMES:
            raise ArchitectureError(
                f"{where}: layer name {name!r} is not allowed (it must be non-empty, without '/', "
                f"and not {', '.join(RESERVED_NAMES)})"
            )
        if name in self.given:
            hint = (
                "; give each repeat and part its own name with placeholders"
                if self.given[name] == here
                else ""
            )
            raise ArchitectureError(
                f"{where}: layer name {name!r} is already the name of {self.given[name]}{hint}"
            )
        self.given[name] = here


def _name_template(value: object, operator: str, where: str, field: str) -> Template:
    """Validate a name template given for ``operator``'s rows: a string, or (blocks) a table of parts."""
    if isinstance(value, dict) and operator in PARTS:
        unknown = set(value) - set(PARTS[operator])
        if unknown:
            raise ArchitectureError(
                f"{where}: field {field!r}: part {min(unknown)!r} is not one of {operator}'s: "
                f"{', '.join(PARTS[operator])}"
            )
        return {part: _name_string(value[part], operator, where, f"{field}.{part}") for part in value}
    return _name_string(value, operator, where, field)


def _name_string(value: object, operator: str, where: str, field: str) -> str:
    allowed = PLACEHOLDERS["block" if operator in PARTS else "single"]
    if not isinstance(value, str) or not value:
        kinds = "a non-empty string" + (", or a table of them by part" if operator in PARTS else "")
        raise ArchitectureError(f"{where}: field {field!r} must be {kinds}, got {value!r}")
    try:
        placeholders = [found for _, found, _, _ in string.Formatter().parse(value) if found is not None]
    except ValueError as error:
        raise ArchitectureError(f"{where}: field {field!r} is not a name template: {error}") from None
    for placeholder in placeholders:
        if placeholder not in allowed:
            raise ArchitectureError(
                f"{where}: field {field!r} has an unknown placeholder {{{placeholder}}}; "
                f"{operator} rows take: {', '.join('{' + name + '}' for name in allowed)}"
            )
    try:
        value.format(**{name: "depthwise" if name == "layer" else 1 for name in allowed})
    except (ValueError, TypeError) as error:
        raise ArchitectureError(f"{where}: field {field!r} is not a name template: {error}") from None
    return value


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
