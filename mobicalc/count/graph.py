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

Conventions (``conventions.py``): a graph is counted under the switches that say how built layers
count (``batch_norm_params``, ``count_bias``, ``flops``); those that say how a table is built
(``classes_offset``, ``min_depth``) are refused (``conventions.for_built_model``). Under
``batch_norm_params`` folded, a batch-norm folds into the layer that produces its input when that is
a convolution or dense layer without an activation of its own, called once, that only the batch-norm
reads: the batch-norm has no parameters, and the layer gains a bias of one per channel if it has
none. Any other batch-norm (after an add, a concatenation, the input) stays as the scale and offset
an inference graph applies: 2 per channel. Under ``flops`` profiler each call adds the flops
TensorFlow's profiler registers for its ops (``Counted.elementwise``); a class whose are not known
makes a record that says its FLOPs are not counted (``LayerRecord.left_out``), never a silent zero.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from mobicalc.count import conventions
from mobicalc.count.conventions import Convention
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

LEFT_OUT = ("macs", "params", "flops")
"""What a record of a layer no formula counts leaves out of the totals: all of it."""


class _Costed(NamedTuple):
    counted: Counted
    cost: Cost
    separable: Cost
    why: str | None
    left_out: tuple[str, ...]


def _costed(step: Step, convention: Convention, params_once: bool) -> _Costed:
    """One call's cost under ``convention`` (its profiler flops, its parameters as the switches count
    them), with its parameters left out when ``params_once`` says its layer's are counted already."""
    counted, why = _counted(step)
    cost, separable = counted.cost, counted.cost if counted.separable is None else counted.separable
    left_out: tuple[str, ...] = () if why is None else LEFT_OUT
    if convention.counts_elementwise:
        if counted.elementwise is None and why is None:
            why, left_out = (
                f"{step.key}: the flops TensorFlow's profiler registers for it are not known",
                ("flops",),
            )
        cost, separable = (part._replace(elementwise=counted.elementwise or 0) for part in (cost, separable))
    if params_once:  # a shared layer's later call: its parameters are counted already
        cost, separable = (part._replace(**dict.fromkeys(PARAMETERS_ONCE, 0)) for part in (cost, separable))
    if not convention.keeps_parameters:
        cost, separable = (
            convention.adjust(part, counted.batch_norm, bool(counted.batch_norm))
            for part in (cost, separable)
        )
    return _Costed(counted, cost, separable, why, left_out)


def _fold(steps: Sequence[Step], costed: list[_Costed]) -> list[_Costed]:
    """Each batch-norm folded into the layer that produces its input, where it can be (module docstring)."""
    at = {step.name: index for index, step in enumerate(steps)}
    readers = Counter(name for step in steps for name in step.reads)
    calls = Counter(step.owner for step in steps)
    for index, step in enumerate(steps):
        channels = costed[index].counted.batch_norm
        if not channels:
            continue
        source = at.get(step.reads[0]) if step.reads else None
        producer = steps[source] if source is not None else None
        norm = costed[index]
        if (
            source is None or producer is None or not costed[source].counted.linear or producer.activation
            or readers[producer.name] > 1 or calls[producer.owner] > 1
        ):  # fmt: skip
            costed[index] = norm._replace(cost=norm.cost._replace(bias=0, batch_norm_trainable=2 * channels))
            continue
        costed[index] = norm._replace(cost=norm.cost._replace(bias=0))
        if not costed[source].counted.cost.bias:  # it gains the batch-norm's offset as its bias
            gained = costed[source]
            costed[source] = gained._replace(
                cost=gained.cost._replace(bias=norm.cost.bias),
                separable=gained.separable._replace(bias=norm.cost.bias),
            )
    return costed


def _records(steps: Sequence[Step], convention: Convention) -> list[LayerRecord]:
    seen: set[int] = set()
    costed = []
    for step in steps:
        costed.append(_costed(step, convention, step.owner in seen))
        seen.add(step.owner)
    if convention.folds_batch_norm:
        costed = _fold(steps, costed)
    records = []
    first: dict[int, str] = {}  # each layer object's first call
    for step, (counted, cost, separable, why, left_out) in zip(steps, costed, strict=True):
        call = step.call
        output = Dims(call.outputs[0][1:]) if call.outputs else Dims(())
        layer = Layer(
            step.name, counted.kind, Dims(call.inputs[0][1:]) if call.inputs else output, output,
            kernel=counted.kernel, stride=counted.stride, padding=counted.padding, bias=bool(cost.bias),
            activation=step.activation, reads=step.reads, op=step.key, shares=first.get(step.owner),
        )  # fmt: skip
        first.setdefault(step.owner, step.name)
        standard = cost
        if counted.standard is not None:  # a separable convolution's: one full convolution, its bias
            standard = convention.adjust(counted.standard._replace(elementwise=cost.elementwise), 0, False)
        records.append(LayerRecord(layer, cost, standard, separable, why is None, why, left_out))
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
        standard = Cost(macs=pixels * weights, weights=weights, bias=record.cost.bias)
        records[source] = depthwise._replace(standard=standard._replace(elementwise=record.cost.elementwise))
        records[index] = record._replace(layer=layer._replace(pair=depthwise.layer.name), standard=Cost())
        for inside in chain:
            if records[inside].layer.kind == "normalization":
                records[inside] = records[inside]._replace(standard=Cost())
    return records


def _fewer_flops(records: list[LayerRecord], convention: Convention) -> list[LayerRecord]:
    """Where FLOPs are MACs (``torch``): each cost's elementwise term less its MACs."""
    fewer = convention.fewer_flops_per_mac
    if not fewer:
        return records

    def less(cost: Cost) -> Cost:
        return cost._replace(elementwise=cost.elementwise - fewer * cost.macs)

    return [
        record._replace(
            cost=less(record.cost),
            standard=less(record.standard),
            separable=None if record.separable is None else less(record.separable),
        )
        for record in records
    ]


def graph_records(
    steps: Sequence[Step], convention: Convention = conventions.KERAS
) -> tuple[LayerRecord, ...]:
    """The records of a walk's steps under ``convention``, with their pairs found."""
    return tuple(_fewer_flops(_pairs(_records(steps, convention), steps), convention))


def graph_cost(model: GraphModel, steps: Iterable[Step], settings: Settings | None = None) -> NetworkCost:
    """Cost a walked graph under ``settings`` (only its dtype and convention apply to a graph; a
    convention that says how a table is built is refused: ``conventions.for_built_model``)."""
    settings = settings or Settings()
    convention = conventions.for_built_model(settings.convention)
    steps = tuple(steps)
    if not steps:
        raise NetworkError(f"{model.path}: the model has no layers to count")
    return NetworkCost(model, settings, graph_records(steps, convention))
