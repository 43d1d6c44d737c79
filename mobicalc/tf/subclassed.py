"""Walk a subclassed Keras model (a ``call()`` of Python, no graph of its own) by its layers' calls.

Only the layers a subclassed model calls can be seen, so the walk patches
``keras.layers.Layer.__call__`` for one pass (restored afterwards, even on an error) and records the
outermost call of each layer: a layer with a formula (``count/keras_layers.py``) is one step,
whatever it calls inside (a MultiHeadAttention's projections); a layer without one that holds other
layers (a composite custom layer) is descended into, its layers named ``outer/inner``; one that holds
none is a step no formula counts ("not counted", never zero); a Functional or Sequential model called
inside is walked as its graph (``walk.py``). A shared layer's later calls are ``name (call 2)``, as in
a graph. Raw ops inside any ``call()`` (``keras.ops``, ``tf``) are no layer's: they are not seen, and
not counted (``NOTE``), nor are weights only they use (``unseen``); ``verify --keras`` traces the same
calls for real and shows what TensorFlow counts in them, and ``bench --keras`` times them
(``keras_check.CallTracer``).

Two passes, as Keras needs: a model not yet built builds its layers on its first call by tracing
``call()`` once more (every layer would be seen twice), so it is first built by a pass that is not
recorded; the recorded pass then runs. Both run ``model.__call__`` on batch-1 placeholders in a scratch
TensorFlow graph (Keras' ``compute_output_spec``): concrete shapes, nothing computed, so memory does
not grow with the input size.

Edges: a recorded call reads a tensor from the call that wrote it; a tensor a raw op made, from the
nearest recorded calls behind it in the TensorFlow graph (the op's inputs, followed back); a constant
or a weight, from nothing. A raw op's own output is never held, so for a subclassed model memory is
approximate.
"""

import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mobicalc.count.graph import Step
from mobicalc.count.keras_layers import KERAS_LAYERS
from mobicalc.tf.runtime import import_tensorflow
from mobicalc.tf.walk import Input, Walk, class_key, input_name, is_graph, symbolic_inputs

NOTE = (
    "A subclassed model: only the calls of its layers are counted; raw ops in call() (keras.ops, tf) are "
    "not, and its memory follows the layers' edges, so it is approximate."
)

Hook = Callable[..., Any]


@contextmanager
def layer_calls(keras: Any, hook: Hook) -> Iterator[None]:
    """Every ``Layer.__call__`` goes through ``hook(original, layer, *args, **kwargs)`` within; the
    original is put back after, whatever happens."""
    layer = keras.layers.Layer
    original = layer.__dict__["__call__"]

    @functools.wraps(original)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return hook(original, self, *args, **kwargs)

    layer.__call__ = call
    try:
        yield
    finally:
        layer.__call__ = original


def sublayers(layer: Any) -> list[Any]:
    return list(layer._flatten_layers(include_self=False, recursive=False))


