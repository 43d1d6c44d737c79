"""A Keras model from where a user has it: a ``.keras`` or ``.h5`` file, ``module:function``, an object.

Counting needs only the architecture, so a file's weights are never read: its model config
(``config.json`` in a ``.keras`` zip, the ``model_config`` attribute of an ``.h5``) is
deserialized with ``compile=False``'s equivalent and Keras' safe mode on, so a file never runs
code. Before Keras sees the config, every class it names is checked: a ``Lambda`` (code in the
file) or a class Keras does not know is refused with its name and what to do. Anything wrong
with the file (missing, a directory, a FIFO, not a zip, a config too large) is one line.
"""

import dataclasses
import importlib
import inspect
import json
import os
import stat
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.graph import graph_cost
from mobicalc.count.network import NetworkCost
from mobicalc.count.settings import Settings
from mobicalc.errors import MobicalcError, Refused
from mobicalc.model.graph import GraphModel
from mobicalc.model.layers import Resolution, input_size
from mobicalc.tf import subclassed
from mobicalc.tf.runtime import import_tensorflow, quiet_import, quiet_stderr, reason
from mobicalc.tf.walk import declared, input_shapes, is_graph, walk

MAX_CONFIG_BYTES = 64 * 2**20
"""The largest model config read (the architecture of any real model is a few MB at most)."""
SUFFIXES = (".keras", ".h5", ".hdf5")


class KerasModelError(Refused):
    """A Keras model that cannot be read or walked; the message says which and why."""


def _file_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise KerasModelError(f"{path}: cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise KerasModelError(f"{path}: a directory, not a model file (.keras or .h5)")
    if not stat.S_ISREG(mode):
        raise KerasModelError(f"{path}: not a regular file (a FIFO or device); give a .keras or .h5 file")
    if path.suffix.lower() not in SUFFIXES:
        raise KerasModelError(
            f"{path}: expected a .keras or .h5 file, or module:function (a callable returning a model)"
        )
    return path.suffix.lower()


def read_config(path: Path) -> dict[str, Any]:
    """The model config of a ``.keras`` zip or an ``.h5`` file, without its weights."""
    suffix = _file_kind(path)
    try:
        if suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise KerasModelError(
                        f"{path}: not a Keras model: no config.json in the archive"
                    ) from None
                if info.file_size > MAX_CONFIG_BYTES:
                    raise KerasModelError(
                        f"{path}: its config.json is {info.file_size:,} bytes, more than the "
                        f"{MAX_CONFIG_BYTES:,} any model's architecture takes; refused"
                    )
                with archive.open(info) as member:
                    text = member.read(MAX_CONFIG_BYTES + 1)
        else:
            import h5py  # type: ignore[import-untyped]

            with h5py.File(path, "r") as file:
                raw = file.attrs.get("model_config")
                if raw is None:
                    raise KerasModelError(f"{path}: an HDF5 file without a model config (weights only?)")
                text = raw.encode() if isinstance(raw, str) else bytes(raw)
        if len(text) > MAX_CONFIG_BYTES:
            raise KerasModelError(f"{path}: its model config is over {MAX_CONFIG_BYTES:,} bytes; refused")
        config = json.loads(text)
    except KerasModelError:
        raise
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError) as error:
        raise KerasModelError(
            f"{path}: not a readable {suffix} model ({type(error).__name__}: {error})"
        ) from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise KerasModelError(f"{path}: its model config is not a Keras model's")
    return config


def _classes(config: Any) -> Iterator[dict[str, Any]]:
    """Every serialized object in a config (a dict with a class_name)."""
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            yield config
        for value in config.values():
            yield from _classes(value)
    elif isinstance(config, list):
        for value in config:
            yield from _classes(value)


UNSAFE = "--unsafe (Keras' safe_mode=False: only for a file you trust)"


def check_classes(config: dict[str, Any], custom: dict[str, Any], unsafe: bool) -> None:
    """Refuse a config that would run code or names a class Keras cannot find, naming the class."""
    for item in _classes(config):
        name, module = item["class_name"], item.get("module") or ""
        if name == "Lambda" and not unsafe:
            layer = (item.get("config") or {}).get("name", "?")
            raise KerasModelError(
                f"layer {layer!r} is a Lambda: Python code stored in the file, which mobicalc never runs. "
                f"Give the code instead with --keras module:function, or opt out with {UNSAFE}"
            )
        # A Lambda's function is stored as {"class_name": "__lambda__"}: Keras' own, loaded when unsafe.
        if name == "__keras_tensor__" or module.startswith("keras") or module == "builtins":
            continue
        if name == "__lambda__" and unsafe:
            continue
        registered = item.get("registered_name") or name
        if registered not in custom and name not in custom:
            import keras

            # A legacy .h5 names Keras' own classes without a module: those Keras finds by name.
            known = not module and any(getattr(place, name, None) for place in (keras.layers, keras.models))
            if not known and name != "Functional" and keras.saving.get_registered_object(registered) is None:
                raise KerasModelError(
                    f"the model uses class {registered!r}, which Keras does not know: give the module that "
                    f"defines it with --custom-objects MODULE (imported: your own code), or build the model "
                    f"with --keras module:function"
                )


