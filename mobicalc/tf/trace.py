"""A Keras model's forward pass, compiled and traced, and TensorFlow's profiler trace of it running.

``compile_forward`` traces the model once as a ``tf.function`` (batch 1) and
records the name scope each Keras layer's ops run in: TensorFlow makes scope
names unique by suffixes (``conv`` runs in ``conv_1``, a layer named ``conv_1``
in ``conv_1_2``), so they are recorded, not guessed. ``compile_graph`` does the
same for a user's Keras model, Functional or subclassed, one scope per layer call,
each named as the walk names the call (``outer/inner``, ``name (call 2)``), and one
per ``call()`` for its raw ops (``raw ops in call()``). ``profile`` runs it under
TensorFlow's profiler and reads the ops it ran, with their durations, from the
trace file (an XSpace protocol buffer) without TensorBoard.
"""

import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mobicalc.count.attribution import OpTime
from mobicalc.errors import MobicalcError
from mobicalc.tf.keras_check import CallTracer, input_specs
from mobicalc.tf.runtime import import_tensorflow, quiet_stderr

OP_EVENT = re.compile(r"([^:\s]+):([A-Za-z_]\w*)")
"""A profiler event of one op: ``OP_NAME:OP_TYPE`` (other events are the runtime's own: ``Foo::Bar``)."""
HOST_PLANE = "/host:CPU"


class ProfilerError(MobicalcError):
    """TensorFlow's profiler could not trace (another trace running, an unreadable trace file)."""


def compile_forward(model: Any) -> tuple[Callable[[Any], Any], dict[str, str]]:
    """``model``'s forward pass (inference, batch 1) as a traced ``tf.function``, and the name scope of
    each Keras layer's ops in it (scope path -> Keras layer name)."""
    tf = import_tensorflow()
    scopes: dict[str, str] = {}
    hooked = []
    for layer in model.layers:
        original = layer.call

        def call(*args: Any, _original: Any = original, _name: str = layer.name, **kwargs: Any) -> Any:
            scopes[tf.get_current_name_scope()] = _name
            return _original(*args, **kwargs)

        layer.call = call  # this instance only, while tracing: Keras calls self.call
        hooked.append(layer)
    spec = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32)
    try:
        function = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        with quiet_stderr():
            function.get_concrete_function()
    finally:
        for layer in hooked:
            del layer.call
    return function, scopes


def compile_graph(model: Any, shapes: Sequence[tuple[int, ...]]) -> tuple[Callable[..., Any], CallTracer]:
    """A Keras model's forward pass (inference, batch 1, its inputs of ``shapes``) as a ``tf.function``
    traced for inputs of those shapes (bench calls it with no other), and the tracer that ran it
    (``keras_check.CallTracer``): a graph's calls as ``Functional.call`` runs them, a subclassed model's
    own ``call()`` with its layer calls recorded, each in a name scope of its own named as ``tf.walk``
    names the call (``tracer.scopes``), and a subclassed model's raw ops in the scope of the ``call()``
    that made them (``tracer.raw``)."""
    tf = import_tensorflow()
    import keras

    tracer = CallTracer(keras, tf, model)
    # Traced once here, for inputs of these specs; no input_signature, which makes each call a few
    # per cent slower than a plain tf.function's (benchmarks/subclassed.py): called as model(x) is.
    function = tf.function(tracer.forward)
    with quiet_stderr():
        function.get_concrete_function(*input_specs(model, shapes))
    return function, tracer


def profile(calls: Sequence[tuple[Callable[[Any], Any], Any]], iterations: int) -> list[OpTime]:
    """Every op that ``iterations`` rounds of ``calls`` ran, from TensorFlow's profiler: each round calls
    each ``(function, input)`` once, in turn, so that things to compare are traced in the same spell."""
    tf = import_tensorflow()
    options = tf.profiler.experimental.ProfilerOptions(
        host_tracer_level=2, python_tracer_level=0, device_tracer_level=0
    )
    with tempfile.TemporaryDirectory(prefix="mobicalc-trace-") as directory, quiet_stderr():
        try:
            tf.profiler.experimental.start(directory, options=options)
        except Exception as error:  # AlreadyExistsError: a trace is running in this process
            raise ProfilerError(f"TensorFlow's profiler cannot start: {error}") from None
        try:
            for _ in range(iterations):
                for function, x in calls:
                    function(x)
        finally:
            tf.profiler.experimental.stop()
        files = sorted(Path(directory).glob(os.path.join("plugins", "profile", "*", "*.xplane.pb")))
        if not files:
            raise ProfilerError("TensorFlow's profiler wrote no trace")
        return ops_of(files[0].read_bytes())


def _xspace() -> Any:
    """An empty XSpace message: the trace file's format, as TensorFlow ships it."""
    import_tensorflow()
    try:
        from tensorflow.tsl.profiler.protobuf import xplane_pb2
    except ImportError:  # where TensorFlow does not re-export TSL's protocol buffers
        from tsl.profiler.protobuf import xplane_pb2  # type: ignore[import-not-found]
    return xplane_pb2.XSpace()


def ops_of(trace: bytes) -> list[OpTime]:
    """The op events of the host CPU's plane of a serialised XSpace, in no particular order."""
    space = _xspace()
    space.ParseFromString(trace)
    ops = []
    for plane in space.planes:
        if plane.name != HOST_PLANE:
            continue
        names = {key: metadata.name for key, metadata in plane.event_metadata.items()}
        for line in plane.lines:
            origin = line.timestamp_ns * 1000  # each line's events are offsets from its own start
            for event in line.events:
                match = OP_EVENT.fullmatch(names.get(event.metadata_id, ""))
                if match:
                    start = origin + event.offset_ps
                    ops.append(OpTime(match.group(1), match.group(2), event.duration_ps, start))
    return ops
