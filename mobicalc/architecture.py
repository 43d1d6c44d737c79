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
from dataclasses import dataclass, replace
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from mobicalc.rounding import RULES

BUILTIN = ("v1", "v2", "v3-large", "v3-small")

Padding = str | tuple[int, int]
"""``"same"``, ``"valid"``, or explicit ``(before, after)`` zero padding."""

WIDTHS = ("scaled", "grow-only", "fixed", "relative")

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
        "nl",
        "top",
        "name",
    },
    "depthwise": {"kernel", "s", "n", "padding", "bias", "batch_norm", "nl", "name"},
    "pointwise": {"c", "n", "rounding", "width", "bias", "batch_norm", "nl", "top", "name"},
    "separable": {"c", "kernel", "s", "n", "padding", "rounding", "width", "nl", "name"},
    "bottleneck": {"t", "exp", "c", "kernel", "s", "n", "padding", "rounding", "width", "se", "nl", "name"},
    "pool": {"name"},
    "classifier": {"bias", "name"},
    "rescale": {"name"},
}
REQUIRED = {
    "conv": {"c"},
    "pointwise": {"c"},
    "separable": {"c"},
    "bottleneck": {"c"},  # and t or exp
}

NONLINEARITIES = {"RE6": "relu6", "RE": "relu", "HS": "hard_swish"}
"""A row's ``nl`` (the papers' non-linearity column) and the activation it means; RE6 is the default."""


