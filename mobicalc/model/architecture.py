"""An architecture table as read: its defaults and its rows, each a line of a paper's table.

Records are NamedTuples, not dataclasses: they are made once, read often, and a
dataclass costs the CLI's start-up about a millisecond to define.

``tables.py`` reads and validates them (built-in or a user's TOML file);
``operators.py`` says what each row's operator takes and becomes.
"""

from typing import NamedTuple

from mobicalc.errors import MobicalcError
from mobicalc.model.layers import Padding, Resolution


class ArchitectureError(MobicalcError):
    """A table that cannot be read; the message names the file, row and field."""


BUILTIN = ("v1", "v2", "v3-large", "v3-small")
"""The built-in tables, in ``mobicalc/tables``."""

WIDTHS = ("scaled", "grow-only", "fixed", "relative")
"""How a row's channels follow the width multiplier (docs/tables.md)."""

NONLINEARITIES = {"RE6": "relu6", "RE": "relu", "HS": "hard_swish"}
"""A row's ``nl`` (the papers' non-linearity column) and the activation it means; RE6 is the default."""


class Row(NamedTuple):
    """One line of an architecture table."""

    number: int
    """Its place in the table, from 1 (error messages say "layer 3")."""
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
    names: tuple[tuple[tuple[str, str], ...], ...] = ()
    """The layers' names: per repeat, (part, name) for each part of the operator."""

    @property
    def expands(self) -> bool:
        """Whether a bottleneck row has an expand layer (in Keras every block but the first, of t = 1)."""
        return self.exp != self.inputs if self.exp else self.t != 1

    @property
    def activation(self) -> str:
        """The activation its ``nl`` means."""
        return NONLINEARITIES[self.nl]

    def layer_names(self, repeat: int) -> dict[str, str]:
        """The names of the layers of repeat ``repeat`` (from 0), by part."""
        return dict(self.names[repeat])


class Architecture(NamedTuple):
    """A whole table: its defaults and its rows."""

    name: str
    source: str
    resolution: Resolution
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

    @property
    def details(self) -> dict[str, object]:
        """What a source adds to the JSON 'model' beside the keys every source has: nothing, for a table."""
        return {}
