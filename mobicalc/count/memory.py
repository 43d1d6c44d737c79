"""Memory: activation sizes, peak working memory and model size, from the placed layers.

Pure arithmetic over the engine's layers: no I/O, no Click, no Rich, no
TensorFlow. Every figure is at batch 1, in bytes at one dtype (``DTYPES``):
activations and weights alike take that many bytes per element.

A tensor is one layer's output (batch-norm and activations run in place inside
the layer that owns them, and zero-padding is part of the convolution that
follows it, so neither has a tensor of its own); the input image is the first
layer's input. A graph (a Keras model) has such layers as layers of their own:
a layer whose kind works in place (``Kind.in_place``: batch-norm, activations,
dropout, reshapes, padding; an add or multiply whose inputs are all one
tensor, as MobileNetV3's hard-swish ``x * relu6(x + 3) / 6``) writes no tensor,
and whoever reads it reads the tensor it works on (``materialised``), so a
Keras model and the table of the same network hold the same memory. Which
layers read a tensor comes from the records' ``reads`` (the graph's edges): a
tensor is live from the layer that writes it until the
last layer that reads it has run. Two models of execution:

``sequential``
    Layers run one at a time, in the records' order. While a layer runs, memory
    holds its input tensor(s), its output tensor, and every earlier tensor that
    a later layer still needs (a residual block's input, until its add). A
    residual add holds its two inputs and its output. A layer's working set is
    the sum of those; the peak is the largest working set, at ``peak_layer``.

``streamed``
    MobileNetV2's Section 5.1 ("memory efficient inference"): in a bottleneck
    ``F(x) = [A o N o B] x`` the expanded tensors are computed a slice of
    channels at a time and never held whole. Here a streamed block is a
    depthwise layer with the pointwise layer that completes it, plus the 1x1
    expansion right before it (a 1x1 convolution completing no pair) and the
    residual add right after it (adding the block's input), when no other layer
    needs the tensors inside (kinds declare these parts: ``Kind.streaming``).
    Such a block holds only its input and its output (the add is accumulated into the output); the paper's
    constant-size buffer for one slice, O(max(s^2, s'^2)), is left out, as the
    paper leaves it out. Every other layer runs as in ``sequential``.

``forward_pass_bytes`` is torchinfo's "Forward/backward pass size" for the same
network built as torchvision builds it (a convolution, its batch-norm and its
activation as separate modules): torchinfo sums the output bytes of every
layer module that has parameters (each convolution and each batch-norm, the
classifier; not activations, pooling, rescaling or functional adds and
multiplies), times 2 "for gradients". See docs/memory.md.
"""

import operator
from collections.abc import Sequence
from typing import NamedTuple

from mobicalc.count.settings import bytes_per_value
from mobicalc.model.kinds import Counterpart, InPlace, Streaming, kind_of
from mobicalc.model.layers import IMAGE as IMAGE_NAME
from mobicalc.model.layers import Layer, Tensor
from mobicalc.model.rounding import Count

IMAGE = -1
"""The tensor id of the network's input image; every other tensor is its layer's index."""


def elements(shape: Tensor) -> Count:
    """The number of values in a tensor of ``shape`` (batch 1)."""
    return shape.height * shape.width * shape.channels


class Stage(NamedTuple):
    """One unit of execution: the layers it runs, the tensors it reads, the tensor it writes."""

    layers: tuple[int, ...]
    inputs: tuple[int, ...]
    output: int


def _inputs(layers: Sequence[Layer]) -> list[tuple[int, ...]]:
    """Each layer's input tensors (ids): the layers its ``reads`` name, in the order they run."""
    position = {IMAGE_NAME: IMAGE}
    inputs = []
    for index, layer in enumerate(layers):
        inputs.append(tuple(position[name] for name in layer.reads))
        position[layer.name] = index
    return inputs


def sequential_stages(layers: Sequence[Layer]) -> tuple[Stage, ...]:
    """Every layer its own stage."""
    inputs = _inputs(layers)
    return tuple(Stage((index,), inputs[index], index) for index in range(len(layers)))


def _streaming(layer: Layer) -> Streaming:
    return kind_of(layer.kind).streaming


