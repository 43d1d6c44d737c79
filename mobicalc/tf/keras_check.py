"""TensorFlow's own count of a Keras model, to prove the walk's: MACs and ``count_params()``.

MACs are the flops statistic TensorFlow registers for every multiply-accumulate op of the traced
graph at batch 1, halved: Conv2D (Conv1D runs as one), DepthwiseConv2dNative, Conv3D, MatMul,
BatchMatMul (V2, V3) and Conv2DBackpropInput. TensorFlow registers none for ops inside a function
call or a loop (grouped convolution in a ``StatefulPartitionedCall``, RNNs' ``While``), for
``Einsum`` (attention's two products), nor for Conv3DBackpropInputV2: there it is no oracle, and
the tests prove the formulas by hand (count/keras_layers.py).
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from mobicalc.tf.runtime import import_tensorflow
from mobicalc.tf.subclassed import Calls, Hook, layer_calls
from mobicalc.tf.walk import graph_of, input_name, is_graph, is_layer

MAC_OPS = frozenset(
    {"Conv2D", "Conv3D", "DepthwiseConv2dNative", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
     "Conv2DBackpropInput"}
)  # fmt: skip
BLIND_OPS = frozenset(
    {
        "Einsum",
        "Conv3DBackpropInputV2",
        "While",
        "StatelessWhile",
        "StatefulPartitionedCall",
        "PartitionedCall",
    }
)
"""Ops that do MACs TensorFlow's statistics do not see (or hide ops that do)."""


class TensorFlowCount(NamedTuple):
    macs: int
    params: int
    blind: tuple[str, ...]
    """The types of the ops found whose MACs TensorFlow cannot count (empty: its MACs are complete)."""


NOT_IN_SCOPE = re.compile(r"[^A-Za-z0-9_.-]")
"""What a TensorFlow name scope cannot hold: a row's scope is its name with these as ``_``."""
RAW = "raw ops in call()"
"""The row of the ops a subclassed model's ``call()`` made outside any layer call (``keras.ops``, ``tf``,
``x @ w``), named after the composite layer whose ``call()`` made them (``block/raw ops in call()``)."""


def inputs_of(model: Any, count: int) -> list[tuple[str, Any]]:
    """Each of ``model``'s ``count`` inputs' name and dtype: a graph's own; a subclassed model's as the
    walk takes them (``walk.input_name``, float32)."""
    if is_graph(model):
        return [(tensor.name, tensor.dtype) for tensor in graph_of(model).inputs]
    return [(input_name(index), "float32") for index in range(count)]


def input_specs(model: Any, shapes: Sequence[tuple[int, ...]]) -> list[Any]:
    """Batch-1 specs of ``model``'s inputs at ``shapes`` (no batch axis)."""
    tf = import_tensorflow()
    inputs = inputs_of(model, len(shapes))
    return [tf.TensorSpec((1, *shape), dtype) for shape, (_, dtype) in zip(shapes, inputs, strict=True)]


def traced_graph(model: Any, shapes: Sequence[tuple[int, ...]]) -> Any:
    """``model``'s forward pass at batch 1 and inputs of ``shapes`` (no batch axis), traced by TensorFlow."""
    tf = import_tensorflow()
    specs = input_specs(model, shapes)
    single = len(specs) == 1
    function = tf.function(lambda *x: model(x[0] if single else list(x), training=False))
    return function.get_concrete_function(*specs).graph


class Traced(NamedTuple):
    """One layer call as TensorFlow traced it (or the raw ops of one ``call()``)."""

    macs: int
    params: int | None
    """``count_params()`` at the layer's first call; 0 at a later one and for an op of keras.ops; None for
    raw ops (weights that only they use are the model's count_params() beyond its layers')."""
    shape: tuple[int, ...] | None
    blind: tuple[str, ...]
    """Why TensorFlow cannot count some of the call's MACs (the ops' types), if it cannot."""
    flops: int = 0
    """TensorFlow's registered flops of every op of the call."""


