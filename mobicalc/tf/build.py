"""Keras models for the engine's layers: one built from the records, and keras.applications' own."""

from typing import Any

from mobicalc.count.network import MINIMALISTIC, NetworkCost
from mobicalc.model.kinds import ACTIVATIONS, KINDS
from mobicalc.model.layers import IMAGE, Layer
from mobicalc.tf.runtime import import_tensorflow

REFERENCE = {
    "v1": "MobileNet",
    "v2": "MobileNetV2",
    "v3-large": "MobileNetV3Large",
    "v3-small": "MobileNetV3Small",
}
VARIANTS = {MINIMALISTIC: {"minimalistic": True}}
"""The arguments keras.applications' constructors take for each variant of a built-in table."""
KERAS_MIN_RESOLUTION = 32  # keras.applications refuses smaller inputs


class _Recorder:
    """``keras.layers`` that notes every layer made through it: so each Keras layer is known to belong
    to the engine layer it was made for (a batch-norm, an activation, a padding, a dense layer's
    flatten), whatever Keras names it."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.made: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._module, name)
        if not isinstance(attribute, type):
            return attribute

        def make(*args: Any, **kwargs: Any) -> Any:
            layer = attribute(*args, **kwargs)
            self.made.append(layer)
            return layer

        return make


def build_model(layers: tuple[Layer, ...], name: str = "mobicalc") -> Any:
    """A tf.keras model of the engine's layers: the one builder for every table (``build_network``)."""
    return build_network(layers, name)[0]


def build_network(layers: tuple[Layer, ...], name: str = "mobicalc") -> tuple[Any, dict[str, str]]:
    """A tf.keras model of the engine's layers, and the engine layer each of its Keras layers belongs
    to (by the Keras layer's name).

    Keras layers take the engine's names (batch-norm ``NAME_bn``, activation
    ``NAME_act``, explicit padding ``NAME_pad``), so the two map one to one. A
    helper layer whose name a table gave to a layer of its own gets a ``_2``.
    """
    import_tensorflow()
    import keras

    first = layers[0].input
    inputs = keras.Input((first.height, first.width, first.channels), batch_size=1, name=IMAGE)
    outputs = {IMAGE: inputs}
    taken = {IMAGE, *(layer.name for layer in layers)}
    recorder = _Recorder(keras.layers)
    owners: dict[str, str] = {}

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
        recorder.made.clear()
        tensors = [outputs[name] for name in layer.reads]  # the graph's edges
        x = tensors[0] if len(tensors) == 1 else tensors
        record = layer
        if isinstance(layer.padding, tuple):
            x = recorder.ZeroPadding2D((layer.padding, layer.padding), name=helper(layer, "pad"))(x)
            layer = layer._replace(padding="valid")
        x = KINDS[layer.kind].build(recorder, layer, x)
        if layer.batch_norm:
            x = recorder.BatchNormalization(name=helper(layer, "bn"))(x)
        if layer.activation is not None:
            x = ACTIVATIONS[layer.activation].build(recorder, helper(layer, "act"))(x)
        outputs[layer.name] = x
        owners.update({made.name: record.name for made in recorder.made})
    return keras.Model(inputs, x, name=name), owners


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
