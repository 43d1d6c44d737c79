"""``verify --keras``: a Keras model's counts proved against TensorFlow, layer by layer, by name.

The model is traced by TensorFlow (a ``tf.function`` at batch 1) the way Keras runs it, one layer
call at a time in graph order, and every op TensorFlow creates during a call belongs to that call:
so each layer's MACs are TensorFlow's registered flops of its own ops, halved (``keras_check``),
whichever weights they read, and a shared layer's calls are told apart. Names follow the walk's
(``outer/inner`` in a nested model, ``name (call 2)``), so each row pairs a mobicalc record with
the TensorFlow call of the same name. Parameters are each layer's ``count_params()`` (at its first
call), shapes the traced tensors'. Where a call creates an op whose MACs TensorFlow does not count
(``keras_check.blind``: a loop, a function call, an einsum, a 3-D transposed convolution), its row
says so and its MACs are never taken as agreement; the model's MACs total is then not compared.
The totals are TensorFlow's count of the model's own forward pass, traced a second time as a whole.

A subclassed model is traced through its own ``call()`` with the walk's ``Layer.__call__`` wrapping
(``keras_check.CallTracer``), so its rows have the walk's names too (``outer/inner``, ``name (call 2)``,
``#2``). The ops its ``call()`` (or a composite layer's) makes outside any layer call are a row of
their own, ``raw ops in call()`` (``block/raw ops in call()``), when TensorFlow sees MACs in them (or
FLOPs, when compared), or cannot count them: mobicalc counts no raw op, so the row's own figures are
blank and it never agrees, and TensorFlow's totals (which include it) differ from mobicalc's; the
parameters of weights only raw ops use are the difference in the params total.

Under ``--convention tf-profiler`` each row's FLOPs are compared too, with TensorFlow's registered
flops of every op its call made (not only the MAC ops: what the profiler sums), and the total with
tf.compat.v1.profiler's float_operation() of the whole model; a row TensorFlow cannot count is not
comparable there either, and the FLOPs total is then not compared.
"""

import math
from dataclasses import replace
from typing import Any

from mobicalc.count.memory import elements
from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.count.settings import Settings
from mobicalc.model.graph import RAW_KIND
from mobicalc.tf.keras_check import MAC_OPS, Traced, blind, inputs_of, op_macs, trace, traced_graph
from mobicalc.tf.keras_model import import_keras, keras_model, keras_network
from mobicalc.tf.runtime import quiet_stderr
from mobicalc.tf.verify import LayerCheck, ModelCheck, Verification, _profiler_flops, _refuse_overflow, _size


def _paired(ours: LayerCheck, traced: Traced, flops: bool) -> LayerCheck:
    """``ours`` beside TensorFlow's trace of the same call; ``flops``: its FLOPs compared too."""
    why = ", ".join(traced.blind) or None
    return replace(
        ours,
        tf_macs=None if why else traced.macs,
        tf_flops=None if why or not flops else traced.flops,
        tf_params=traced.params,
        tf_shape=traced.shape,
        tf_elements=math.prod(traced.shape) if traced.shape is not None else None,
        not_comparable=why,
    )


def _row(
    record: LayerRecord, traced: Traced | None, inputs: dict[str, tuple[int, ...]], flops: bool
) -> LayerCheck:
    """``record`` beside its call as TensorFlow traced it; ``flops``: its FLOPs compared too."""
    layer = record.layer
    known = flops and "flops" not in record.left_out  # a profiler count not known is shown as not known
    ours = LayerCheck(
        name=layer.name, kind=layer.kind, engine_macs=record.cost.macs, tf_macs=None,
        engine_params=record.cost.params, tf_params=None, engine_shape=tuple(layer.output), tf_shape=None,
        engine_elements=elements(layer.output), engine_flops=record.cost.flops if known else None,
    )  # fmt: skip
    if traced is None:  # a second input is a record of the walk, not a call: its shape is the one given
        shape = inputs.get(layer.name)
        if shape is None:
            return ours  # no call of its name: shown as a difference
        traced = Traced(0, 0, shape, ())
    return _paired(ours, traced, flops)


def _raw_rows(raw: dict[str, Traced], flops: bool) -> list[LayerCheck]:
    """The raw ops of each ``call()`` in which TensorFlow sees MACs (or FLOPs, when compared), or cannot
    count them: mobicalc counts none (its figures blank), so such a row never agrees."""
    return [
        _paired(LayerCheck(name, RAW_KIND, None, None, None, None, None, None), traced, flops)
        for name, traced in raw.items()
        if traced.macs or (flops and traced.flops) or traced.blind
    ]


def check_model(network: NetworkCost, model: Any, title: str) -> ModelCheck:
    """``network`` (the walk of ``model``) against TensorFlow's trace of ``model``, by layer name."""
    shapes = network.architecture.inputs  # type: ignore[union-attr]  # a graph's: GraphModel
    calls, raw = trace(model, import_keras(), shapes)
    names = [name for name, _ in inputs_of(model, len(shapes))]
    inputs = {name: tuple(shape) for name, shape in zip(names, shapes, strict=True)}
    flops = network.convention.counts_elementwise
    layers = tuple(_row(record, calls.get(record.layer.name), inputs, flops) for record in network.records)
    layers += tuple(_raw_rows(raw, flops))
    whole = traced_graph(model, shapes)
    tf_macs = sum(op_macs(whole, op) for op in whole.get_operations() if op.type in MAC_OPS)
    hidden = any(blind(op) is not None for op in whole.get_operations())
    records = network.records
    engine = {
        "macs": sum(record.cost.macs for record in records),
        "params": sum(record.cost.params for record in records),
        "trainable_params": sum(record.cost.trainable_params for record in records),
        "non_trainable_params": sum(record.cost.non_trainable_params for record in records),
    }
    tensorflow = {
        "macs": tf_macs,
        "params": int(model.count_params()),
        "trainable_params": _size(model.trainable_weights),
        "non_trainable_params": _size(model.non_trainable_weights),
    }
    profiler = _profiler_flops(whole)
    if flops:  # --convention tf-profiler: the FLOPs against the profiler's total
        engine["flops"], tensorflow["flops"] = sum(record.cost.flops for record in records), profiler
    if hidden or any(layer.not_comparable for layer in layers):  # TensorFlow's totals miss some MACs
        for counts in (engine, tensorflow):
            for key in ("macs", "flops"):
                counts.pop(key, None)
    return ModelCheck(title, layers, engine, tensorflow, profiler)


def verify_keras(
    source: Any, *, dtype: str = "float32", convention: str = "keras", **loading: Any
) -> Verification:
    """Walk and cost the Keras model ``source`` names (``keras_model``'s arguments), and prove every
    count against TensorFlow. TensorFlowMissing when TensorFlow or Keras cannot be imported."""
    from mobicalc.count import conventions

    model, path, shapes = keras_model(source, **loading)
    settings = Settings(dtype=dtype, convention=conventions.get(convention))
    network = keras_network(model, path, settings, shapes)
    with quiet_stderr():  # what TensorFlow prints while tracing
        check = check_model(network, model, f"{path}, traced by TensorFlow")
    _refuse_overflow(check)
    return Verification(network, (check,))
