"""From table rows to concrete layers: channels, shapes, strides, padding.

This is the one place that decides what the real network looks like at a given
width, resolution and class count. The cost formulas and the TensorFlow builder
both read the layers it produces, so they cannot disagree on the network.

It works in three stages, so that a sweep over widths and resolutions is only
arithmetic: ``skeleton`` walks the rows once per table (each operator's walk
function gives its layers' blueprints: names, kinds, kernels, strides, and how
each layer's channels follow from the width); ``channel_counts`` gives the
channels at one width; ``spatial_sizes`` the sizes at one resolution.
``place`` joins them into the layer records, each naming the layers it reads.
"""

from fractions import Fraction

from mobicalc.errors import NetworkError
from mobicalc.model.architecture import Architecture
from mobicalc.model.kinds import KINDS, Spatial
from mobicalc.model.layers import (
    IMAGE,
    Layer,
    Resolution,
    Shape,
    Size,
    input_size,
    output_size,
    resolution_text,
    square,
)
from mobicalc.model.operators import OPERATORS, Blueprint, Channels, Source, Walk
from mobicalc.model.rounding import KERAS, Count, scale_channels
from mobicalc.numbers import significant


def skeleton(architecture: Architecture, include_top: bool = True) -> tuple[Blueprint, ...]:
    """The layers of a table, before width and resolution: the same for every alpha and size."""
    walk = Walk(architecture)
    rows = list(architecture.rows)
    if not include_top:
        while rows and rows[-1].top:
            rows.pop()
        if not rows:
            raise NetworkError(
                f"{architecture.name} has only pool and classifier rows: --no-top leaves nothing"
            )
    for row in rows:
        # Stride and padding apply to the first repeat; the others keep the size.
        OPERATORS[row.operator].walk(walk, row, row.layer_names(0), row.s, row.padding)
        for repeat in range(1, row.n):
            OPERATORS[row.operator].walk(walk, row, row.layer_names(repeat), 1, "same")
    return tuple(walk.blueprints)


def channel_counts(
    blueprints: tuple[Blueprint, ...],
    architecture: Architecture,
    alpha: Fraction,
    classes: int | None,
    rounding: str,
    min_depth: int = 0,
    *,
    input_channels: int | None = None,
    depth_multiplier: int = 1,
    scale_fixed: bool = False,
) -> tuple[tuple[Count, ...], tuple[bool, ...]]:
    """Each layer's output channels at width ``alpha``, and whether the layer is there at all.

    Only an add layer can be absent: when its block does not keep its channels. A width-scaled
    layer keeps at least ``min_depth`` channels (slim's ``min_depth``). ``input_channels``: the
    input's (None: the table's); a depthwise layer gives ``depth_multiplier`` channels per input channel.
    ``scale_fixed``: rows the table keeps fixed are scaled by alpha too (slim scales every layer).
    """
    grown = alpha if alpha > 1 else Fraction(1)  # grow-only rows: alpha only above 1
    policy = None if rounding == KERAS else rounding
    classes = classes or architecture.classes
    channels: list[Count] = []
    present: list[bool] = []
    scaled: dict[Channels, Count] = {}  # a row's repeats share their channels: round once
    image: Count = input_channels or architecture.input_channels
    current = image
    for blueprint in blueprints:
        source, number, rule, grow_only, per = blueprint.channels
        if source is Source.RECEIVED:
            out = current
        elif source is Source.MULTIPLIER:
            out = depth_multiplier * current
        elif source is Source.RELATIVE:  # Keras: _depth(in_channels * ratio), the ratio a float
            out = scale_channels(current, Fraction(number, per), policy or rule)  # type: ignore[arg-type]
            if out < 1:
                raise NetworkError(
                    f"layer {blueprint.template.name}: alpha {significant(alpha):g} leaves "
                    f"{significant(out):g} channels; a layer needs at least 1, use a larger --alpha"
                )
        elif source is Source.SAME_AS:
            out = channels[number]
        elif source is Source.SCALED or (source is Source.FIXED and scale_fixed):
            out = scaled.get(blueprint.channels, 0)
            if not out:
                rule = policy or rule
                out = scale_channels(number, grown if grow_only else alpha, rule)
                out = scaled[blueprint.channels] = max(out, min_depth) if min_depth else out
                if out < 1:  # under exact rounding too: less than one channel is no layer
                    raise NetworkError(
                        f"layer {blueprint.template.name}: alpha {significant(alpha):g} leaves "
                        f"{significant(out):g} channels ({number} x alpha, rounded by {rule!r}); "
                        "a layer needs at least 1, use a larger --alpha"
                    )
        elif source is Source.TIMES:
            out = number * current
        elif source is Source.FIXED:
            out = number
        else:
            out = classes
        if blueprint.shortcut_at is None:
            present.append(True)
        else:
            shortcut = blueprint.shortcut_at
            present.append(current == (channels[shortcut] if shortcut >= 0 else image))
        channels.append(out)
        current = out
    return tuple(channels), tuple(present)


