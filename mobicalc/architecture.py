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
import tomllib
from dataclasses import dataclass, fields
from functools import cache, cached_property
from itertools import accumulate
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
        "layers",
    }
    if unknown:
        raise ArchitectureError(f"{where}: unknown top-level field {_shown(min(unknown))}")
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
        rows=_rows(rows, path),
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


def _rows(rows: list, path: str) -> tuple[Row, ...]:
    """The rows, refused as soon as their repeats add up to more than MAX_LAYERS layers."""
    result = []
    layers = 0
    for index, data in enumerate(rows, start=1):
        row = _row(data, index, path)
        layers += row.n * LAYERS_PER_REPEAT.get(row.operator, 1)
        if layers > MAX_LAYERS:
            raise ArchitectureError(
                f"{path}: layer {index} ({row.operator}): n = {row.n} takes the table past "
                f"{MAX_LAYERS:,} layers, the most a table may have"
            )
        result.append(row)
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
            f"{where}: field {_shown(field)} does not apply (allowed: {', '.join(sorted(allowed))})"
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
    if value in ("same", "valid"):
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