def custom_classes(modules: Sequence[str]) -> dict[str, Any]:
    """The classes and functions of the user's modules, by name (importing them registers theirs)."""
    found: dict[str, Any] = {}
    if modules:
        import_keras()  # first, so that a broken TensorFlow is said as such, not as the module's error
    for name in modules:
        module = _import(name)
        found.update({key: value for key, value in vars(module).items() if inspect.isclass(value)})
    return found


def _import(name: str) -> Any:
    try:
        with quiet_import():  # TensorFlow's logs, should the module set off more of them
            return importlib.import_module(name)
    except Exception as error:  # the user's code: anything it raises is theirs to see, in one line
        raise KerasModelError(f"cannot import {name!r}: {reason(error)}") from None


def from_file(path: Path, custom: dict[str, Any], unsafe: bool) -> Any:
    config = read_config(path)
    keras = import_keras()
    check_classes(config, custom, unsafe)
    try:
        with quiet_stderr(), keras.saving.custom_object_scope(custom):
            if path.suffix.lower() == ".keras":
                return keras.saving.deserialize_keras_object(config, safe_mode=not unsafe)
            # A legacy .h5's config: Keras' own loader for it (load_model reads it so), safe mode as set.
            from keras.src.legacy.saving.saving_utils import model_from_config
            from keras.src.saving.serialization_lib import SafeModeScope

            with SafeModeScope(not unsafe):
                return model_from_config(config, custom_objects=custom)
    except Exception as error:  # Keras raises anything for a config it cannot build
        raise KerasModelError(f"{path}: Keras cannot build the model ({reason(error, 200)})") from None


