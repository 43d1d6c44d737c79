"""The table operators: everything about an operator, declared in one entry.

Each operator (a row's ``operator``: conv, separable, bottleneck, ...) says
which fields a row of it takes and requires, the parts each repeat makes and
how they are named, what it fixes or defaults, and how a row of it becomes
layers (its walk function). ``tables.py`` validates rows and ``placing.py``
walks them from this registry alone; neither branches on an operator's name.
A new operator is one entry here (and its tests).
"""

from collections.abc import Callable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, NamedTuple

from mobicalc.model.architecture import Architecture, Row
from mobicalc.model.layers import Layer, Padding, Shape


class Source(Enum):
    """Where a layer's output channels come from (``placing.channel_counts`` works them out)."""

    SCALED = "scaled"
    """``number`` times the width multiplier, rounded by ``rule`` (``grow_only``: alpha only above 1)."""
    FIXED = "fixed"
    """``number``, at any width; unless the convention scales fixed rows too (``scale_fixed``): then as
    ``SCALED``, by ``rule``."""
    RECEIVED = "received"
    """As many as the layer receives (pool, add)."""
    TIMES = "times"
    """``number`` times as many as it receives (a bottleneck's expansion t)."""
    RELATIVE = "relative"
    """``number / per`` times as many as it receives, rounded by ``rule`` (Keras'
    ``_depth(in_channels * ratio)``)."""
    SAME_AS = "same-as"
    """As many as the output of blueprint ``number`` (squeeze-and-excite back to the map's)."""
    MULTIPLIER = "multiplier"
    """The depth multiplier times as many as it receives (a depthwise layer)."""
    CLASSES = "classes"
    """The class count of the settings (the classifier)."""


class Channels(NamedTuple):
    """How a layer's output channels follow from the settings; decided once per table."""

    source: Source
    number: int = 0
    rule: str = ""
    grow_only: bool = False
    per: int = 1


class Blueprint(NamedTuple):
    """One layer before its width and resolution are known.

    ``template`` has the layer's name, kind, kernel, stride and so on, with
    unplaced shapes; ``channels`` says how its output channels follow. A layer
    that reads a second tensor (an add, a multiply) names it by
    ``shortcut_at``: the blueprint whose output it reads (-1: the network's
    input). An add is only there when the block keeps its channels, which can
    depend on the width (Keras decides the same way). ``partner_at`` is, for
    a depthwise layer, the blueprint of the pointwise layer that completes it.
    """

    template: Layer
    channels: Channels
    shortcut_at: int | None = None
    partner_at: int | None = None


UNPLACED = Shape(0, 0, 0)
"""The shapes of a template: sizes and channels are given by ``placing.place``."""

RECEIVED = Channels(Source.RECEIVED)
"""As many channels out as the layer receives (pool, add)."""

MULTIPLIED = Channels(Source.MULTIPLIER)
"""The depth multiplier times as many channels out as the layer receives (depthwise)."""


class Walk:
    """The state of one pass over a table's rows: the blueprints so far."""

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        self.blueprints: list[Blueprint] = []

    def scaled(self, row: Row) -> Channels:
        """A row's own channels: ``c`` at the width multiplier, fixed, or relative to its input."""
        rule = row.rounding or self.architecture.rounding
        if row.width == "fixed":
            return Channels(Source.FIXED, row.c, rule)
        if row.width == "relative":
            return Channels(Source.RELATIVE, row.c, rule, per=row.inputs)
        return Channels(Source.SCALED, row.c, rule, grow_only=row.width == "grow-only")

    def add(
        self, name: str, kind: str, channels: Channels, shortcut_at: int | None = None, **options: Any
    ) -> int:
        """Append the next layer; its index, for the layers that refer back to it."""
        template = Layer(name, kind, UNPLACED, UNPLACED, **options)
        self.blueprints.append(Blueprint(template, channels, shortcut_at))
        return len(self.blueprints) - 1

    def pair(self, depthwise: int, pointwise: int) -> None:
        """Mark ``pointwise`` as the layer that completes ``depthwise``."""
        self.blueprints[depthwise] = self.blueprints[depthwise]._replace(partner_at=pointwise)


Names = dict[str, str]
"""The names the table gives the layers of one repeat of a row, by part."""

WalkFunction = Callable[[Walk, Row, Names, int, Padding], None]
"""(the walk, the row, its names, the stride and padding of this repeat) -> appends its layers."""


