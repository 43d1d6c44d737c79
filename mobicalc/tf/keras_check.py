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


def tensorflow_count(model: Any, shapes: Sequence[tuple[int, ...]]) -> TensorFlowCount:
    """TensorFlow's MACs of ``model`` at inputs of ``shapes`` (no batch axis), and its count_params()."""
    tf = import_tensorflow()
    from tensorflow.python.framework import ops

    specs = [
        tf.TensorSpec((1, *shape), tensor.dtype) for shape, tensor in zip(shapes, model.inputs, strict=True)
    ]
    single = len(specs) == 1
    function = tf.function(lambda *x: model(x[0] if single else list(x), training=False))
    graph = function.get_concrete_function(*specs).graph
    macs, blind = 0, set()
    for op in graph.get_operations():
        if op.type in MAC_OPS:
            macs += int(ops.get_stats_for_node_def(graph, op.node_def, "flops").value) // 2
        elif op.type in BLIND_OPS:
            blind.add(op.type)
    return TensorFlowCount(macs, int(model.count_params()), tuple(sorted(blind)))
