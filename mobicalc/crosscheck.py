"""The TensorFlow cross-checker: real tf.keras models, counted by TensorFlow itself.

The only module that imports TensorFlow, and only inside its functions, so
``import mobicalc.crosscheck`` stays cheap. Every TensorFlow figure here comes
from TensorFlow (``count_params()``, the traced graph's per-op statistics,
tensor shapes), never from the engine, so agreement means something.
"""

import math
import os
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mobicalc.engine import LayerRecord, NetworkCost
from mobicalc.formats import grouped
from mobicalc.kinds import ACTIVATIONS, KINDS
from mobicalc.memory import elements
from mobicalc.network import Layer
from mobicalc.rounding import Count, significant

# Ops whose cost TensorFlow registers as a "flops" statistic (2 x MACs).
MAC_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul")
KERAS_CLASSES = {
    keras_class: tuple(kind.name for kind in KINDS.values() if kind.keras_class == keras_class)
    + (("dense",) if keras_class == "Conv2D" else ())  # keras.applications' classifiers may be 1x1 Conv2Ds
    for keras_class in dict.fromkeys(kind.keras_class for kind in KINDS.values())
}
"""Every Keras layer class an engine layer can be, with the engine kinds it can stand for (from kinds.py)."""
KERAS_KINDS = {
    keras_class: kinds
    for keras_class, kinds in KERAS_CLASSES.items()
    if any(KINDS[kind].formula(1, 1, 1)[1] for kind in kinds)
}
"""The Keras layers that carry weights (and MAC ops), and the engine kinds each can stand for."""


def auto_name(keras_class: str) -> re.Pattern[str]:
    """The names Keras gives a layer of ``keras_class`` that was not named: its class in snake case
    (as keras' ``to_snake_case``), with a suffix such as ``_1`` when one was named so before."""
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", keras_class)).lower()
    return re.compile(rf"{re.escape(snake)}(_\d+)?")


REFERENCE = {
    "v1": "MobileNet",
    "v2": "MobileNetV2",
    "v3-large": "MobileNetV3Large",
    "v3-small": "MobileNetV3Small",
}
VARIANTS = {"minimalistic": {"minimalistic": True}}
"""The arguments keras.applications' constructors take for each variant of a built-in table."""
KERAS_MIN_RESOLUTION = 32  # keras.applications refuses smaller inputs


INSTALL = "pip install 'mobicalc[tf]' (or pip install -e '.[tf]' from a checkout)"

# What verify lets TensorFlow build; the engine's own counts have no limit.
MAX_WEIGHTS = 2**28
"""Params (1 GiB at float32). Keras allocates and initialises every weight of both
models it builds; measured, a build peaks at about 3x the weights' bytes plus 0.6 GB."""
MAX_STATISTIC = 2**62
"""TensorFlow counts flops in int64; verify keeps its totals below half of 2**63."""
ELEMENTWISE_PER_ELEMENT = 8
"""A bound on the profiler's elementwise flops per activation element (measured: about 2)."""


class TensorFlowMissing(RuntimeError):
    """TensorFlow or Keras is missing or fails to import; the message says how to install it."""


class TensorFlowCannotBuild(ValueError):
    """A model beyond what verify lets TensorFlow build or count; the message names the limit."""


