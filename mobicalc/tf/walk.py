"""Walk a Keras 3 model: every call of a layer or op in graph order, with concrete batch-1 shapes.

Nothing is computed: each operation answers ``compute_output_spec`` on symbolic tensors
(``keras.KerasTensor``), the way Keras itself runs a functional graph
(``Function._run_through_graph``, by depth). Functional and Sequential models, nested
models (their layers named ``outer/inner``), shared layers (one step per call) and several
inputs and outputs are walked alike. The walk knows nothing of formulas: it gives
``count.graph.Step``s, and ``count/graph.py`` costs them.
"""

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from mobicalc.count.graph import Step
from mobicalc.count.keras_layers import Call
from mobicalc.errors import MobicalcError, Refused
from mobicalc.model.layers import IMAGE


class OpenInput(Refused):
    """An input whose size the model leaves open, and no size given for it."""


def class_key(operation: Any) -> str:
    """How ``KERAS_LAYERS`` keys an operation's class: a Keras layer by its name, an op of keras.ops as
    ``ops.<Class>``, keras.applications' own layers as ``applications.<Class>``; any other class by its
    module and name, so that a user's ``Conv2D`` is never taken for Keras'."""
    cls = type(operation)
    module = cls.__module__
    for prefix, key in (("keras.src.ops.", "ops."), ("keras.src.applications.", "applications.")):
        if module.startswith(prefix):
            return key + cls.__name__
    if module.startswith(("keras.src.layers.", "keras.layers")):
        return cls.__name__
    return f"{module}.{cls.__qualname__}"


def is_graph(operation: Any) -> bool:
    """Whether an operation is itself a model with a graph to walk (Functional or Sequential)."""
    return hasattr(operation, "_run_through_graph") or getattr(operation, "_functional", None) is not None


def graph_of(model: Any) -> Any:
    functional = getattr(model, "_functional", None)
    return functional if functional is not None else model


class Input(NamedTuple):
    """One input as the model declares it."""

    name: str
    shape: tuple[int | None, ...]
    """Without the batch axis; None where the model leaves a size open."""
    dtype: str


def declared(model: Any) -> list[Input] | None:
    """The model's inputs: a graph's, or those a subclassed model was built with (None: not built, or
    built without a shape Keras kept)."""
    if is_graph(model):
        return [Input(t.name, tuple(t.shape[1:]), t.dtype) for t in graph_of(model).inputs]
    config = (model.get_build_config() or {}) if getattr(model, "built", False) else {}
    shape = config.get("input_shape")
    if not isinstance(shape, list | tuple) or not shape:
        return None
    shapes = list(shape) if isinstance(shape[0], list | tuple) else [shape]
    if not all(isinstance(one, list | tuple) and one for one in shapes):
        return None
    return [Input(input_name(index), tuple(one[1:]), "float32") for index, one in enumerate(shapes)]


def input_name(index: int) -> str:
    """How the walk names a subclassed model's input (whose inputs have no names)."""
    return f"input_{index}" if index else IMAGE


def input_shapes(model: Any, given: Sequence[tuple[int, ...]] | None) -> list[tuple[int, ...]]:
    """Each input's shape without the batch axis: the model's, or ``given`` where it leaves sizes open.

    A size given must name every input, each with the model's rank; a graph's fixed axes (a size it
    declares, not None) stay as it declares them: a size given for one must be that size."""
    inputs = declared(model)
    fixed = is_graph(model)  # a subclassed model's shapes are those it was called at, not declared
    if inputs is None:
        if given is None:
            raise OpenInput(
                f"the model ({type(model).__name__}) does not declare its input size (it is subclassed, or "
                "not built yet): give it with --input-shape (any rank, without the batch axis, e.g. "
                "224x224x3) or --resolution HxW"
            )
        inputs = [
            Input(input_name(index), (None,) * len(shape), "float32") for index, shape in enumerate(given)
        ]
    if given is not None and len(given) != len(inputs):
        names = ", ".join(repr(name) for name, _, _ in inputs)
        raise MobicalcError(
            f"the model has {len(inputs)} input{'s' if len(inputs) != 1 else ''} ({names}); "
            f"--input-shape gives {len(given)} shape{'s' if len(given) != 1 else ''}"
        )
    shapes = []
    for index, (name, own, _) in enumerate(inputs):
        shape: tuple[int | None, ...] = given[index] if given is not None else own
        if len(shape) != len(own):
            raise MobicalcError(
                f"input {name!r} has {len(own)} axes besides the batch {own}; "
                f"the size given has {len(shape)}: {shape}"
            )
        axis_names = ("height", "width", "channels") if len(own) == 3 else ()
        for axis, (mine, size) in enumerate(zip(own, shape, strict=True)):
            if fixed and mine is not None and size != mine:
                what = f" ({axis_names[axis]})" if axis < len(axis_names) else ""
                raise MobicalcError(
                    f"input {name!r} fixes axis {axis + 1}{what} at {mine} (its shape {own}); the size "
                    f"given has {size} there: {shape}. Only its open (None) axes can be given"
                )
        open_axes = [axis + 1 for axis, size in enumerate(shape) if size is None]
        if open_axes:
            which = ", ".join(
                f"axis {axis}" + (f" ({axis_names[axis - 1]})" if axis - 1 < len(axis_names) else "")
                for axis in open_axes
            )
            raise OpenInput(
                f"input {name!r} has open sizes {own}: {which}; give them with --resolution HxW "
                "(an image) or --input-shape (any rank, without the batch axis, e.g. 224x224x3)"
            )
        shapes.append(tuple(int(size) for size in shape if size is not None))
    return shapes


