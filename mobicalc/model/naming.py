"""Layer names from a table: templates with placeholders, each name checked to be usable and unique.

A row makes one layer per repeat, or for block operators (separable,
bottleneck) one block per repeat of the operator's parts. A name template
fills in its operator's placeholders.
"""

import string

from mobicalc.model.architecture import ArchitectureError
from mobicalc.model.operators import OPERATORS, Operator

PLACEHOLDERS = {
    "single": {
        "count": "the layer's number among the table's layers of its operator (1, 2, ...)",
        "repeat": "the repeat within the row (1 to n)",
    },
    "block": {
        "block": "the block's number among the table's blocks, from names.first_block (default 1)",
        "layer": "the part of the block ("
        + "; ".join(f"{op.name}: {', '.join(op.parts)}" for op in OPERATORS.values() if op.block)
        + ")",
        "repeat": "the repeat within the row (1 to n)",
    },
}
RESERVED_NAMES = ("input",)
"""Names no layer may take: ``input`` names the network's input among a layer's reads."""

Template = str | dict[str, str]
"""A name template: one string for every part, or a string per part (separable, bottleneck)."""


class Naming:
    """The table's naming scheme (its ``names`` table), and the names given so far."""

    def __init__(self, data: object, path: str) -> None:
        where = f"{path}: names"
        if not isinstance(data, dict):
            raise ArchitectureError(
                f'{where}: must be a table like {{ bottleneck = "block_{{block}}_{{layer}}" }}'
            )
        unknown = set(data) - set(OPERATORS) - {"first_block"}
        if unknown:
            allowed = ", ".join(("first_block", *OPERATORS))
            raise ArchitectureError(f"{where}: unknown field {min(unknown)!r} (allowed: {allowed})")
        first_block = data.get("first_block", 1)
        if isinstance(first_block, bool) or not isinstance(first_block, int) or first_block < 0:
            raise ArchitectureError(
                f"{where}: field 'first_block' must be a non-negative integer, got {first_block!r}"
            )
        self.path = path
        self.templates: dict[str, Template] = {
            name: name_template(data[name], operator, where, name)
            for name, operator in OPERATORS.items()
            if name in data
        }
        self.next_block = first_block
        self.counts: dict[str, int] = {}
        self.given: dict[str, str] = {}  # each name given so far, and where

    def template(self, operator: Operator, part: str, own: Template | None) -> str:
        """A part's template: the row's own, else the table's for its operator, else the default."""
        for template in (own, self.templates.get(operator.name)):
            if isinstance(template, str):
                return template
            if isinstance(template, dict) and part in template:
                return template[part]
        return operator.default_name

    def names(
        self, operator: Operator, own: Template | None, repeats: int, absent: frozenset[str], where: str
    ) -> tuple[tuple[tuple[str, str], ...], ...]:
        """A row's names, per repeat (part, name) for each part; each checked against the names before."""
        names = []
        for repeat in range(1, repeats + 1):
            if operator.block:
                values: dict[str, object] = {"block": self.next_block, "repeat": repeat}
                self.next_block += 1
            else:
                self.counts[operator.name] = self.counts.get(operator.name, 0) + 1
                values = {"count": self.counts[operator.name], "repeat": repeat}
            given = []
            for part in operator.part_names:
                name = self.template(operator, part, own).format(**values, layer=part)
                if part not in absent:  # a part that makes no layer takes no name
                    self.check(name, where)
                given.append((part, name))
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


def name_template(value: object, operator: Operator, where: str, field: str) -> Template:
    """Validate a name template given for ``operator``'s rows: a string, or (blocks) a table of parts."""
    if isinstance(value, dict) and operator.block:
        unknown = set(value) - set(operator.parts)
        if unknown:
            raise ArchitectureError(
                f"{where}: field {field!r}: part {min(unknown)!r} is not one of {operator.name}'s: "
                f"{', '.join(operator.parts)}"
            )
        return {part: _name_string(value[part], operator, where, f"{field}.{part}") for part in value}
    return _name_string(value, operator, where, field)


def _name_string(value: object, operator: Operator, where: str, field: str) -> str:
    allowed = PLACEHOLDERS["block" if operator.block else "single"]
    if not isinstance(value, str) or not value:
        kinds = "a non-empty string" + (", or a table of them by part" if operator.block else "")
        raise ArchitectureError(f"{where}: field {field!r} must be {kinds}, got {value!r}")
    try:
        placeholders = [found for _, found, _, _ in string.Formatter().parse(value) if found is not None]
    except ValueError as error:
        raise ArchitectureError(f"{where}: field {field!r} is not a name template: {error}") from None
    for placeholder in placeholders:
        if placeholder not in allowed:
            raise ArchitectureError(
                f"{where}: field {field!r} has an unknown placeholder {{{placeholder}}}; "
                f"{operator.name} rows take: {', '.join('{' + name + '}' for name in allowed)}"
            )
    try:
        value.format(**{name: "depthwise" if name == "layer" else 1 for name in allowed})
    except (ValueError, TypeError) as error:
        raise ArchitectureError(f"{where}: field {field!r} is not a name template: {error}") from None
    return value
