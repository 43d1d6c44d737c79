"""The standard-convolution network: every depthwise separable pair made one full convolution.

This is the network whose costs ``NetworkCost.standard`` adds up (the MobileNet
paper's "Conv MobileNet", Table 4), as layer records that can be built and run:
``mobicalc bench --standard`` times it beside the separable network.
"""

from collections.abc import Sequence

from mobicalc.errors import NetworkError
from mobicalc.model.kinds import KINDS, STANDARD, Counterpart
from mobicalc.model.layers import Layer


def standard_layers(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """``layers`` with each depthwise layer and the pointwise layer that completes it as one standard
    convolution, every other layer as it is.

    The convolution has the depthwise layer's name, kernel, stride, padding and input, and the
    pointwise layer's output channels, bias, batch-norm and activation; layers that read the pointwise
    layer read it instead. A depthwise layer that no pointwise layer completes becomes a full
    convolution to its own output channels. A NetworkError when another layer reads a depthwise
    layer that a pointwise layer completes (MobileNetV3's squeeze-and-excite between the two): what
    it reads is inside the one convolution, so that network cannot be built.
    """
    partners = {layer.pair: layer for layer in layers if layer.pair is not None}
    for layer in layers:
        inside = [name for name in layer.reads if name in partners and partners[name] is not layer]
        if inside:
            raise NetworkError(
                f"the standard-convolution network cannot be built: layer {layer.name} reads the output "
                f"of depthwise layer {inside[0]}, which it would merge with {partners[inside[0]].name} "
                "into one convolution (a block between the pair, such as squeeze-and-excite)"
            )
    renamed: dict[str, str] = {}
    result = []
    for layer in layers:
        if layer.pair is not None and layer.pair in renamed.values():
            continue  # the pointwise half: inside the convolution made at its depthwise layer
        reads = tuple(renamed.get(name, name) for name in layer.reads)
        if KINDS[layer.kind].counterpart is not Counterpart.PAIR:
            result.append(layer._replace(reads=reads))
            continue
        partner = partners.get(layer.name, layer)
        renamed[partner.name] = layer.name
        result.append(
            layer._replace(
                kind=STANDARD,
                output=partner.output,
                bias=partner.bias,
                batch_norm=partner.batch_norm,
                activation=partner.activation,
                reads=reads,
            )
        )
    return tuple(result)