# Layer names. A row makes one layer per repeat, or for separable and bottleneck rows one block
# per repeat, of these parts (a bottleneck's expand only when it expands, its squeeze-and-excite
# layers only when se = true, its add only where the block keeps its shape). A name template fills
# in the placeholders of its operator. The squeeze-and-excite parts are named as keras.applications
# names them: the pool, the reducing 1x1 conv, the expanding 1x1 conv, the multiply.
SQUEEZE_EXCITE = (
    "squeeze_excite_avg_pool",
    "squeeze_excite_conv",
    "squeeze_excite_conv_1",
    "squeeze_excite_mul",
)
PARTS = {
    "separable": ("depthwise", "pointwise"),
    "bottleneck": ("expand", "depthwise", *SQUEEZE_EXCITE, "project", "add"),
}
PLACEHOLDERS = {
    "single": {
        "count": "the layer's number among the table's layers of its operator (1, 2, ...)",
        "repeat": "the repeat within the row (1 to n)",
    },
    "block": {
        "block": "the block's number among the table's blocks, from names.first_block (default 1)",
        "layer": "the part of the block (separable: depthwise, pointwise; "
        "bottleneck: expand, depthwise, " + ", ".join(SQUEEZE_EXCITE) + ", project, add)",
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
    "rescale": "rescale{count}",
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
"""Layers one repeat of a row may become (bottleneck: expand, depthwise, project, add, and the 4 of
squeeze-and-excite when se = true); others 1."""

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
    exp: int = 0
    """A bottleneck's expansion size (the channels of its expand layer at width 1); 0: ``t`` instead."""
    se: bool = False
    nl: str = "RE6"
    top: bool = False
    """Dropped by ``--no-top`` when it is among the table's last rows (pool and classifier rows are)."""
    inputs: int = 0
    """The channels entering the row at width 1, as the table gives them: what ``exp`` and a
    ``relative`` width are relative to."""
    names: tuple[tuple[str, ...], ...] = ()
    """The layers' names: one tuple per repeat, one name per part (``parts(operator)``)."""

    @property
    def expands(self) -> bool:
        """Whether a bottleneck row has an expand layer (in Keras every block but the first, of t = 1)."""
        return self.exp != self.inputs if self.exp else self.t != 1

    def layer_names(self, repeat: int) -> dict[str, str]:
        """The names of the layers of repeat ``repeat`` (from 0), by part."""
        return dict(zip(parts(self.operator), self.names[repeat], strict=True))


@dataclass(frozen=True)
class Architecture:
    """A whole table: its defaults and its rows."""

    name: str
    source: str
    resolution: int | tuple[int, int]
    """The default input size: one number (square) or (height, width)."""
    input_channels: int
    classes: int
    rounding: str
    rows: tuple[Row, ...]
    path: str
    variant: str | None = None
    """The variant of the table applied to the rows (its ``variants``), if any."""
    variants: tuple[str, ...] = ()
    depth_multiplier: int = 1
    """The default depth multiplier: each depthwise layer's output channels per input channel."""


def load(name_or_path: str | Path, variant: str | None = None) -> Architecture:
    """Load a built-in table (``"v1"``, ``"v2"``, ...) or a user's TOML file, with one of its variants."""
    if str(name_or_path) in BUILTIN:
        # One argument when there is no variant: _builtin(name) is the table as written.
        return _builtin(str(name_or_path)) if variant is None else _builtin(str(name_or_path), variant)
    path = Path(name_or_path)
    data = _read(path)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the table
    except UnicodeDecodeError as error:
        raise ArchitectureError(
            f"{path}: cannot read: not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    return parse(text, str(path), variant)


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
def _builtin(name: str, variant: str | None = None) -> Architecture:
    # Package data read from beside this file: importlib.resources would cost the CLI ~10 ms to import.
    text = (Path(__file__).parent / "tables" / f"{name}.toml").read_text("utf-8")
    return parse(text, name, variant)


def parse(text: str, path: str, variant: str | None = None) -> Architecture:
    """Parse and validate a table, with ``variant`` applied; ``path`` only names it in error messages."""
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
        "depth_multiplier",
        "classes",
        "rounding",
        "names",
        "variants",
        "layers",
    }
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
    naming = _Naming(data.get("names", {}), path)
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
                pairs = value.items() if isinstance(value, dict) else [(value, value)]
                if not all(old in NONLINEARITIES and new in NONLINEARITIES for old, new in pairs):
                    raise ArchitectureError(
                        f"{here}: field 'nl' must map non-linearities to non-linearities "
                        f'({", ".join(NONLINEARITIES)}), like {{ HS = "RE" }}'
                    )
            elif key not in OPERATOR_FIELDS:
                raise ArchitectureError(
                    f"{here}: unknown field {_shown(key)} (allowed: nl, {', '.join(OPERATOR_FIELDS)})"
                )
            elif not isinstance(value, dict) or not set(value) <= OPERATOR_FIELDS[key] - {"name"}:
                raise ArchitectureError(
                    f"{here}: field {key!r} must be a table of {key} fields other than name"
                )
        variants[name] = variant
    return variants


def _vary(row: object, variant: Variant) -> object:
    """A row (still as read) with a variant applied; the row is validated afterwards, as any row."""
    if not isinstance(row, dict) or row.get("operator") not in OPERATOR_FIELDS:
        return row
    row = {**row, **variant.get(row["operator"], {})}
    if "nl" in variant and "nl" in OPERATOR_FIELDS[row["operator"]]:
        nl = row.get("nl", "RE6")
        row["nl"] = variant["nl"].get(nl, nl) if isinstance(nl, str) else nl
    return row


def _rows(rows: list, path: str, naming: "_Naming", input_channels: int) -> tuple[Row, ...]:
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
            excite = len(SQUEEZE_EXCITE) if data.get("se") is True else 0
            layers += repeats * (LAYERS_PER_REPEAT.get(operator, 1) + excite)
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


def _row(data: object, index: int, path: str, naming: "_Naming", inputs: int) -> Row:
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
    if operator == "bottleneck" and "t" not in data and "exp" not in data:
        raise ArchitectureError(f"{where}: missing field 't' (or 'exp', the expansion size)")
    if operator == "bottleneck" and "t" in data and "exp" in data:
        raise ArchitectureError(f"{where}: give the expansion as t (a factor) or exp (channels), not both")
    fields: dict[str, Any] = {"inputs": inputs}  # validated below, field by field
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
    if operator == "pointwise":
        fields["kernel"] = 1
    if operator == "classifier":
        fields.setdefault("bias", True)
        fields["batch_norm"] = False
    if operator in ("pool", "classifier"):
        fields["top"] = True
    template = _name_template(data["name"], operator, where, "name") if "name" in data else None
    row = Row(index=index, operator=operator, **fields)
    absent = set()  # the parts that make no layer: their names need not be unique
    if operator == "bottleneck":
        absent = ({"expand"} if not row.expands else set()) | (set() if row.se else set(SQUEEZE_EXCITE))
    return replace(row, names=naming.names(operator, template, row.n, absent, where))


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
        self, operator: str, own: Template | None, repeats: int, absent: set[str], where: str
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
                if part not in absent:  # a part that makes no layer takes no name
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


def _resolution(data: dict, where: str) -> int | tuple[int, int]:
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
            isinstance(side, int) and not isinstance(side, bool) and 0 <= side < _TOO_MANY_DIGITS
            for side in value
        )
    ):
        return (value[0], value[1])
    raise ArchitectureError(
        f'{where}: field \'padding\' must be "same", "valid" or [before, after] '
        f"(non-negative integers of at most {MAX_DIGITS:,} digits), got {_shown(value)}"
    )
