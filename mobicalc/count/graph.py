"""A graph's layers (a Keras model's calls, in the order they run) as the records every view reads.

Pure arithmetic: the walk (``tf/walk.py``) gives one ``Step`` per call of a layer or op, with the
shapes it saw; each step's cost comes from its class's formula (``keras_layers.py``); a class with
none becomes a record that says it is not counted (``LayerRecord.counted``), never a silent zero.
A layer called more than once (shared) costs its MACs at every call and its parameters once.

The standard-convolution counterpart: a depthwise layer and the 1x1 convolution that reads it,
followed through the layers that work in place (batch-norm, activations, padding) and through a
squeeze-and-excite multiply, are a pair: the depthwise record carries one full convolution of the
depthwise's kernel from its input channels to the pointwise's output channels, with the pointwise's
bias, at the pointwise's output size; the pointwise record and a batch-norm between the two carry
nothing (that batch-norm is not in a standard network). The separable counterpart
(``LayerRecord.separable``): every standard convolution of more than one tap and one group as a
depthwise (same kernel, stride, dilation, padding; no bias) then a 1x1 pointwise to the same
outputs (with the convolution's bias); batch-norm and activations after it are left as they are.
"""

import math
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from mobicalc.count.costs import Cost
from mobicalc.count.keras_layers import KERAS_LAYERS, Call, Counted
from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.count.settings import Settings
from mobicalc.errors import NetworkError
from mobicalc.model.graph import GraphModel
from mobicalc.model.kinds import Counterpart, InPlace, Spatial, kind_of
from mobicalc.model.layers import Dims, Layer

UNCOUNTED = "uncounted"


class Step(NamedTuple):
    """One call of a layer or op in a walk."""

    name: str
    """Unique: ``outer/inner`` inside a nested model, ``name (call 2)`` for a shared layer's second."""
    key: str
    """Its class, as ``KERAS_LAYERS`` keys it (``Conv2D``, ``ops.Add``, ``mymodule.Swish``)."""
    call: Call
    reads: tuple[str, ...]
    """The steps whose outputs it reads (``layers.IMAGE``: the model's first input)."""
    owner: int
    """Which layer object made the call: parameters are counted once per owner."""
    activation: str | None = None
    """A fused activation (``Conv2D(activation="relu")``)."""


def _counted(step: Step) -> tuple[Counted, str | None]:
    """The step's cost, or (nothing, why it is not counted)."""
    formula = KERAS_LAYERS.get(step.key)
    if formula is None:
        return Counted(UNCOUNTED), f"no formula for Keras layer class {step.key}"
    try:
        return formula(step.call), None
    except (KeyError, ValueError, TypeError, IndexError, AssertionError) as error:
        return Counted(UNCOUNTED), f"{step.key}: no formula for this call ({error})"


PARAMETERS_ONCE = Cost()._fields[1:-1]
"""The fields of a cost that are parameters (every one but MACs and elementwise FLOPs)."""


def _records(steps: Sequence[Step]) -> list[LayerRecord]:
    seen: set[int] = set()
    records = []
    for step in steps:
        counted, why = _counted(step)
        cost, separable = counted.cost, counted.cost if counted.separable is None else counted.separable
        if step.owner in seen:  # a shared layer's later call: its parameters are counted already
            cost, separable = (
                part._replace(**dict.fromkeys(PARAMETERS_ONCE, 0)) for part in (cost, separable)
            )
        seen.add(step.owner)
        call = step.call
        output = Dims(call.outputs[0][1:]) if call.outputs else Dims(())
        layer = Layer(
            step.name, counted.kind, Dims(call.inputs[0][1:]) if call.inputs else output, output,
            kernel=counted.kernel, stride=counted.stride, padding=counted.padding, bias=bool(cost.bias),
            activation=step.activation, reads=step.reads, op=step.key,
        )  # fmt: skip
        records.append(LayerRecord(layer, cost, counted.standard or cost, separable, why is None, why))
    return records


def _passes(layer: Layer) -> bool:
    """Whether a pair is followed back through this layer (it works in place, or scales its input)."""
    kind = kind_of(layer.kind)
    return kind.in_place is not InPlace.NEVER or kind.spatial is Spatial.BROADCAST


def _pairs(records: list[LayerRecord], steps: Sequence[Step]) -> list[LayerRecord]:
    """Each depthwise layer and the 1x1 convolution that completes it, as one standard convolution."""
    at = {record.layer.name: index for index, record in enumerate(records)}
    for index, record in enumerate(records):
        layer = record.layer
        if layer.kind != "pointwise" or not layer.reads or layer.reads[0] not in at:
            continue
        chain, source = [], at[layer.reads[0]]
        while _passes(records[source].layer) and records[source].layer.reads:
            passing = records[source].layer
            same = [
                name
                for name in passing.reads
                if name in at and records[at[name]].layer.output == passing.output
            ]
            if not same:
                break
            chain.append(source)
            source = at[same[0]]
        depthwise = records[source]
        if (
            kind_of(depthwise.layer.kind).counterpart is not Counterpart.PAIR
            or depthwise.standard != depthwise.cost
        ):
            continue
        taps = math.prod(steps[source].call.config["kernel_size"])
        cin, cout = depthwise.layer.input.channels, layer.output.channels
        pixels = math.prod(layer.output[:-1])
        weights = taps * cin * cout
        records[source] = depthwise._replace(
            standard=Cost(macs=pixels * weights, weights=weights, bias=record.cost.bias)
        )
        records[index] = record._replace(layer=layer._replace(pair=depthwise.layer.name), standard=Cost())
        for inside in chain:
            if records[inside].layer.kind == "normalization":
                records[inside] = records[inside]._replace(standard=Cost())
    return records


def graph_records(steps: Sequence[Step]) -> tuple[LayerRecord, ...]:
    """The records of a walk's steps, with their pairs found."""
    return tuple(_pairs(_records(steps), steps))


def graph_cost(model: GraphModel, steps: Iterable[Step], settings: Settings | None = None) -> NetworkCost:
    """Cost a walked graph under ``settings`` (only its dtype and convention apply to a graph)."""
    settings = settings or Settings()
    if settings.convention.name != "keras":
        raise NetworkError(
            f"convention {settings.convention.name}: a Keras model is counted as Keras counts it "
            "(--convention keras); the other conventions are defined for tables"
        )
    steps = tuple(steps)
    if not steps:
        raise NetworkError(f"{model.path}: the model has no layers to count")
    return NetworkCost(model, settings, graph_records(steps))