class CallTracer(Calls):
    """Runs a model inside a ``tf.function`` the way the walk goes through it, keeping the ops each call
    creates: a graph's calls in order (``Walk.run``), a subclassed model's layer calls through the same
    ``Layer.__call__`` wrapping (``Calls``), so each call has the walk's name. The ops no call creates
    (raw ops) are kept apart, by the ``call()`` they were made in.

    Each call runs in a TensorFlow name scope of its own, and a subclassed model's ``call()`` (or a
    composite layer's) in one for its raw ops, recorded in ``scopes`` under the row's name: so the
    profiler's ops of the traced function are given to rows by scope (``bench``). Name scopes change no
    op: the function computes what ``model(x)`` does."""

    def __init__(self, keras: Any, tf: Any, model: Any) -> None:
        super().__init__(keras, tf, model)
        self.graph: Any = None
        self.counted = 0
        self.ops: dict[str, tuple[Any, list[Any], Any]] = {}
        """Each call's name: (the layer or op, the TensorFlow ops it created, its output)."""
        self.raw: dict[str, list[Any]] = {}
        """Each scope (``""``: the model's own ``call()``): the ops made in it outside any call."""
        self.scopes: dict[str, str] = {}
        """Each name scope's path (as TensorFlow made it unique) to its row: a call's, or ``scope + RAW``."""

    @contextmanager
    def named(self, row: str) -> Iterator[None]:
        """Within, ops are made in a name scope of ``row``'s own (TensorFlow may add a suffix to it)."""
        with self.tf.name_scope(f"c.{NOT_IN_SCOPE.sub('_', row)}") as scope:
            self.scopes[scope.rstrip("/")] = row
            yield

    def made(self) -> list[Any]:
        """The ops created since last asked."""
        ops = self.graph.get_operations()
        new, self.counted = ops[self.counted :], len(ops)
        return new

    def loose(self) -> None:
        """The ops made since last asked are raw ops of the current scope."""
        self.raw.setdefault(self.prefixes[-1], []).extend(self.made())

    def apply(self, operation: Any) -> Hook:
        from keras.src.models.functional import operation_fn  # what Functional.call runs each layer with

        return operation_fn(operation, training=False)

    def step(
        self, operation: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any], apply: Hook
    ) -> Any:
        self.loose()
        name = self.name(operation, prefix)  # before the call: no step is made inside another
        with self.named(name):
            output = self.own(apply, args, kwargs)
        self.ops[name] = (operation, self.made(), output)
        return output

    @contextmanager
    def scope(self, prefix: str) -> Iterator[None]:
        self.loose()
        with super().scope(prefix), self.named(f"{prefix}{RAW}"):
            try:
                yield
            finally:
                self.loose()

    def nested(
        self, original: Hook, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], prefix: str
    ) -> Any:
        return self.run(model, self.tensors((args, kwargs)), f"{prefix}{model.name}/")

    def forward(self, *inputs: Any) -> Any:
        self.graph = self.tf.compat.v1.get_default_graph()
        self.counted = len(self.graph.get_operations())  # the inputs' placeholders: no call's
        if is_graph(self.model):
            return self.run(self.model, list(inputs), "")
        with layer_calls(self.keras, self.layer_call), self.named(RAW):
            output = self.model(inputs[0] if len(inputs) == 1 else list(inputs), training=False)
            self.loose()
            return output


def trace(
    model: Any, keras: Any, shapes: Sequence[tuple[int, ...]]
) -> tuple[dict[str, Traced], dict[str, Traced]]:
    """Every layer call of ``model`` at inputs of ``shapes`` (no batch axis), as TensorFlow traces it, by
    the walk's names; and the raw ops of each ``call()``, by ``scope + RAW``."""
    tf = import_tensorflow()
    tracer = CallTracer(keras, tf, model)
    graph = tf.function(tracer.forward).get_concrete_function(*input_specs(model, shapes)).graph
    tracer.loose()  # the function's outputs

    def traced(ops: list[Any], params: int | None, output: Any) -> Traced:
        first = next((value for value in tf.nest.flatten(output) if tf.is_tensor(value)), None)
        shape = tuple(int(size) for size in first.shape[1:]) if first is not None else None
        macs = sum(op_macs(graph, op) for op in ops if op.type in MAC_OPS)
        missed = tuple(sorted({why for op in ops if (why := blind(op)) is not None}))
        return Traced(macs, params, shape, missed, sum(op_flops(graph, op) for op in ops))

    seen: set[int] = set()
    calls = {}
    for name, (operation, ops, output) in tracer.ops.items():
        params = 0
        if is_layer(operation) and id(operation) not in seen:
            params = int(operation.count_params())
            seen.add(id(operation))
        calls[name] = traced(ops, params, output)
    raw = {f"{scope}{RAW}": traced(ops, None, None) for scope, ops in tracer.raw.items()}
    return calls, raw


def op_macs(graph: Any, op: Any) -> int:
    """TensorFlow's registered flops of one multiply-accumulate op (``MAC_OPS``), halved."""
    from tensorflow.python.framework import ops

    return int(ops.get_stats_for_node_def(graph, op.node_def, "flops").value) // 2


def op_flops(graph: Any, op: Any) -> int:
    """TensorFlow's registered flops of any op: what tf.compat.v1.profiler's float_operation() sums
    (0 for an op with none registered: Relu, Pad, Reshape, ...)."""
    from tensorflow.python.framework import ops

    return int(ops.get_stats_for_node_def(graph, op.node_def, "flops").value or 0)


def blind(op: Any) -> str | None:
    """Why TensorFlow's statistics miss the MACs of ``op`` (its type, said so), or None if they do not.

    A transposed convolution (Conv2DBackpropInput) is counted as if its output were exactly its input
    times its stride (``out_px / stride^2 * k^2 * Cin * Cout``): with any other output size (``valid``
    padding with a kernel larger than the stride) its statistic is wrong, so it is blind there too.
    """
    if op.type in BLIND_OPS:
        return op.type
    if op.type == "Conv2DBackpropInput":
        strides = list(op.get_attr("strides"))
        channels_first = op.get_attr("data_format") == b"NCHW"
        spatial = slice(2, 4) if channels_first else slice(1, 3)
        given = op.inputs[2].shape.as_list()[spatial]  # out_backprop: the transposed conv's input
        output = op.outputs[0].shape.as_list()[spatial]
        if any(o != i * s for o, i, s in zip(output, given, strides[spatial], strict=True)):
            return "Conv2DBackpropInput (output != input x stride)"
    return None


def tensorflow_count(model: Any, shapes: Sequence[tuple[int, ...]]) -> TensorFlowCount:
    """TensorFlow's MACs of ``model`` at inputs of ``shapes`` (no batch axis), and its count_params()."""
    graph = traced_graph(model, shapes)
    macs, missed = 0, set()
    for op in graph.get_operations():
        if op.type in MAC_OPS:
            macs += op_macs(graph, op)
        if (why := blind(op)) is not None:
            missed.add(why)
    return TensorFlowCount(macs, int(model.count_params()), tuple(sorted(missed)))
