"""The time of each layer: the ops of a profiler trace, each given to the layer that made it.

TensorFlow's profiler records every op it runs as an event named
``OP_NAME:OP_TYPE`` with a duration. An op's name starts with the name scope
of the Keras layer that made it (``mobicalc_1/conv_dw_7_1/depthwise``), but
TensorFlow makes scope names unique by adding suffixes (a layer ``conv`` runs
in ``conv_1``, and a layer named ``conv_1`` then in ``conv_1_2``), so a name
alone can point at two layers. The scope each layer runs in is therefore
recorded when the model is traced (``mobicalc.tf.trace``) and handed in here:
each op goes to the layer of the longest scope its name starts with. An op
under no layer's scope (the function's output, a copy of the input) is counted
apart, as unattributed: every op is counted once, and the layers' times plus
the unattributed time are the trace's whole.

TensorFlow's graph optimiser fuses a convolution or a matrix product with the
bias, activation or addition after it into one op, named after the last of them:
a Keras ``Conv2D`` followed by a ``ReLU`` layer runs as one ``_FusedConv2D`` in the
ReLU's scope. Where layers are each their own row (a Keras model's), such an op is
given to the layer whose MACs it computes (``fused_into``), not to the activation.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

PICOSECONDS = 10**12
FUSED = re.compile(r"Fused\w*(Conv|MatMul)")
"""The op types of a convolution or matrix product fused with what follows it (``_FusedConv2D``,
``_MklNativeFusedConv2D``, ``_MklNativeFusedMatMul``, ``_MklNativeFusedDepthwiseConv2dNative``)."""


class OpTime(NamedTuple):
    """One op event of a trace."""

    name: str
    """The op's full name, scopes first: ``mobicalc_1/conv_dw_7_1/depthwise``."""
    type: str
    """What ran: ``_MklNativeDepthwiseConv2dNative``, ``Mul``, ``Relu6``, ..."""
    picoseconds: int
    start: int = 0
    """When it began, in picoseconds from any fixed point of the trace (orders one op's events)."""


def owner(op_name: str, scopes: Mapping[str, str]) -> str | None:
    """The layer of the longest scope in ``scopes`` (scope path -> layer) that ``op_name`` is under."""
    parts = op_name.split("/")
    for end in range(len(parts) - 1, 0, -1):  # the longest scope first; the last part is the op's own
        layer = scopes.get("/".join(parts[:end]))
        if layer is not None:
            return layer
    return None


@dataclass(frozen=True)
class Attribution:
    """A trace's ops given to layers: total picoseconds and op events per layer, over ``iterations``."""

    iterations: int
    picoseconds: dict[str, int]
    """Per layer, in the order the layers were given; 0 for a layer none of whose ops ran."""
    ops: dict[str, int]
    """How many op events each layer got."""
    unattributed: int
    """Picoseconds of ops under no layer's scope."""
    unattributed_ops: tuple[str, ...]
    """Their names, each once."""
    events: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)
    """Per layer, each op name's events as (start, picoseconds)."""
    fused: dict[str, str] = field(default_factory=dict)
    """Each layer a fused op was taken from (it ran in its scope), to the layer it was given to."""

    def per_iteration(self, layer: str) -> tuple[float, ...] | None:
        """``layer``'s seconds in each traced call, in order: each op's n-th event is in the n-th call.
        None when some op of it did not run exactly once a call (a trace cut short)."""
        calls = [0] * self.iterations
        for events in self.events.get(layer, {}).values():
            if len(events) != self.iterations:
                return None
            for number, (_, picoseconds) in enumerate(sorted(events)):
                calls[number] += picoseconds
        return tuple(picoseconds / PICOSECONDS for picoseconds in calls)

    @property
    def total(self) -> int:
        """Every op's picoseconds: the layers' and the unattributed."""
        return sum(self.picoseconds.values()) + self.unattributed

    def seconds(self, layer: str) -> float:
        """The time of ``layer``'s ops per iteration (per call of the model)."""
        return self.picoseconds[layer] / self.iterations / PICOSECONDS

    @property
    def seconds_per_iteration(self) -> float:
        return self.total / self.iterations / PICOSECONDS

    @property
    def unattributed_seconds(self) -> float:
        return self.unattributed / self.iterations / PICOSECONDS

    def share(self, layer: str) -> Fraction:
        """``layer``'s part of the whole trace's time."""
        return Fraction(self.picoseconds[layer], self.total) if self.total else Fraction(0)

    @property
    def unattributed_share(self) -> Fraction:
        return Fraction(self.unattributed, self.total) if self.total else Fraction(0)


def attribute(
    ops: Iterable[OpTime],
    scopes: Mapping[str, str],
    layers: Iterable[str],
    iterations: int,
    fused_into: Mapping[str, str] | None = None,
) -> Attribution:
    """Give each op of a trace of ``iterations`` calls to its layer.

    ``scopes``: each Keras scope path, as the trace names it, to the layer whose ops
    run in it (helper Keras layers, a batch-norm or an activation, to the layer they
    belong to); ``layers``: every layer, in order; ``fused_into``: for a layer without
    MACs, the layer whose MACs a fused op in its scope computes (``fused_owners``).
    """
    fused_into = fused_into or {}
    moved: dict[str, str] = {}
    if iterations < 1:
        raise ValueError("a trace covers at least one iteration")
    picoseconds = dict.fromkeys(layers, 0)
    if unknown := set(scopes.values()) - set(picoseconds):
        raise ValueError(f"scopes name layers that are not given: {sorted(unknown)}")
    counts = dict.fromkeys(picoseconds, 0)
    events: dict[str, dict[str, list[tuple[int, int]]]] = {layer: {} for layer in picoseconds}
    unattributed = 0
    stray: dict[str, None] = {}
    owners: dict[str, str | None] = {}  # by op name: each op name runs once per iteration
    for op in ops:
        if op.name not in owners:
            found = owner(op.name, scopes)
            if found is not None and found in fused_into and FUSED.search(op.type):
                moved[found] = fused_into[found]
                found = fused_into[found]
            owners[op.name] = found
        layer = owners[op.name]
        if layer is None:
            unattributed += op.picoseconds
            stray[op.name] = None
        else:
            picoseconds[layer] += op.picoseconds
            counts[layer] += 1
            events[layer].setdefault(op.name, []).append((op.start, op.picoseconds))
    return Attribution(iterations, picoseconds, counts, unattributed, tuple(stray), events, moved)


def fused_owners(layers: Iterable[tuple[str, tuple[str, ...], bool]]) -> dict[str, str]:
    """For each layer without MACs that reads one tensor, the nearest layer before it with MACs, back
    through layers without MACs that read one tensor: where TensorFlow's fused op of a convolution and
    what follows it belongs. ``layers``: (name, the layers it reads, whether it has MACs or may have:
    a layer no formula counts may run a convolution of its own), in order."""
    reads, has_macs = {}, {}
    for name, read, macs in layers:
        reads[name], has_macs[name] = read, macs
    found = {}
    for name in reads:
        source = name
        while not has_macs[source] and len(reads[source]) == 1 and reads[source][0] in reads:
            source = reads[source][0]
        if source != name and has_macs[source]:
            found[name] = source
    return found
