"""The TensorFlow cross-checker: real tf.keras models, counted by TensorFlow itself.

TensorFlow is imported only inside its functions, so ``import mobicalc.tf.verify``
stays cheap. Every TensorFlow figure here comes from TensorFlow
(``count_params()``, the traced graph's per-op statistics, tensor shapes),
never from the engine, so agreement means something.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from mobicalc.count.memory import elements
from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.model.kinds import KINDS
from mobicalc.model.rounding import Count
from mobicalc.numbers import quantity
from mobicalc.tf.build import build_model, reference_model
from mobicalc.tf.runtime import (
    Progress,
    TensorFlowCannotBuild,
    check_buildable,
    import_tensorflow,
    quiet_stderr,
    silent,
)

MAC_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul")
KERAS_CLASSES = {
    keras_class: tuple(
        kind.name for kind in KINDS.values() if keras_class in (kind.keras_class, *kind.also_keras)
    )
    for keras_class in dict.fromkeys(kind.keras_class for kind in KINDS.values())
}
"""Every Keras layer class an engine layer can be, with the engine kinds it can stand for (from kinds.py)."""
KERAS_KINDS = {
    keras_class: kinds
    for keras_class, kinds in KERAS_CLASSES.items()
    if any(KINDS[kind].has_weights for kind in kinds)
}
"""The Keras layers that carry weights (and MAC ops), and the engine kinds each can stand for."""


def auto_name(keras_class: str) -> re.Pattern[str]:
    """The names Keras gives a layer of ``keras_class`` that was not named: its class in snake case
    (as keras' ``to_snake_case``), with a suffix such as ``_1`` when one was named so before."""
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", keras_class)).lower()
    return re.compile(rf"{re.escape(snake)}(_\d+)?")


@dataclass(frozen=True)
class LayerCheck:
    """One engine layer beside the TensorFlow layer(s) it corresponds to.

    A TensorFlow value of None means "not comparable" (a pool has no MACs op).
    """

    name: str
    kind: str
    engine_macs: Count | None
    """None: mobicalc has no count of it (raw ops in a subclassed model's ``call()``), never agreement."""
    tf_macs: int | None
    engine_params: Count | None
    tf_params: int | None
    engine_shape: tuple[Count, ...] | None
    tf_shape: tuple[int, ...] | None
    engine_elements: Count | None = None
    """The output activation's values (the memory figures' unit), as the engine sizes it."""
    tf_elements: int | None = None
    """The Keras output tensor's values, batch left out: the product of its own shape."""
    not_comparable: str | None = None
    """Why TensorFlow cannot count this layer's MACs (its tf_macs is None): never agreement."""
    engine_flops: Count | None = None
    """Its FLOPs, where they are compared (a Keras model under ``--convention tf-profiler``)."""
    tf_flops: int | None = None
    """TensorFlow's registered flops of every op the layer's call made (what the profiler sums)."""

    @property
    def verdict(self) -> bool | None:
        """True: TensorFlow agrees; False: it differs; None: nothing differs, but its MACs are unproved."""
        if not self.ok:
            return False
        return None if self.not_comparable is not None else True

    @property
    def ok(self) -> bool:
        if self.engine_macs is None:  # TensorFlow sees work, or ops it cannot count, that mobicalc does not
            return False
        pairs = (
            (self.engine_macs, self.tf_macs),
            (self.engine_params, self.tf_params),
            (self.engine_elements, self.tf_elements),
            (self.engine_flops, self.tf_flops),
        )
        return self.tf_shape == self.engine_shape and all(tf is None or tf == ours for ours, tf in pairs)


@dataclass(frozen=True)
class ModelCheck:
    """The engine against one TensorFlow model."""

    model: str
    layers: tuple[LayerCheck, ...] = ()
    engine_totals: dict[str, Count] | None = None
    tf_totals: dict[str, int] | None = None
    profiler_flops: int | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (
            all(layer.ok for layer in self.layers) and self.engine_totals == self.tf_totals
        )


@dataclass(frozen=True)
class Verification:
    network: NetworkCost
    checks: tuple[ModelCheck, ...]

    @property
    def ok(self) -> bool:
        """No check that ran differs; a skipped check counts as neither agreement nor difference."""
        return all(check.ok for check in self.checks)

    @property
    def skipped(self) -> tuple[ModelCheck, ...]:
        return tuple(check for check in self.checks if check.skipped is not None)


def _graph(model: Any) -> Any:
    """The model's forward pass as a TensorFlow graph, batch 1."""
    tf = import_tensorflow()
    spec = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32)
    return tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph


