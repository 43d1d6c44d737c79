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

Under ``--convention tf-profiler`` each row's FLOPs are compared too, with TensorFlow's registered
flops of every op its call made (not only the MAC ops: what the profiler sums), and the total with
tf.compat.v1.profiler's float_operation() of the whole model; a row TensorFlow cannot count is not
comparable there either, and the FLOPs total is then not compared.
"""

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from mobicalc.count.memory import elements
from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.count.settings import Settings
from mobicalc.errors import Refused
from mobicalc.tf.keras_check import MAC_OPS, blind, op_flops, op_macs, traced_graph
from mobicalc.tf.keras_model import import_keras, keras_model, keras_network
from mobicalc.tf.runtime import import_tensorflow, quiet_stderr
from mobicalc.tf.subclassed import NOT_VERIFIED
from mobicalc.tf.verify import LayerCheck, ModelCheck, Verification, _profiler_flops, _refuse_overflow, _size
from mobicalc.tf.walk import graph_of, is_graph, is_layer


class Traced(NamedTuple):
    """One layer call as TensorFlow traced it."""

    macs: int
    params: int | None
    """``count_params()`` at the layer's first call; 0 at a later one; None for an op of keras.ops."""
    shape: tuple[int, ...] | None
    blind: tuple[str, ...]
    """Why TensorFlow cannot count some of the call's MACs (the ops' types), if it cannot."""
    flops: int = 0
    """TensorFlow's registered flops of every op of the call."""


class _Trace:
    """Runs a model's graph inside a ``tf.function``, one call at a time, keeping each call's ops."""

    def __init__(self, keras: Any, tf: Any) -> None:
        self.keras, self.tf = keras, tf
        self.calls: dict[int, int] = {}
        self.ops: dict[str, tuple[Any, list[Any], Any]] = {}
        """Each call's name: (the layer or op, the TensorFlow ops it created, its output)."""

    def run(self, model: Any, inputs: list[Any], prefix: str) -> Any:
        return graph_of(model)._run_through_graph(
            inputs,
            operation_fn=lambda operation: operation,
            call_fn=lambda op, *a, **k: self.call(op, prefix, a, k),
        )

    def call(self, operation: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if is_graph(operation):
            tensors = [value for value in self.keras.tree.flatten((args, kwargs)) if self.tf.is_tensor(value)]
            return self.run(operation, tensors, f"{prefix}{operation.name}/")
        from keras.src.models.functional import operation_fn  # what Functional.call runs each layer with

        graph = self.tf.compat.v1.get_default_graph()
        before = len(graph.get_operations())
        output = operation_fn(operation, training=False)(*args, **kwargs)
        count = self.calls[id(operation)] = self.calls.get(id(operation), 0) + 1
        name = f"{prefix}{operation.name}" + (f" (call {count})" if count > 1 else "")
        self.ops[name] = (operation, graph.get_operations()[before:], output)
        return output


def trace(model: Any, shapes: Sequence[tuple[int, ...]]) -> dict[str, Traced]:
    """Every layer call of ``model`` at inputs of ``shapes`` (no batch axis), as TensorFlow traces it."""
    tf = import_tensorflow()
    keras = import_keras()
    tracer = _Trace(keras, tf)
    specs = [
        tf.TensorSpec((1, *shape), tensor.dtype)
        for shape, tensor in zip(shapes, graph_of(model).inputs, strict=True)
    ]
    graph = tf.function(lambda *x: tracer.run(model, list(x), "")).get_concrete_function(*specs).graph
    seen: set[int] = set()
    traced = {}
    for name, (operation, ops, output) in tracer.ops.items():
        params = None
        if is_layer(operation):
            params = 0 if id(operation) in seen else int(operation.count_params())
            seen.add(id(operation))
        first = next((value for value in tf.nest.flatten(output) if tf.is_tensor(value)), None)
        shape = tuple(int(size) for size in first.shape[1:]) if first is not None else None
        macs = sum(op_macs(graph, op) for op in ops if op.type in MAC_OPS)
        missed = tuple(sorted({why for op in ops if (why := blind(op)) is not None}))
        traced[name] = Traced(macs, params, shape, missed, sum(op_flops(graph, op) for op in ops))
    return traced


def _row(
    record: LayerRecord, traced: Traced | None, inputs: dict[str, tuple[int, ...]], flops: bool
) -> LayerCheck:
    """``record`` beside its call as TensorFlow traced it; ``flops``: its FLOPs compared too."""
    layer = record.layer
    ours = LayerCheck(
        name=layer.name, kind=layer.kind, engine_macs=record.cost.macs, tf_macs=None,
        engine_params=record.cost.params, tf_params=None, engine_shape=tuple(layer.output), tf_shape=None,
        engine_elements=elements(layer.output), engine_flops=record.cost.flops if flops else None,
    )  # fmt: skip
    if traced is None:  # a second input is a record of the walk, not a call: its shape is the one given
        shape = inputs.get(layer.name)
        if shape is None:
            return ours  # no call of its name: shown as a difference
        return replace(
            ours,
            tf_macs=0,
            tf_params=0,
            tf_shape=shape,
            tf_elements=math.prod(shape),
            tf_flops=0 if flops else None,
        )
    why = ", ".join(traced.blind) or None
    return replace(
        ours,
        tf_macs=None if why else traced.macs,
        tf_flops=None if why or not flops else traced.flops,
        tf_params=traced.params if traced.params is not None else 0,
        tf_shape=traced.shape,
        tf_elements=math.prod(traced.shape) if traced.shape is not None else None,
        not_comparable=why,
    )


def check_model(network: NetworkCost, model: Any, title: str) -> ModelCheck:
    """``network`` (the walk of ``model``) against TensorFlow's trace of ``model``, by layer name."""
    shapes = network.architecture.inputs  # type: ignore[union-attr]  # a graph's: GraphModel
    calls = trace(model, shapes)
    inputs = {tensor.name: tuple(shape) for tensor, shape in zip(graph_of(model).inputs, shapes, strict=True)}
    flops = network.convention.counts_elementwise
    layers = tuple(_row(record, calls.get(record.layer.name), inputs, flops) for record in network.records)
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
    if not is_graph(model):
        raise Refused(f"{path}: {NOT_VERIFIED}")
    with quiet_stderr():  # what TensorFlow prints while tracing
        check = check_model(network, model, f"{path}, traced by TensorFlow")
    _refuse_overflow(check)
    return Verification(network, (check,))