def depth_multiplier(architecture: Architecture, given: int | None) -> int:
    """The depth multiplier ``given``, else the table's; refused for a table of bottleneck rows.

    keras.applications.MobileNet takes a ``depth_multiplier`` for its separable blocks; an inverted
    residual widens its depthwise layer by the expansion ``t`` instead (MobileNetV2 and V3 take none).
    """
    multiplier = given or architecture.depth_multiplier
    if multiplier != 1 and any(OPERATORS[row.operator].widens_depthwise for row in architecture.rows):
        raise NetworkError(
            f"depth multiplier {multiplier}: {architecture.name} has bottleneck rows, whose depthwise "
            "layers are widened by the expansion t instead (keras.applications.MobileNetV2 and V3 take no "
            "depth_multiplier); it applies to separable and depthwise rows (MobileNetV1)"
        )
    return multiplier


def spatial_sizes(
    blueprints: tuple[Blueprint, ...], resolution: Resolution, architecture: Architecture
) -> tuple[Size, ...]:
    """Each layer's output (height, width) for an input of ``resolution`` (a number: square).

    Height and width follow the same rule, each on its own axis.
    """
    sizes: list[Size] = []
    source = size = input_size(resolution)
    given = resolution if isinstance(resolution, int) else resolution_text(resolution)
    # Looked up once: this loop runs for every layer of every resolution of a sweep.
    global_, broadcast, vector = Spatial.GLOBAL, Spatial.BROADCAST, Spatial.VECTOR
    spatial_of = {name: kind.spatial for name, kind in KINDS.items()}
    for blueprint in blueprints:
        layer = blueprint.template
        spatial = spatial_of[layer.kind]
        if spatial is global_:
            out = Size(1, 1)
        elif spatial is broadcast:  # back to the size of the map it scales
            shortcut = blueprint.shortcut_at
            out = source if shortcut is None or shortcut < 0 else sizes[shortcut]
        elif spatial is vector and size != (1, 1):
            raise NetworkError(
                f"layer {layer.name}: needs a 1x1 input (put a pool row before it), "
                f"got {resolution_text(size)}"
            )
        elif layer.padding == "same":  # the common case, inline: -(-side // stride) is ceil(side / stride)
            stride = square(layer.stride)
            out = Size(-(-size[0] // stride), -(-size[1] // stride))
        else:
            kernel, stride, padding = square(layer.kernel), square(layer.stride), layer.padding
            out = Size(
                output_size(size[0], kernel, stride, padding), output_size(size[1], kernel, stride, padding)
            )
        if out[0] < 1 or out[1] < 1:
            raise NetworkError(
                f"layer {layer.name}: a {resolution_text(size)} input with {layer.kernel}x{layer.kernel} "
                f"kernel, stride {layer.stride} and padding {layer.padding!r} leaves no pixels; "
                f"resolution {given} is too small for {architecture.name}"
            )
        sizes.append(out)
        size = out
    return tuple(sizes)


def place(
    blueprints: tuple[Blueprint, ...],
    input_shape: Shape,
    channels: tuple[Count, ...],
    present: tuple[bool, ...],
    sizes: tuple[Size, ...],
) -> tuple[Layer, ...]:
    """The layers that are there, with channels and sizes (a global pool's kernel is its input)."""
    layers = []
    before = input_shape
    names: list[str] = []  # at each blueprint, the name of the latest layer that is there
    for blueprint, out_channels, there, out in zip(blueprints, channels, present, sizes, strict=True):
        layer = blueprint.template
        if not there:  # an add that is not there passes its input on unchanged
            names.append(names[-1] if names else IMAGE)
            continue
        after = Shape(out.height, out.width, out_channels)
        kernel = before.height if KINDS[layer.kind].spatial is Spatial.GLOBAL else layer.kernel
        index = blueprint.shortcut_at
        previous = names[-1] if names else IMAGE
        reads = (previous,) if index is None else (names[index] if index >= 0 else IMAGE, previous)
        layers.append(layer._replace(input=before, output=after, kernel=kernel, reads=reads))
        names.append(layer.name)
        before = after
    return tuple(layers)