def _weight_owners(model: Any, graph: Any) -> dict[int, str]:
    """Which Keras layer owns each variable the traced graph reads, by the graph's placeholder."""
    owners = {}
    for layer in model.layers:
        for weight in layer.weights:
            variable = getattr(weight, "value", weight)  # Keras 3 wraps the tf.Variable
            owners[id(variable.handle)] = layer.name
    return {
        id(internal): owners[id(external)] for external, internal in graph.captures if id(external) in owners
    }


def _reader(tensor: Any, owners: dict[int, str]) -> str | None:
    """The layer whose variable ``tensor`` is read from (through identities and casts), if any."""
    op = tensor.op
    while op.type in ("Identity", "Cast"):
        op = op.inputs[0].op
    return owners.get(id(op.inputs[0])) if op.type == "ReadVariableOp" else None


def _macs_by_layer(model: Any, graph: Any) -> dict[str, int]:
    """Each Keras layer's MACs: TensorFlow's registered flops of its ops, halved.

    An op belongs to the layer whose kernel it reads: a conv's filter, a
    matmul's weights. Op names are not used, so Keras' scope naming cannot
    mislead the attribution.
    """
    from tensorflow.python.framework import ops

    owners = _weight_owners(model, graph)
    macs: dict[str, int] = {}
    for op in graph.get_operations():
        if op.type not in MAC_OPS:
            continue
        name = _reader(op.inputs[1], owners)
        if name is None:
            raise RuntimeError(f"cannot tell which layer the {op.type} op {op.name} belongs to")
        flops = int(ops.get_stats_for_node_def(graph, op.node_def, "flops").value)
        macs[name] = macs.get(name, 0) + flops // 2
    return macs


def _profiler_flops(graph: Any) -> int:
    """What tf.compat.v1.profiler's float_operation() reports: 2 x MACs plus elementwise work."""
    tf = import_tensorflow()
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)


def _size(weights: list[Any]) -> int:
    total = 0
    for weight in weights:
        count = 1
        for dimension in weight.shape:
            count *= int(dimension)
        total += count
    return total


def _shape(tensor: Any) -> tuple[int, ...]:
    """A Keras output shape without its batch, as (height, width, channels)."""
    shape = tuple(int(size) for size in tensor.shape[1:])
    return (1, 1, *shape) if len(shape) == 1 else shape


def _elements(tensor: Any) -> int:
    """The values in a Keras output tensor without its batch (a dense layer's output is 1-D)."""
    return math.prod(int(size) for size in tensor.shape[1:])


def _owners(model: Any) -> dict[str, list[Any]]:
    """Each cost-bearing Keras layer with the batch-norm layers that follow it."""
    owners: dict[str, list[Any]] = {}
    current = None
    for layer in model.layers:
        if type(layer).__name__ in KERAS_KINDS:
            current = layer.name
            owners[current] = [layer]
        elif type(layer).__name__ == "BatchNormalization" and current is not None:
            owners[current].append(layer)
    return owners


def _check(
    records: tuple[LayerRecord, ...], model: Any, title: str, matched: dict[str, Any], flops: bool = False
) -> ModelCheck:
    """Compare engine records with the Keras layers ``matched`` maps their names to.

    ``flops``: also compare the engine's FLOPs with the profiler's total (``--convention tf-profiler``).
    """
    graph = _graph(model)
    owners = _owners(model)
    macs = _macs_by_layer(model, graph)
    checks = []
    for record in records:
        keras_layer = matched.get(record.layer.name)
        weights = owners.get(keras_layer.name) if keras_layer is not None else None  # None: no weights
        checks.append(
            LayerCheck(
                name=record.layer.name,
                kind=record.layer.kind,
                engine_macs=record.cost.macs,
                tf_macs=macs.get(keras_layer.name, 0) if weights and keras_layer is not None else None,
                engine_params=record.cost.params,
                tf_params=sum(part.count_params() for part in weights) if weights else None,
                engine_shape=tuple(record.layer.output),
                tf_shape=_shape(_output_of(keras_layer, owners)) if keras_layer is not None else None,
                engine_elements=elements(record.layer.output),
                tf_elements=_elements(_output_of(keras_layer, owners)) if keras_layer is not None else None,
            )
        )
    totals = {
        "macs": sum(record.cost.macs for record in records),
        "params": sum(record.cost.params for record in records),
        "trainable_params": sum(record.cost.trainable_params for record in records),
        "non_trainable_params": sum(record.cost.non_trainable_params for record in records),
    }
    tf_totals = {
        "macs": sum(macs.values()),
        "params": int(model.count_params()),
        "trainable_params": _size(model.trainable_weights),
        "non_trainable_params": _size(model.non_trainable_weights),
    }
    profiler = _profiler_flops(graph)
    if flops:  # --convention tf-profiler: the engine's FLOPs against the profiler's total
        totals["flops"] = sum(record.cost.flops for record in records)
        tf_totals["flops"] = profiler
    return ModelCheck(title, tuple(checks), totals, tf_totals, profiler)