def _short(error: BaseException) -> str:
    """An exception in one short line: its type and the first line of its message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _number(value: Count) -> str:
    """A count in a message: grouped digits, or scientific notation when it would run long."""
    return grouped(value) if value < 10**16 else f"{significant(value, 4):.3E}"


def check_buildable(network: NetworkCost) -> None:
    """Refuse, before importing TensorFlow, a model TensorFlow cannot build or count.

    Activations are never allocated (verify only traces the graph), so their size
    matters only through TensorFlow's int64 statistics; weights are allocated.
    """
    params = sum(record.cost.params for record in network.records)
    if params > MAX_WEIGHTS:
        raise TensorFlowCannotBuild(
            f"TensorFlow cannot build this model for verify: its weights would hold {_number(params)} "
            f"params, over verify's limit of {_number(MAX_WEIGHTS)} (1 GiB at float32; "
            "building takes about 3 times that in memory)"
        )
    macs = sum(record.cost.macs for record in network.records)
    first = network.records[0].layer.input
    elements = first.height * first.width * first.channels + sum(
        output.height * output.width * output.channels
        for output in (record.layer.output for record in network.records)
    )
    statistic = 2 * macs + ELEMENTWISE_PER_ELEMENT * elements
    if statistic > MAX_STATISTIC:
        raise TensorFlowCannotBuild(
            f"TensorFlow cannot count this model: its flops statistics (2 x MACs plus elementwise ops) "
            f"would reach {_number(statistic)}, over verify's limit of 2**62 (TensorFlow counts them "
            "in int64)"
        )


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence what TensorFlow writes to file descriptor 2 (CUDA probes, absl logs, warnings).

    Python exceptions still show: they are printed after the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow() -> Any:
    """Import TensorFlow and Keras quietly, on the CPU; TensorFlowMissing if either fails.

    Any exception counts, not only ImportError: a broken install raises all sorts
    (a RuntimeError from the runtime, an AttributeError from mismatched versions).
    """
    if sys.modules.get("tensorflow") is not None and sys.modules.get("keras") is not None:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    os.environ["KERAS_BACKEND"] = "tensorflow"  # verify traces TensorFlow graphs, whatever the user's default
    package = "TensorFlow"
    try:
        with _quiet_stderr():
            import tensorflow as tf

            tf.config.list_physical_devices("CPU")  # initialises the runtime, whose logs we silence
            package = "Keras"
            import keras

            if keras.backend.backend() != "tensorflow":
                raise RuntimeError(f"Keras was imported with the {keras.backend.backend()} backend")
    except Exception as error:
        missing = isinstance(error, ModuleNotFoundError) and error.name in ("tensorflow", "keras")
        raise TensorFlowMissing(
            f"verify needs {package}, which {'is not installed' if missing else 'fails to import'} "
            f"({_short(error)}): {INSTALL}"
        ) from None
    tf.get_logger().setLevel("ERROR")
    return tf


@dataclass(frozen=True)
class LayerCheck:
    """One engine layer beside the TensorFlow layer(s) it corresponds to.

    A TensorFlow value of None means "not comparable" (a pool has no MACs op).
    """

    name: str
    kind: str
    engine_macs: Count
    tf_macs: int | None
    engine_params: Count
    tf_params: int | None
    engine_shape: tuple[Count, ...]
    tf_shape: tuple[int, ...] | None
    engine_elements: Count | None = None
    """The output activation's values (the memory figures' unit), as the engine sizes it."""
    tf_elements: int | None = None
    """The Keras output tensor's values, batch left out: the product of its own shape."""

    @property
    def ok(self) -> bool:
        pairs = (
            (self.engine_macs, self.tf_macs),
            (self.engine_params, self.tf_params),
            (self.engine_elements, self.tf_elements),
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


def build_model(layers: tuple[Layer, ...], name: str = "mobicalc") -> Any:
    """A tf.keras model of the engine's layers: the one builder for every table.

    Keras layers take the engine's names (batch-norm ``NAME_bn``, activation
    ``NAME_act``, explicit padding ``NAME_pad``), so the two map one to one. A
    helper layer whose name a table gave to a layer of its own gets a ``_2``.
    """
    import_tensorflow()
    import keras

    first = layers[0].input
    inputs = keras.Input((first.height, first.width, first.channels), batch_size=1, name="input")
    outputs = {"input": inputs}
    taken = {"input", *(layer.name for layer in layers)}

    def helper(layer: Layer, suffix: str) -> str:
        """The name of a layer that only accompanies ``layer``: NAME_suffix, unless a table took it."""
        name = base = f"{layer.name}_{suffix}"
        number = 1
        while name in taken:
            number += 1
            name = f"{base}_{number}"
        taken.add(name)
        return name

    x = inputs
    for layer in layers:
        if not isinstance(layer.output.channels, int):
            raise ValueError(
                f"layer {layer.name} has {layer.output.channels} channels: no real model has that"
            )
        if isinstance(layer.padding, tuple):
            x = keras.layers.ZeroPadding2D((layer.padding, layer.padding), name=helper(layer, "pad"))(x)
            layer = layer._replace(padding="valid")
        arguments = [outputs[layer.shortcut], x] if layer.shortcut is not None else x
        x = KINDS[layer.kind].build(keras.layers, layer, arguments)
        if layer.batch_norm:
            x = keras.layers.BatchNormalization(name=helper(layer, "bn"))(x)
        if layer.activation is not None:
            x = ACTIVATIONS[layer.activation].build(keras.layers, helper(layer, "act"))(x)
        outputs[layer.name] = x
    return keras.Model(inputs, x, name=name)


def reference_model(network: NetworkCost) -> tuple[Any | None, str]:
    """keras.applications' own model for a built-in table, or None and why not.

    The reason reads after "keras.applications", e.g. "keras.applications skipped: needs ...".
    """
    table = network.architecture.path
    if table not in REFERENCE:
        return None, "has no model for a user table"
    if network.settings.rounding != "keras":
        return None, f"rounds channels its own way: use --rounding keras, not {network.settings.rounding}"
    if min(network.height, network.width) < KERAS_MIN_RESOLUTION:
        square = network.height == network.width
        return None, f"needs a resolution of at least {KERAS_MIN_RESOLUTION}" + (
            "" if square else f" on each side, not {network.height}x{network.width}"
        )
    import_tensorflow()
    import keras

    constructor = getattr(keras.applications, REFERENCE[table])
    variant = network.architecture.variant
    extra: dict[str, Any] = dict(VARIANTS[variant]) if variant is not None else {}
    if network.depth_multiplier != 1:  # only tables without bottlenecks take one: MobileNet
        extra["depth_multiplier"] = network.depth_multiplier
    model = constructor(
        input_shape=(network.height, network.width, network.input_channels),
        alpha=float(network.settings.alpha),
        include_top=network.settings.include_top,
        weights=None,
        classes=network.classes or 1000,
        **extra,
    )
    arguments = ", ".join(f"{name}={value!r}" for name, value in extra.items())
    return model, f"keras.applications.{REFERENCE[table]}" + (f"({arguments})" if arguments else "")


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


def verify_network(network: NetworkCost) -> Verification:
    """Check ``network``'s counts against TensorFlow, model by model.

    TensorFlowCannotBuild (before importing TensorFlow) for a model beyond its
    limits; TensorFlowMissing when TensorFlow or Keras cannot be imported.
    """
    check_buildable(network)
    import_tensorflow()
    import keras

    checks = []
    flops = network.plan.convention.flops == "profiler"
    with _quiet_stderr():  # warnings Keras and TensorFlow print while building and tracing
        own = build_model(tuple(record.layer for record in network.records), name="mobicalc")
        by_name = {layer.name: layer for layer in own.layers}
        matched = {record.layer.name: by_name[record.layer.name] for record in network.records}
        checks.append(
            _check(network.records, own, f"built from table {network.architecture.path}", matched, flops)
        )
        keras.backend.clear_session()
        reference, title = reference_model(network)
        if reference is None:
            checks.append(ModelCheck(model="keras.applications", skipped=title))
        else:
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

    with _quiet_stderr():
        model, reason = reference_model(network)
        if model is None:
            raise ValueError(f"keras.applications {reason}")
        macs = sum(_macs_by_layer(model, _graph(model)).values())
        params = int(model.count_params())
        keras.backend.clear_session()
    return macs, params
