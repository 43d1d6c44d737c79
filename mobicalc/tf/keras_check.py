"""TensorFlow's own count of a Keras model, to prove the walk's: MACs and ``count_params()``.

MACs are the flops statistic TensorFlow registers for every multiply-accumulate op of the traced
graph at batch 1, halved: Conv2D (Conv1D runs as one), DepthwiseConv2dNative, Conv3D, MatMul,
BatchMatMul (V2, V3) and Conv2DBackpropInput. TensorFlow registers none for ops inside a function
call or a loop (grouped convolution in a ``StatefulPartitionedCall``, RNNs' ``While``), for
``Einsum`` (attention's two products), nor for Conv3DBackpropInputV2: there it is no oracle, and
the tests prove the formulas by hand (count/keras_layers.py).
"""

from collections.abc import Sequence
from typing import Any, NamedTuple

from mobicalc.tf.runtime import import_tensorflow

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


def traced_graph(model: Any, shapes: Sequence[tuple[int, ...]]) -> Any:
    """``model``'s forward pass at batch 1 and inputs of ``shapes`` (no batch axis), traced by TensorFlow."""
    tf = import_tensorflow()
    specs = [
        tf.TensorSpec((1, *shape), tensor.dtype) for shape, tensor in zip(shapes, model.inputs, strict=True)
    ]
    single = len(specs) == 1
    function = tf.function(lambda *x: model(x[0] if single else list(x), training=False))
    return function.get_concrete_function(*specs).graph


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