def _output_of(keras_layer: Any, owners: dict[str, list[Any]]) -> Any:
    """The output of a layer; a conv's shape is taken after its batch-norm, which keeps it."""
    return owners.get(keras_layer.name, [keras_layer])[-1].output


def _match_by_name(records: tuple[LayerRecord, ...], model: Any) -> dict[str, Any]:
    """Pair engine layers with a keras.applications model's layers of the same name and kind.

    The built-in tables give their layers Keras' names. A few layers Keras names
    automatically (the global pool ``global_average_pooling2d``, MobileNetV3's input
    ``rescaling``, in a fresh session; with a suffix such as ``_1`` when other models were
    built before it), so an engine layer without a namesake takes the model's one
    auto-named layer of its kind's Keras class. An engine layer without a counterpart of
    its name, or whose counterpart is of another kind, stays unpaired, so it shows as a
    difference.
    """
    by_name = {layer.name: layer for layer in model.layers}
    auto: dict[str, list[Any]] = {}
    for layer in model.layers:
        keras_class = type(layer).__name__
        if auto_name(keras_class).fullmatch(layer.name):
            auto.setdefault(keras_class, []).append(layer)
    matched = {}
    for record in records:
        layer = record.layer
        candidate = by_name.get(layer.name)
        unnamed = auto.get(KINDS[layer.kind].keras_class, [])
        if candidate is None and len(unnamed) == 1:
            candidate = unnamed[0]
        if candidate is not None and layer.kind in KERAS_CLASSES.get(type(candidate).__name__, ()):
            matched[layer.name] = candidate
    return matched


def verify_network(network: NetworkCost, progress: Progress = silent) -> Verification:
    """Check ``network``'s counts against TensorFlow, model by model, telling ``progress`` each step.

    TensorFlowCannotBuild (before importing TensorFlow) for a model beyond its
    limits; TensorFlowMissing when TensorFlow or Keras cannot be imported.
    """
    check_buildable(network)
    progress("importing TensorFlow")
    import_tensorflow()
    import keras

    checks = []
    flops = network.convention.counts_elementwise
    own_title = f"built from table {network.architecture.path}"
    with quiet_stderr():  # warnings Keras and TensorFlow print while building and tracing
        progress(f"1 of 2: building the model {own_title} ({quantity(len(network.records), 'layer')})")
        own = build_model(tuple(record.layer for record in network.records), name="mobicalc")
        by_name = {layer.name: layer for layer in own.layers}
        matched = {record.layer.name: by_name[record.layer.name] for record in network.records}
        progress(f"1 of 2: tracing and counting the model {own_title}")
        checks.append(_check(network.records, own, own_title, matched, flops))
        keras.backend.clear_session()
        progress("2 of 2: building keras.applications' model")
        reference, title = reference_model(network)
        if reference is None:
            checks.append(ModelCheck(model="keras.applications", skipped=title))
        else:
            progress(f"2 of 2: tracing and counting {title}")
            checks.append(
                _check(network.records, reference, title, _match_by_name(network.records, reference), flops)
            )
            keras.backend.clear_session()
    for check in checks:
        _refuse_overflow(check)
    return Verification(network, tuple(checks))


def _refuse_overflow(check: ModelCheck) -> None:
    """A negative TensorFlow count is an int64 overflow, not a difference: never report it as one."""
    counts = [check.profiler_flops, *(check.tf_totals or {}).values()]
    counts += [count for layer in check.layers for count in (layer.tf_macs, layer.tf_params)]
    if any(count is not None and count < 0 for count in counts):
        raise TensorFlowCannotBuild(
            f"TensorFlow cannot count this model: a statistic of {check.model} overflowed int64"
        )


def tensorflow_totals(network: NetworkCost) -> tuple[int, int]:
    """(MACs, params) of keras.applications' model for ``network``, as TensorFlow counts them."""
    check_buildable(network)
    import_tensorflow()
    import keras

    with quiet_stderr():
        model, reason = reference_model(network)
        if model is None:
            raise ValueError(f"keras.applications {reason}")
        macs = sum(_macs_by_layer(model, _graph(model)).values())
        params = int(model.count_params())
        keras.backend.clear_session()
    return macs, params
