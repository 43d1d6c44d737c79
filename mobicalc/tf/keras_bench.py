"""``mobicalc bench --keras``: a user's own Keras model timed as a whole and per layer call.

The model is the one ``table --keras`` counts, loaded the same way (``keras_model``): a file's
architecture without its weights (so it runs with freshly initialised weights, which take the same
time), or ``module:function`` built at ``--resolution``, or a ``keras.Model`` object. It runs in one
compiled ``tf.function`` at batch 1 (``trace.compile_graph``): a graph as ``Functional.call`` runs it,
a subclassed model through its own ``call()`` with its layer calls recorded as the walk records them
(``keras_check.CallTracer``); each call in a name scope of its own, so every op TensorFlow's profiler
reports is given to the call that made it, and each row of the walk (``outer/inner``,
``name (call 2)``) gets its own time. A shared layer's time is per call, as its MACs are. A subclassed
model's ops outside any layer call are timed on a row of their own per ``call()`` that made them
(``raw ops in call()``, ``block/raw ops in call()``, as ``verify`` names them), with no MACs: mobicalc
counts no raw op. Timing and profiling are ``tf.bench``'s, the same as for a built-in model.
"""

from collections.abc import Sequence
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.attribution import attribute, fused_owners
from mobicalc.count.settings import Settings
from mobicalc.errors import NetworkError
from mobicalc.numbers import quantity
from mobicalc.tf.bench import ITERATIONS, ROUNDS, ModelBench, check_benchable, start_tensorflow, time_rounds
from mobicalc.tf.keras_check import RAW, inputs_of
from mobicalc.tf.keras_model import keras_model, keras_network
from mobicalc.tf.runtime import Progress, import_tensorflow, silent
from mobicalc.tf.trace import compile_graph, profile

NO_STANDARD = (
    "bench --standard builds the standard-convolution network of a table; for a Keras model it is not "
    "built (each depthwise + pointwise pair would have to be rewritten in the user's graph, with the "
    "layers between them): table --keras shows that network's MACs"
)


def _inputs(model: Any, shapes: Sequence[tuple[int, ...]]) -> tuple[Any, ...]:
    """One batch-1 input per model input: normal values for a float input, zeros for any other (an
    integer input is an index, as an Embedding's: zero is one for any vocabulary)."""
    tf = import_tensorflow()
    values = []
    for number, (shape, (_, declared)) in enumerate(zip(shapes, inputs_of(model, len(shapes)), strict=True)):
        dtype = tf.as_dtype(declared)
        if dtype.is_floating:
            values.append(tf.cast(tf.random.stateless_normal((1, *shape), seed=(1, number)), dtype))
        else:
            values.append(tf.zeros((1, *shape), dtype))
    return tuple(values)


def bench_keras(
    source: Any,
    *,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_shapes: Sequence[tuple[int, ...]] | None = None,
    resolution: Any = None,
    input_channels: int | None = None,
    include_top: bool = True,
    dtype: str = "float32",
    convention: str = conventions.DEFAULT,
    standard: bool = False,
    threads: int = 0,
    rounds: int = ROUNDS,
    iterations: int = ITERATIONS,
    progress: Progress = silent,
) -> ModelBench:
    """Time a Keras model (a ``keras.Model``, a ``.keras``/``.h5`` file, or ``module:function``; the
    arguments of ``keras_model.keras_cost``) as a whole and per layer call, batch 1. ``standard`` is
    refused: the standard-convolution network is built for a table only."""
    if standard:
        raise NetworkError(NO_STANDARD)
    if rounds < 1 or iterations < 1:
        raise NetworkError("bench needs at least one round and one profiled call")
    found = start_tensorflow(threads, progress)  # before the model is built: threads before any op
    progress(f"loading {source if isinstance(source, str) else 'the model'} and walking it")
    settings = Settings(dtype=dtype, convention=conventions.get(convention))
    model, path, shapes = keras_model(
        source, custom_objects=custom_objects, unsafe=unsafe, input_shapes=input_shapes,
        resolution=resolution, input_channels=input_channels, include_top=include_top,
    )  # fmt: skip
    network = keras_network(model, path, settings, shapes)
    check_benchable(network.layers, network.macs, network.params, "the model")
    sizes = network.architecture.inputs  # type: ignore[union-attr]  # a graph's: GraphModel
    progress(f"tracing the model ({quantity(len(network.records), 'layer call')})")
    function, tracer = compile_graph(model, sizes)
    raw = tuple(f"{scope}{RAW}" for scope, ops in tracer.raw.items() if ops)
    inputs = _inputs(model, sizes)
    call = (lambda values: function(*values), inputs)
    samples = time_rounds({"model": call}, rounds, progress)
    progress(f"profiling {iterations} calls")
    records = network.records
    fused = fused_owners(
        (record.layer.name, record.layer.reads, bool(record.cost.macs) or record.counted is False)
        for record in records
    )
    names = [record.layer.name for record in records] + list(raw)
    ops = profile([call], iterations)
    named = set(names)  # a call the walk did not name (none should be) is timed as no layer's
    known = {scope: name for scope, name in tracer.scopes.items() if name in named}
    attribution = attribute(ops, known, names, iterations, fused)
    return ModelBench(network, found, samples["model"], attribution, raw=raw)