def streamed_stages(layers: Sequence[Layer]) -> tuple[Stage, ...]:
    """Bottlenecks (expansion, depthwise, projection, add) as one stage each; the rest as layers."""
    inputs = _inputs(layers)
    readers: dict[int, set[int]] = {}
    for reader, tensors in enumerate(inputs):
        for tensor in tensors:
            readers.setdefault(tensor, set()).add(reader)
    stages: list[Stage] = []
    index, count = 0, len(layers)

    def pair_at(i: int) -> bool:
        """A depthwise layer at ``i`` completed by the pointwise layer after it."""
        return (
            i + 1 < count
            and kind_of(layers[i].kind).counterpart is Counterpart.PAIR
            and layers[i + 1].pair == layers[i].name
        )

    while index < count:
        layer = layers[index]
        if _streaming(layer) is Streaming.EXPANSION and layer.pair is None and pair_at(index + 1):
            block = [index, index + 1, index + 2]
        elif pair_at(index):
            block = [index, index + 1]
        else:
            stages.append(Stage((index,), inputs[index], index))
            index += 1
            continue
        source = inputs[block[0]][0]
        after = block[-1] + 1
        if (
            after < count
            and _streaming(layers[after]) is Streaming.RESIDUAL
            and inputs[after] == (source, block[-1])
        ):
            block.append(after)
        inner = block[:-1]
        # A tensor inside the block read from outside it must be materialised: no streaming then.
        if any(readers.get(tensor, set()) - set(block) for tensor in inner):
            stages += [Stage((i,), inputs[i], i) for i in block]
        else:
            stages.append(Stage(tuple(block), (source,), block[-1]))
        index = block[-1] + 1
    return tuple(stages)


def materialised(layers: Sequence[Layer]) -> tuple[list[int], list[Layer]]:
    """The layers that write a tensor of their own (their positions, and the layers with their ``reads``
    naming the tensors they read, past any layer that works in place)."""
    tensor_of = {IMAGE_NAME: IMAGE_NAME}
    positions, kept = [], []
    for position, layer in enumerate(layers):
        tensors = tuple(tensor_of[name] for name in layer.reads)
        mode = kind_of(layer.kind).in_place
        if tensors and (mode is InPlace.ALWAYS or (mode is InPlace.ONE_SOURCE and len(set(tensors)) == 1)):
            tensor_of[layer.name] = tensors[0]
            continue
        tensor_of[layer.name] = layer.name
        positions.append(position)
        kept.append(layer if tensors == layer.reads else layer._replace(reads=tensors))
    return positions, kept


def live_tensors(stages: Sequence[Stage]) -> list[tuple[int, ...]]:
    """The tensors held while each stage runs: its inputs, its output, and the tensors still needed
    later (``IMAGE`` for the input image). A tensor is freed after the last stage that reads it (one
    no stage reads, after the stage that writes it); the image, if no stage reads it, never is."""
    last_use: dict[int, int] = {}
    for position, stage in enumerate(stages):
        for tensor in stage.inputs:
            last_use[tensor] = position
    live: dict[int, None] = {IMAGE: None}  # a set in the order the tensors were written
    result = []
    for position, stage in enumerate(stages):
        result.append((*live, stage.output))
        live[stage.output] = None
        for tensor in (*stage.inputs, stage.output):
            if tensor in live and last_use.get(tensor, position) <= position:
                del live[tensor]
    return result


def written_tensors(layers: Sequence[Layer]) -> tuple[list[int], list[Layer]]:
    """``materialised``; a network of nothing but in-place layers: each its own tensor, rather than none."""
    positions, kept = materialised(layers)
    return (positions, kept) if kept else (list(range(len(layers))), list(layers))


def working_sets(stages: Sequence[Stage], sizes: Sequence[Count], image: Count) -> list[Count]:
    """Elements held while each stage runs (``live_tensors``), given each tensor's ``sizes``."""
    return [
        sum(image if tensor == IMAGE else sizes[tensor] for tensor in held) for held in live_tensors(stages)
    ]


def stage_name(stage: Stage, layers: Sequence[Layer]) -> str:
    """A stage as a person names it: its layer, or its first and last layers (``a..b``)."""
    first, last = layers[stage.layers[0]].name, layers[stage.layers[-1]].name
    return first if len(stage.layers) == 1 else f"{first}..{last}"


class Memory(NamedTuple):
    """A network's memory at one dtype, batch 1; every ``*_bytes`` figure is exact bytes."""

    dtype: str
    bytes_per_element: int
    activation_elements: tuple[Count, ...]
    """Each layer's output elements."""
    working_bytes: tuple[Count, ...]
    """Each layer's sequential working set."""
    input_bytes: Count
    params_bytes: Count
    peak_activation_bytes: Count
    peak_layer: str
    peak_index: int
    """The peak layer's position in the layers (from 0)."""
    peak_streamed_bytes: Count
    peak_streamed_layer: str
    """The streamed stage at the peak: a layer, or a block as ``first..last``."""
    forward_pass_bytes: Count

    @property
    def activation_bytes(self) -> tuple[Count, ...]:
        return tuple(count * self.bytes_per_element for count in self.activation_elements)


def _peak(sets: Sequence[Count]) -> int:
    """The first position of the largest value."""
    return max(range(len(sets)), key=lambda position: (sets[position], -position))


def torchinfo_elements(layer: Layer) -> Count:
    """What torchinfo's forward/backward figure counts for a layer, in elements (before x 2).

    Modules with parameters only: the layer's own output if it has weights, and
    its batch-norm's output again (a module of its own in torchvision).
    """
    modules = kind_of(layer.kind).has_weights + layer.batch_norm
    return elements(layer.output) * modules