def _conv(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """A convolution row: one layer (a 1x1 one is pointwise)."""
    walk.add(
        names[row.operator], "conv" if row.kernel != 1 else "pointwise", walk.scaled(row), kernel=row.kernel,
        stride=stride, padding=padding, bias=row.bias, batch_norm=row.batch_norm, activation=row.activation,
    )  # fmt: skip


def _depthwise(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """A depthwise row: one layer, the depth multiplier's channels per input channel."""
    walk.add(
        names[row.operator], "depthwise", MULTIPLIED, kernel=row.kernel, stride=stride, padding=padding,
        bias=row.bias, batch_norm=row.batch_norm, activation=row.activation,
    )  # fmt: skip


def _block_depthwise(walk: Walk, name: str, row: Row, stride: int, padding: Padding) -> int:
    return walk.add(
        name, "depthwise", MULTIPLIED, kernel=row.kernel, stride=stride, padding=padding,
        batch_norm=True, activation=row.activation,
    )  # fmt: skip


def _pointwise(walk: Walk, name: str, row: Row, depthwise: int, activation: str | None) -> None:
    """The 1x1 convolution that completes a depthwise one: the pair costs as one standard conv."""
    pair = walk.blueprints[depthwise].template.name
    pointwise = walk.add(
        name, "pointwise", walk.scaled(row), batch_norm=True, activation=activation, pair=pair
    )
    walk.pair(depthwise, pointwise)


def _separable(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Depthwise k x k, then pointwise 1x1 (MobileNetV1, paper Figure 3)."""
    depthwise = _block_depthwise(walk, names["depthwise"], row, stride, padding)
    _pointwise(walk, names["pointwise"], row, depthwise, row.activation)


SQUEEZE_RATIO = 4
"""Squeeze-and-excite reduces to a quarter of the channels (MobileNetV3, as Keras: se_ratio 0.25)."""

SQUEEZE_EXCITE = (
    "squeeze_excite_avg_pool",
    "squeeze_excite_conv",
    "squeeze_excite_conv_1",
    "squeeze_excite_mul",
)
"""A bottleneck's squeeze-and-excite parts, named as keras.applications names them: the pool, the
reducing 1x1 conv, the expanding 1x1 conv, the multiply."""


def _squeeze_excite(walk: Walk, row: Row, names: Names) -> None:
    """Squeeze-and-excite (MobileNetV3, Figure 4): pool to 1x1; a 1x1 conv with bias to a quarter of
    the channels (ReLU) and one back (hard sigmoid); multiply each channel of the map by the result."""
    pool, reduce, expand, multiply = (names[part] for part in SQUEEZE_EXCITE)
    scaled = walk.add(pool, "pool", RECEIVED, padding="valid") - 1  # the map it scales: the depthwise's
    rule = row.rounding or walk.architecture.rounding
    walk.add(
        reduce, "excite", Channels(Source.RELATIVE, 1, rule, per=SQUEEZE_RATIO), bias=True, activation="relu"
    )
    walk.add(expand, "excite", Channels(Source.SAME_AS, scaled), bias=True, activation="hard_sigmoid")
    walk.add(multiply, "multiply", RECEIVED, shortcut_at=scaled)


def _bottleneck(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Inverted residual with linear bottleneck (MobileNetV2, paper Table 1), and MobileNetV3's
    bneck: expansion size, squeeze-and-excite and non-linearity per row (paper Tables 1 and 2)."""
    shortcut = len(walk.blueprints) - 1
    if row.expands:
        expanded = (
            Channels(Source.RELATIVE, row.exp, row.rounding or walk.architecture.rounding, per=row.inputs)
            if row.exp
            else Channels(Source.TIMES, row.t)
        )
        walk.add(names["expand"], "pointwise", expanded, batch_norm=True, activation=row.activation)
    depthwise = _block_depthwise(walk, names["depthwise"], row, stride, padding)
    if row.se:
        _squeeze_excite(walk, row, names)
    _pointwise(walk, names["project"], row, depthwise, None)
    # As Keras: a residual where the block keeps its shape (stride 1, "same", same channels).
    if stride == 1 and padding == "same":
        walk.add(names["add"], "add", RECEIVED, shortcut_at=shortcut)


def _pool(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """Global average pooling: every pixel of each channel to one value."""
    walk.add(names["pool"], "pool", RECEIVED, padding="valid")


def _rescale(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    """The input's preprocessing, x * scale + offset per element (Keras' Rescaling): no MACs, no weights."""
    walk.add(names["rescale"], "rescale", RECEIVED)


def _classifier(walk: Walk, row: Row, names: Names, stride: int, padding: Padding) -> None:
    walk.add(names["classifier"], "dense", Channels(Source.CLASSES), bias=row.bias, activation="softmax")


def _bottleneck_fields(data: Mapping[str, Any]) -> str | None:
    """A bottleneck gives its expansion as ``t`` (a factor) or ``exp`` (channels): one of them."""
    if "t" not in data and "exp" not in data:
        return "missing field 't' (or 'exp', the expansion size)"
    if "t" in data and "exp" in data:
        return "give the expansion as t (a factor) or exp (channels), not both"
    return None


def _bottleneck_absent(row: Row) -> frozenset[str]:
    """The parts a bottleneck row makes no layer of: expand when it does not expand, squeeze-and-excite
    unless ``se``. (Its add depends on the width: it is named either way.)"""
    return frozenset(({"expand"} if not row.expands else set()) | (set() if row.se else set(SQUEEZE_EXCITE)))


def _nothing_absent(row: Row) -> frozenset[str]:
    return frozenset()


def _no_check(data: Mapping[str, Any]) -> str | None:
    return None


NOTHING: Mapping[str, Any] = MappingProxyType({})


class Operator(NamedTuple):
    name: str
    walk: WalkFunction
    """How a row of it becomes layers."""
    fields: frozenset[str]
    """The fields a row of it takes (besides ``operator``)."""
    default_name: str
    """The name template of its layers when the table gives none."""
    required: frozenset[str] = frozenset()
    parts: tuple[str, ...] = ()
    """A block's parts, each a layer named by the template's ``{layer}``; () for one layer."""
    layers_per_repeat: int = 1
    """The most layers one repeat makes, before squeeze-and-excite (what MAX_LAYERS counts)."""
    fixed: Mapping[str, Any] = NOTHING
    """Fields every row of it has, whatever the table says (a pointwise kernel is 1)."""
    defaults: Mapping[str, Any] = NOTHING
    """Fields it has when the row does not give them, other than ``Row``'s own defaults."""
    check: Callable[[Mapping[str, Any]], str | None] = _no_check
    """What is wrong with a row's fields together (as read), or None."""
    absent: Callable[[Row], frozenset[str]] = _nothing_absent
    """The parts a row makes no layer of (their names need not be unique)."""
    last: bool = False
    """Must be the table's last row."""
    widens_depthwise: bool = False
    """Widens its depthwise layer itself (by the expansion t): refuses a depth multiplier."""

    @property
    def block(self) -> bool:
        """A block of parts (its names take ``{block}`` and ``{layer}``), not one layer."""
        return bool(self.parts)

    @property
    def part_names(self) -> tuple[str, ...]:
        """The parts each repeat makes: the block's, or the operator itself."""
        return self.parts or (self.name,)


CONVOLUTION = frozenset({"kernel", "s", "n", "padding", "nl", "name"})
SCALED = frozenset({"c", "rounding", "width"})

OPERATORS: Mapping[str, Operator] = {
    operator.name: operator
    for operator in (
        Operator("conv", _conv, CONVOLUTION | SCALED | {"bias", "batch_norm", "top"}, "conv{count}",
                 required=frozenset({"c"})),
        Operator("depthwise", _depthwise, CONVOLUTION | {"bias", "batch_norm"}, "depthwise{count}"),
        Operator("pointwise", _conv, SCALED | {"n", "bias", "batch_norm", "nl", "top", "name"},
                 "pointwise{count}", required=frozenset({"c"}), fixed={"kernel": 1}),
        Operator("separable", _separable, CONVOLUTION | SCALED, "block{block}_{layer}",
                 required=frozenset({"c"}), parts=("depthwise", "pointwise"), layers_per_repeat=2),
        Operator("bottleneck", _bottleneck, CONVOLUTION | SCALED | {"t", "exp", "se"}, "block{block}_{layer}",
                 required=frozenset({"c"}), parts=("expand", "depthwise", *SQUEEZE_EXCITE, "project", "add"),
                 layers_per_repeat=4, check=_bottleneck_fields, absent=_bottleneck_absent,
                 widens_depthwise=True),
        Operator("pool", _pool, frozenset({"name"}), "pool{count}", fixed={"top": True}),
        Operator("classifier", _classifier, frozenset({"bias", "name"}), "classifier",
                 fixed={"batch_norm": False, "top": True}, defaults={"bias": True}, last=True),
        Operator("rescale", _rescale, frozenset({"name"}), "rescale{count}"),
    )
}  # fmt: skip
"""Every table operator by name."""

SQUEEZE_EXCITE_LAYERS = len(SQUEEZE_EXCITE)
"""The layers ``se = true`` adds to each repeat of a row."""
