"""Architecture tables: TOML files that read like the papers' tables.

A table is a list of rows; each row is one line of the paper (an operator with
its channels ``c``, stride ``s``, repeats ``n`` and, for bottlenecks, expansion
``t``). The built-in tables live in ``mobicalc/tables``; a user's own table in
the same format works everywhere a built-in one does. See docs/tables.md.
"""

import errno
import os
import re
import stat
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

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


# Limits on a table file, which may come from anywhere: none gets near a real network,
# and each keeps reading, parsing and costing a hostile file to well under a second.
MAX_BYTES = 1024 * 1024
"""The largest table file read (1 MiB): a longer one is refused after reading this much."""
MAX_NESTING = 32
"""How deep arrays and inline tables may nest, and how many parts a dotted key may have."""
MAX_DIGITS = 1000
"""The most digits an integer in a table may have."""
MAX_LAYERS = 100_000
"""The most layers a table may expand to, counting every repeat."""
LAYERS_PER_REPEAT = {"separable": 2, "bottleneck": 4}
"""Layers one repeat of a row may become (bottleneck: expand, depthwise, project, add); others 1."""

_TOO_MANY_DIGITS = 10**MAX_DIGITS

FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}

# What the nesting scan skips: strings (replaced by a one-letter key, so that a quoted part
# of a dotted key still counts) and comments. Possessive loops: never any backtracking.
_STRINGS_AND_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"{1,2}(?!"))*+(?:"{3,5}|\Z)'
    r"|'''(?:[^']|'{1,2}(?!'))*+(?:'{3,5}|\Z)"
    r'|"(?:[^"\\\n]|\\.)*+(?:"|$)'
    r"|'[^'\n]*+(?:'|$)"
    r"|(#)[^\n]*+",
    re.DOTALL | re.MULTILINE,
)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_BRACKET_STEPS = {"[": 1, "{": 1, "]": -1, "}": -1}
_DEEP_KEY = re.compile(rf"(?<![\w-])[\w-]++(?:[ \t]*+\.[ \t]*+[\w-]++){{{MAX_NESTING}}}")
_LONG_NUMBER = re.compile(rf"(?<![\w.+-])[+-]?[0-9](?:_?+[0-9]){{{MAX_DIGITS}}}")


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


def load(name_or_path: str | Path) -> Architecture:
    """Load a built-in table (``"v1"``, ``"v2"``) or a user's TOML file."""
    if str(name_or_path) in BUILTIN:
        return _builtin(str(name_or_path))
    path = Path(name_or_path)
    data = _read(path)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the table
    except UnicodeDecodeError as error:
        raise ArchitectureError(
            f"{path}: cannot read: not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    return parse(text, str(path))


def _read(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_BYTES: never a FIFO, a device or a directory.

    Opened without blocking (a FIFO with no writer would wait forever) and checked on
    the open file itself, so that nothing can be swapped in between the check and the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ArchitectureError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArchitectureError(f"{path}: is a directory, not a TOML table") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ArchitectureError(f"{path}: cannot read: too many levels of symbolic links") from None
        raise ArchitectureError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:  # a NUL in the path
        raise ArchitectureError(f"{path}: cannot read: {error}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ArchitectureError(f"{path}: is a directory, not a TOML table")
        if not stat.S_ISREG(mode):
            kind = FILE_TYPES.get(stat.S_IFMT(mode), "a special file")
            raise ArchitectureError(f"{path}: not a regular file ({kind})")
        chunks = []
        left = MAX_BYTES + 1
        while left and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise ArchitectureError(f"{path}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise ArchitectureError(f"{path}: is larger than the 1 MiB a table may be ({MAX_BYTES:,} bytes)")
    return data


@cache
def _builtin(name: str) -> Architecture:
    # Package data read from beside this file: importlib.resources would cost the CLI ~10 ms to import.
    text = (Path(__file__).parent / "tables" / f"{name}.toml").read_text("utf-8")
    return parse(text, name)


def parse(text: str, path: str) -> Architecture:
    """Parse and validate a table; ``path`` only names it in error messages."""
    if len(text) > MAX_BYTES:
        raise ArchitectureError(f"{path}: is larger than the 1 MiB a table may be ({MAX_BYTES:,} bytes)")
    _check_nesting(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ArchitectureError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:  # the nesting scan should have refused it first
        raise ArchitectureError(f"{path}: nests too deep (at most {MAX_NESTING} levels)") from None
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
        raise ArchitectureError(f"{where}: unknown top-level field {_shown(min(unknown))}")
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
        rows=_rows(rows, path, naming),
        path=path,
    )
    _check_order(architecture)
    return architecture


def _check_nesting(text: str, path: str) -> None:
    """Refuse what would make tomllib recurse too deep or take quadratic time, before it reads a byte.

    A linear scan outside strings and comments: the depth of arrays and inline tables,
    the parts of dotted keys, and the digits of integers. It may misjudge only text that
    tomllib rejects before reaching the part misjudged.
    """
    code = _STRINGS_AND_COMMENTS.sub(lambda match: "" if match.group(1) else "s", text)
    brackets = _NOT_BRACKETS.sub("", code)
    if brackets and max(accumulate(map(_BRACKET_STEPS.__getitem__, brackets))) > MAX_NESTING:
        raise ArchitectureError(
            f"{path}: nests too deep: arrays and inline tables may nest at most {MAX_NESTING} levels"
        )
    if _DEEP_KEY.search(code):
        raise ArchitectureError(f"{path}: a dotted key has more than {MAX_NESTING} parts")
    if _LONG_NUMBER.search(code):
        raise ArchitectureError(f"{path}: a number has more than {MAX_DIGITS:,} digits")


def _rows(rows: list, path: str, naming: "_Naming") -> tuple[Row, ...]:
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
            layers += repeats * LAYERS_PER_REPEAT.get(operator, 1)
            if layers > MAX_LAYERS:
                raise ArchitectureError(
                    f"{path}: layer {index} ({operator}): n = {_shown(repeats)} takes the table "
                    f"past {MAX_LAYERS:,} layers, the most a table may have"
                )
        result.append(_row(data, index, path, naming))
    return tuple(result)


def _shown(value: object) -> str:
    """A value for an error message: short, and never a huge integer's thousands of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _TOO_MANY_DIGITS:
        return f"a number of more than {MAX_DIGITS:,} digits"
    if isinstance(value, list):
        if len(value) > 4 or not all(isinstance(item, bool | int | float | str) for item in value):
            return f"an array of {len(value)} items"
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    text = repr(value[:41] if isinstance(value, str) else value)
    return text if len(text) <= 40 else text[:37] + "..."


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
            f"{where}: field {_shown(field)} does not apply (allowed: {', '.join(sorted(allowed))})"
        )
    missing = REQUIRED.get(operator, set()) - set(data)
    if missing:
        raise ArchitectureError(f"{where}: missing field {min(missing)!r}")
    fields: dict[str, Any] = {}  # validated above, field by field
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
    if value >= _TOO_MANY_DIGITS:
        raise ArchitectureError(f"{where}: field {field!r} has more than {MAX_DIGITS:,} digits")
    return value


def _padding(value: object, where: str) -> Padding:
    if isinstance(value, str) and value in ("same", "valid"):
        return value
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(
            isinstance(side, int) and not isinstance(side, bool) and 0 <= side < _TOO_MANY_DIGITS
            for side in value
        )
    ):
        return (value[0], value[1])
    raise ArchitectureError(
        f'{where}: field \'padding\' must be "same", "valid" or [before, after] '
        f"(non-negative integers of at most {MAX_DIGITS:,} digits), got {_shown(value)}"
    )