def memory(layers: Sequence[Layer], params: Count, dtype: str = "float32") -> Memory:
    """The memory figures of placed ``layers`` (as ``NetworkCost.layers``) with ``params`` weights."""
    size = bytes_per_value(dtype)
    outputs = tuple(elements(layer.output) for layer in layers)
    image = elements(layers[0].input)
    positions, kept = written_tensors(layers)
    written = [outputs[position] for position in positions]
    sequential = working_sets(sequential_stages(kept), written, image)
    streamed_stages_ = streamed_stages(kept)
    streamed = working_sets(streamed_stages_, written, image)
    peak, streamed_peak = _peak(sequential), _peak(streamed)
    # A layer that works in place holds what the layer that wrote its tensor held.
    by_writer = {layer.name: held for layer, held in zip(kept, sequential, strict=True)}
    tensor_of = {IMAGE_NAME: IMAGE_NAME}
    working: list[Count] = []
    for layer in layers:
        in_place = layer.name not in by_writer and layer.reads
        tensor_of[layer.name] = tensor_of[layer.reads[0]] if in_place else layer.name
        working.append(by_writer.get(tensor_of[layer.name], image))
    return Memory(
        dtype=dtype,
        bytes_per_element=size,
        activation_elements=outputs,
        working_bytes=tuple(count * size for count in working),
        input_bytes=image * size,
        params_bytes=params * size,
        peak_activation_bytes=sequential[peak] * size,
        peak_layer=kept[peak].name,
        peak_index=positions[peak],
        peak_streamed_bytes=streamed[streamed_peak] * size,
        peak_streamed_layer=stage_name(streamed_stages_[streamed_peak], kept),
        forward_pass_bytes=2 * size * sum(map(torchinfo_elements, layers)),
    )


class Materialised(NamedTuple):
    """The largest tensor held whole at one spatial size (MobileNetV2 paper, Table 3)."""

    size: int
    layer: str
    channels: Count
    elements: Count


def largest_tensors(layers: Sequence[Layer], streamed: bool = True, skip: int = 0) -> list[Materialised]:
    """Per output size, largest first size first: the largest tensor that is ever held whole.

    ``streamed``: a bottleneck's inner tensors are never held (``streamed_stages``);
    ``skip``: leave out the first ``skip`` layers' outputs (the paper's "trick" for
    the first layer: the stem convolution streamed into the first block).
    """
    stages = streamed_stages(layers) if streamed else sequential_stages(layers)
    best: dict[int, Materialised] = {}
    for stage in stages:
        if stage.output < skip:
            continue
        shape = layers[stage.output].output
        count = elements(shape)
        if shape.height not in best or count > best[shape.height].elements:
            best[shape.height] = Materialised(shape.height, layers[stage.output].name, shape.channels, count)
    return [best[size] for size in sorted(best, reverse=True)]


class PeakTerms(NamedTuple):
    """The peaks of one network (its layers and channels fixed) at any input size, as the largest of a
    few sums of products: per stage, the channels it holds in each class of tensors that share their
    height x width at every size (``peak_terms``). A sweep evaluates them per resolution."""

    sequential: tuple[tuple[Count, ...], ...]
    streamed: tuple[tuple[Count, ...], ...]

    def peaks(self, pixels: Sequence[int]) -> tuple[Count, Count]:
        """The sequential and streamed peaks in elements; ``pixels``: each class's height x width, the
        input image's last."""
        return (
            max(sum(map(operator.mul, terms, pixels)) for terms in self.sequential),
            max(sum(map(operator.mul, terms, pixels)) for terms in self.streamed),
        )


def peak_terms(layers: Sequence[Layer], pixel_class: Sequence[int], classes: int) -> PeakTerms:
    """``PeakTerms`` of placed ``layers`` (as ``memory`` takes them, at any size), ``pixel_class``: each
    layer's class of output sizes, of ``classes`` (the input image is class ``classes``). Exact: a
    working set is a sum of tensors (``live_tensors``), each its channels times its class's pixels; a
    stage whose channels are at most another's in every class is never the only peak, and is left out."""
    positions, kept = written_tensors(layers)
    image_channels = layers[0].input.channels

    def terms(stages: Sequence[Stage]) -> tuple[tuple[Count, ...], ...]:
        found = set()
        for held in live_tensors(stages):
            channels: list[Count] = [0] * (classes + 1)
            for tensor in held:
                if tensor == IMAGE:
                    channels[classes] += image_channels
                else:
                    position = positions[tensor]
                    channels[pixel_class[position]] += layers[position].output.channels
            found.add(tuple(channels))
        kept_terms: list[tuple[Count, ...]] = []
        for candidate in sorted(found, key=sum, reverse=True):
            if not any(all(map(operator.ge, other, candidate)) for other in kept_terms):
                kept_terms.append(candidate)
        return tuple(kept_terms)

    return PeakTerms(terms(sequential_stages(kept)), terms(streamed_stages(kept)))