class Walk:
    """A functional walk: each operation answers ``compute_output_spec`` on symbolic tensors."""

    def __init__(self, keras: Any) -> None:
        self.keras = keras
        self.steps: list[Step] = []
        self.producer: dict[int, str] = {}
        self.calls: dict[int, int] = {}

    def is_tensor(self, value: Any) -> bool:
        return isinstance(value, self.keras.KerasTensor)

    def tensors(self, values: Any) -> list[Any]:
        return [value for value in self.keras.tree.flatten(values) if self.is_tensor(value)]

    def sources(self, tensor: Any) -> tuple[str, ...]:
        """The steps that wrote ``tensor`` (none: a constant, or a tensor the walk did not see made)."""
        name = self.producer.get(id(tensor))
        return () if name is None else (name,)

    def run(self, model: Any, inputs: list[Any], prefix: str) -> Any:
        return graph_of(model)._run_through_graph(
            inputs,
            operation_fn=lambda operation: operation,
            call_fn=lambda op, *a, **k: self.call(op, prefix, a, k),
        )

    def call(self, operation: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if is_graph(operation):
            return self.run(operation, self.tensors((args, kwargs)), f"{prefix}{operation.name}/")
        return self.step(operation, prefix, args, kwargs, self.apply(operation))

    def apply(self, operation: Any) -> Callable[..., Any]:
        """How a graph's operation is run: symbolically (``verify`` runs it for real)."""
        return operation.compute_output_spec

    def step(
        self,
        operation: Any,
        prefix: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        apply: Callable[..., Any],
    ) -> Any:
        """One call of ``operation``, run by ``apply`` and recorded as a step."""
        output = apply(*args, **kwargs)
        self.record(operation, prefix, args, kwargs, output)
        return output

    def name(self, operation: Any, prefix: str) -> str:
        """``prefix`` + the operation's name, with ``(call N)`` from its second call on."""
        count = self.calls[id(operation)] = self.calls.get(id(operation), 0) + 1
        return f"{prefix}{operation.name}" + (f" (call {count})" if count > 1 else "")

    def record(
        self, operation: Any, prefix: str, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any
    ) -> None:
        """One step: the call of ``operation`` on ``args`` and ``kwargs`` that gave ``output``."""
        name = self.name(operation, prefix)
        read: list[tuple[str | None, Any]] = [(None, tensor) for tensor in self.tensors(args)]
        read += [(keyword, tensor) for keyword, value in kwargs.items() for tensor in self.tensors(value)]
        config = operation.get_config() if hasattr(operation, "get_config") and is_layer(operation) else {}
        activation = config.get("activation") if isinstance(config.get("activation"), str) else None
        outputs = self.tensors(output)
        reads = [source for _, tensor in read for source in self.sources(tensor)]
        self.steps.append(
            Step(
                name, class_key(operation),
                Call(config, tuple(tuple(t.shape) for _, t in read), tuple(tuple(t.shape) for t in outputs),
                     tuple(keyword for keyword, _ in read)),
                tuple(reads), id(operation), None if activation in (None, "linear") else activation,
            )
        )  # fmt: skip
        for tensor in outputs:
            self.producer[id(tensor)] = name


def is_layer(operation: Any) -> bool:
    return hasattr(operation, "trainable_weights")


def symbolic_inputs(walker: Walk, inputs: Sequence[Input], shapes: Sequence[tuple[int, ...]]) -> list[Any]:
    """Batch-1 symbolic inputs of ``shapes``: the first read as ``layers.IMAGE``, any other as a step of its
    own (``InputLayer``), as a table's image and a graph's further inputs are."""
    symbolic = []
    for index, (given, shape) in enumerate(zip(inputs, shapes, strict=True)):
        tensor = walker.keras.KerasTensor((1, *shape), dtype=given.dtype)
        symbolic.append(tensor)
        name = IMAGE if index == 0 else given.name or input_name(index)
        if index:
            walker.steps.append(Step(name, "InputLayer", Call({}, (), ((1, *shape),)), (), id(tensor)))
        walker.producer[id(tensor)] = name
    return symbolic


def walk(model: Any, keras: Any, shapes: Sequence[tuple[int, ...]]) -> tuple[Step, ...]:
    """The steps of ``model`` with inputs of ``shapes`` (batch axis left out), in the order they run."""
    walker = Walk(keras)
    walker.run(model, symbolic_inputs(walker, declared(model) or [], shapes), "")
    return tuple(walker.steps)