class Calls(Walk):
    """A walk by layer calls, on TensorFlow's symbolic tensors (``verify`` traces the same calls for real:
    ``keras_check.CallTracer``)."""

    def __init__(self, keras: Any, tf: Any, model: Any) -> None:
        super().__init__(keras)
        self.tf, self.model = tf, model
        self.prefixes = [""]
        self.inside = 0
        """How deep the walk is inside a recorded call (whose own calls are its, not steps)."""
        self.owners: dict[int, Any] = {}
        self.behind: dict[int, tuple[str, ...]] = {}
        self.names: set[str] = set()

    def is_tensor(self, value: Any) -> bool:
        return bool(self.tf.is_tensor(value)) or super().is_tensor(value)

    def sources(self, tensor: Any) -> tuple[str, ...]:
        """The recorded calls that wrote ``tensor``, or the nearest behind the raw ops that made it."""
        found = super().sources(tensor)
        if found or not hasattr(tensor, "op"):
            return found
        if id(tensor) not in self.behind:
            names: dict[str, None] = {}
            seen, queue = {id(tensor)}, [tensor]
            while queue:
                for source in queue.pop(0).op.inputs:
                    if id(source) in seen:
                        continue
                    seen.add(id(source))
                    if (name := self.producer.get(id(source))) is not None:
                        names[name] = None
                    else:
                        queue.append(source)
            self.behind[id(tensor)] = tuple(names)
        return self.behind[id(tensor)]

    def name(self, operation: Any, prefix: str) -> str:
        """The graph's name; a subclassed model's layers may share a name, told apart by ``#2``."""
        name = base = super().name(operation, prefix)
        number = 1
        while name in self.names:
            number += 1
            name = f"{base} #{number}"
        self.names.add(name)
        self.owners[id(operation)] = operation
        return name

    def own(self, apply: Hook, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run a call whose inner calls are not steps."""
        self.inside += 1
        try:
            return apply(*args, **kwargs)
        finally:
            self.inside -= 1

    def step(
        self, operation: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any], apply: Hook
    ) -> Any:
        return super().step(operation, prefix, args, kwargs, lambda *a, **k: self.own(apply, a, k))

    @contextmanager
    def scope(self, prefix: str) -> Iterator[None]:
        """Within, calls are of a composite layer's ``call()``, named ``prefix`` + their name."""
        self.prefixes.append(prefix)
        try:
            yield
        finally:
            self.prefixes.pop()

    def layer_call(self, original: Hook, layer: Any, *args: Any, **kwargs: Any) -> Any:
        if self.inside or layer is self.model:
            return original(layer, *args, **kwargs)
        prefix = self.prefixes[-1]
        if is_graph(layer):
            return self.nested(original, layer, args, kwargs, prefix)
        if class_key(layer) in KERAS_LAYERS or not sublayers(layer):
            return self.step(layer, prefix, args, kwargs, functools.partial(original, layer))
        with self.scope(f"{prefix}{layer.name}/"):
            return original(layer, *args, **kwargs)

    def nested(
        self, original: Hook, model: Any, args: tuple[Any, ...], kwargs: dict[str, Any], prefix: str
    ) -> Any:
        """A Functional or Sequential model called inside: its graph walked on symbolic copies of its
        inputs, its outputs read from the steps that wrote the copies'."""
        symbolic = []
        for tensor in self.tensors((args, kwargs)):
            copy = self.keras.KerasTensor(tuple(tensor.shape), dtype=tensor.dtype.name)
            if sources := self.sources(tensor):
                self.producer[id(copy)] = sources[0]
            symbolic.append(copy)
        specs = self.run(model, symbolic, f"{prefix}{model.name}/")
        output = self.own(functools.partial(original, model), args, kwargs)
        for tensor, spec in zip(self.tensors(output), self.tensors(specs), strict=False):
            if id(spec) in self.producer:
                self.producer[id(tensor)] = self.producer[id(spec)]
        return output


def build(model: Any, keras: Any, shapes: Sequence[tuple[int, ...]]) -> None:
    """Build every layer of ``model``, unless they all are: one pass of ``call()`` on batch-1
    placeholders (as the recorded pass, but not recorded), so that no activation is ever computed
    and memory does not grow with the input size."""
    if all(layer.built for layer in model._flatten_layers()):
        return
    from keras.src.backend import compute_output_spec

    symbolic = [keras.KerasTensor((1, *shape), dtype="float32") for shape in shapes]
    compute_output_spec(lambda *inputs: model(inputs[0] if len(inputs) == 1 else list(inputs)), *symbolic)


def walk_calls(
    model: Any, keras: Any, shapes: Sequence[tuple[int, ...]]
) -> tuple[tuple[Step, ...], tuple[str, ...], int]:
    """The steps of a built subclassed ``model`` (``build``) at inputs of ``shapes`` (no batch axis), the
    notes on what the walk could not see, and how many parameters are in weights of no call it saw."""
    from keras.src.backend import compute_output_spec

    walker = Calls(keras, import_tensorflow(), model)
    inputs = [Input(input_name(index), (), "float32") for index in range(len(shapes))]
    symbolic = symbolic_inputs(walker, inputs, shapes)

    def run(*placeholders: Any) -> Any:
        for placeholder, tensor in zip(placeholders, symbolic, strict=True):
            walker.producer[id(placeholder)] = walker.producer[id(tensor)]
        return model(placeholders[0] if len(placeholders) == 1 else list(placeholders))

    with layer_calls(keras, walker.layer_call):
        compute_output_spec(run, *symbolic)
    note, count = unseen(model, walker.owners.values())
    return tuple(walker.steps), (NOTE, *note), count


def unseen(model: Any, owners: Iterable[Any]) -> tuple[list[str], int]:
    """What the walk cannot count of ``model``'s parameters: weights of no layer call it saw (used by raw
    ops in ``call()``, or of layers never called), as a note and a number of parameters."""
    seen = {id(weight) for owner in owners for weight in getattr(owner, "weights", ())}
    missed = [weight for weight in model.weights if id(weight) not in seen]
    if not missed:
        return [], 0
    names = ", ".join(weight.path for weight in missed[:3]) + (", ..." if len(missed) > 3 else "")
    count = sum(math.prod(weight.shape) for weight in missed)
    return [f"{count:,} parameters are in weights of no layer call seen ({names}): not counted."], count