def from_function(spec: str, resolution: tuple[int, ...] | None, include_top: bool) -> Any:
    """``package.module:function``, called with ``weights=None`` when it takes weights (counting needs
    only the architecture), and ``input_shape`` and ``include_top`` when given and it takes them."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise KerasModelError(f"{spec!r}: give a file (.keras, .h5) or module:function")
    import_keras()
    function = getattr(_import(module_name), attribute, None)
    if not callable(function):
        raise KerasModelError(f"{spec}: {module_name} has no callable {attribute!r}")
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        parameters = {}  # type: ignore[assignment]
    wanted = {"weights": None, "input_shape": resolution, "include_top": include_top}
    kwargs = {key: value for key, value in wanted.items() if key in parameters}
    if "input_shape" in kwargs and resolution is None:
        del kwargs["input_shape"]
    if not include_top and "include_top" not in parameters:
        raise KerasModelError(f"{spec} takes no include_top: --no-top needs a function that does")
    try:
        with quiet_stderr():
            return function(**kwargs)
    except Exception as error:  # the user's builder
        raise KerasModelError(f"{spec}({', '.join(kwargs)}) failed: {reason(error)}") from None


def import_keras() -> Any:
    import_tensorflow("--keras")
    import keras

    return keras


def is_file(source: str) -> bool:
    """Whether a ``--keras`` SOURCE is a file (else ``module:function``)."""
    return Path(source).suffix.lower() in SUFFIXES or os.path.exists(source) or ":" not in source


def load(
    source: str, custom: dict[str, Any], unsafe: bool, resolution: tuple[int, ...] | None, include_top: bool
) -> Any:
    """The model a ``--keras`` SOURCE names."""
    path = Path(source)
    if is_file(source):
        if not include_top:
            raise KerasModelError(f"{source}: --no-top is for module:function; a file's model is as saved")
        return from_file(path, custom, unsafe)
    return from_function(source, resolution, include_top)


def keras_network(
    model: Any,
    path: str,
    settings: Settings | None = None,
    shapes: Sequence[tuple[int, ...]] | None = None,
) -> NetworkCost:
    """Walk and cost a ``keras.Model`` (``shapes``: its inputs' sizes, where it leaves them open)."""
    keras = import_keras()
    if not isinstance(model, keras.Model):
        raise KerasModelError(f"{path}: gives a {type(model).__name__}, not a keras.Model")
    sizes = input_shapes(model, shapes)
    notes: tuple[str, ...] = ()
    unseen = 0
    try:
        with quiet_stderr():
            if not is_graph(model):  # subclassed, or a Sequential not yet built
                subclassed.build(model, keras, sizes)
            if is_graph(model):
                steps = walk(model, keras, sizes)
            else:
                steps, notes, unseen = subclassed.walk_calls(model, keras, sizes)
    except MobicalcError:
        raise
    except Exception as error:  # a shape the model's layers refuse
        raise KerasModelError(
            f"{path}: the model cannot run at input {' and '.join('x'.join(map(str, s)) for s in sizes)} "
            f"({reason(error)})"
        ) from None
    first = sizes[0]
    image = len(first) == 3
    resolution = (first[0] if first[0] == first[1] else (first[0], first[1])) if image else 1
    described = GraphModel(
        model.name, f"Keras model ({type(model).__name__})", path, resolution, first[-1] if first else 1,
        tuple(sizes), notes, unseen,
    )  # fmt: skip
    # The walk's input sizes are the model's: the settings' own apply to tables.
    settings = dataclasses.replace(settings or Settings(), resolution=None, input_channels=None)
    return graph_cost(described, steps, settings)


def keras_model(
    model: Any,
    *,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_shapes: Sequence[tuple[int, ...]] | None = None,
    resolution: Any = None,
    input_channels: int | None = None,
    include_top: bool = True,
) -> tuple[Any, str, Sequence[tuple[int, ...]] | None]:
    """The ``keras.Model`` a source names (built at ``resolution`` when it is ``module:function``), where
    it comes from, and the sizes to walk it at (None: its own). The arguments are ``keras_cost``'s."""
    if resolution is not None and input_shapes is not None:
        raise KerasModelError("give --resolution or --input-shape, not both")
    image = _image(resolution, input_channels)
    if isinstance(model, str | Path):
        path = str(model)
        model = load(path, custom_classes(custom_objects), unsafe, image, include_top)
    else:
        path = "keras.Model object"
    return model, path, sized(model, path, image, input_shapes)


def _image(resolution: Resolution | None, input_channels: int | None) -> tuple[int, int, int] | None:
    """An image input's (height, width, channels) for ``resolution``: 3 channels unless given."""
    if resolution is None:
        return None
    return (*input_size(resolution), input_channels or 3)


def sized(
    model: Any, path: str, image: tuple[int, int, int] | None, shapes: Sequence[tuple[int, ...]] | None
) -> Sequence[tuple[int, ...]] | None:
    """The sizes to walk ``model`` at: its first input at ``image`` (height, width, channels), else
    ``shapes``; the input's own channels stand when it has them."""
    if image is None:
        return shapes
    keras = import_keras()
    inputs = declared(model) if isinstance(model, keras.Model) else None
    if inputs is None:  # a subclassed model not yet built: the size given is its
        return [image]
    own = inputs[0].shape if inputs else ()
    if len(own) != 3:
        raise KerasModelError(f"{path}: --resolution is for an image input (3 axes); give --input-shape")
    return [(image[0], image[1], own[2] or image[2])]


def keras_at(
    source: Any,
    *,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_channels: int | None = None,
    include_top: bool = True,
    dtype: str = "float32",
    convention: str = "keras",
) -> Callable[[Any], NetworkCost]:
    """A Keras model's cost at any input size (``resolution``: a number, (height, width), or None for
    its own), as ``keras_cost`` gives it: ``module:function`` is built again at each size (its layers
    may depend on it, as keras.applications' padding does, and its name: mobilenetv2_1.00_96), so each
    size's model is named as the source, the same at every size; a file is read once and walked at each."""
    if isinstance(source, str) and not is_file(source):

        def built(resolution: Any) -> NetworkCost:
            import_keras().backend.clear_session()  # the model built at the previous size
            network = keras_cost(
                source, resolution=resolution, input_channels=input_channels, include_top=include_top,
                dtype=dtype, convention=convention,
            )  # fmt: skip
            return dataclasses.replace(network, architecture=network.architecture._replace(name=source))

        return built
    model, path, _ = keras_model(
        source, custom_objects=custom_objects, unsafe=unsafe, include_top=include_top
    )
    settings = Settings(dtype=dtype, convention=conventions.get(convention))

    def walked(resolution: Any) -> NetworkCost:
        return keras_network(
            model, path, settings, sized(model, path, _image(resolution, input_channels), None)
        )

    return walked


def keras_cost(
    model: Any,
    *,
    custom_objects: Sequence[str] = (),
    unsafe: bool = False,
    input_shapes: Sequence[tuple[int, ...]] | None = None,
    resolution: Any = None,
    input_channels: int | None = None,
    include_top: bool = True,
    dtype: str = "float32",
    convention: str = "keras",
) -> NetworkCost:
    """Cost a Keras model: a ``keras.Model``, a ``.keras``/``.h5`` path, or ``module:function``.

    ``resolution`` (``224`` or ``(height, width)``) sizes the first input of an image model, with
    ``input_channels`` for a builder (default 3); ``input_shapes`` sizes every input, any rank.
    """
    settings = Settings(dtype=dtype, convention=conventions.get(convention))
    loaded, path, shapes = keras_model(
        model, custom_objects=custom_objects, unsafe=unsafe, input_shapes=input_shapes,
        resolution=resolution, input_channels=input_channels, include_top=include_top,
    )  # fmt: skip
    return keras_network(loaded, path, settings, shapes)
