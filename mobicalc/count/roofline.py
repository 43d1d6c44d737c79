"""Arithmetic intensity and the roofline: an estimate of a layer's time from its MACs and its bytes.

Pure arithmetic, no measurement. A layer moves its weights (kernel and bias), every
tensor it reads and the tensor it writes, each value once, at the dtype's bytes per
value (batch-norm's per-channel values are left out: at inference they fold into
the weights). Its arithmetic intensity is MACs per byte moved. On a machine of
``peak_gflops`` (FLOPs: 2 per MAC) and ``bandwidth_gbs`` (bytes per second from
memory, in GB/s), the roofline puts its time at the larger of the two bounds,
2 x MACs / peak and bytes / bandwidth.

What it cannot say: on a CPU at batch 1 a depthwise layer is slower than either
bound by 5 to 20 times (per-layer overhead, and kernels that do not reach the
machine's peak on so little work), which is what ``mobicalc bench`` measures. The
estimate ranks layers; it does not replace a measurement (docs/bench.md).
"""

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from mobicalc.count.arguments import real
from mobicalc.count.costs import Cost
from mobicalc.count.memory import elements
from mobicalc.count.settings import bytes_per_value
from mobicalc.errors import NetworkError
from mobicalc.model.layers import IMAGE, Layer
from mobicalc.model.rounding import Count

if TYPE_CHECKING:
    from mobicalc.count.network import NetworkCost

GIGA = 10**9


def moved_values(layers: Sequence[Layer], costs: Sequence[Cost]) -> tuple[Count, ...]:
    """Per layer, the values it reads and writes once each: weights and bias, its inputs, its output.

    A shared layer's later call reads the weights its first call's cost counts (``Layer.shares``): its
    own cost has none, as parameters are counted once, but every call moves them.
    """
    outputs = {layer.name: layer.output for layer in layers}
    owners = {layer.name: cost for layer, cost in zip(layers, costs, strict=True) if layer.shares is None}
    image = layers[0].input if layers else None
    moved = []
    for layer, cost in zip(layers, costs, strict=True):
        owner = cost if layer.shares is None else owners[layer.shares]
        inputs = [image if name == IMAGE else outputs[name] for name in layer.reads] or [layer.input]
        moved.append(
            owner.weights + owner.bias + sum(elements(shape) for shape in inputs if shape is not None)
            + elements(layer.output)
        )  # fmt: skip
    return tuple(moved)


def intensity(macs: Count, moved_bytes: Count) -> Fraction | None:
    """MACs per byte moved; None for a layer that moves nothing."""
    return Fraction(macs) / Fraction(moved_bytes) if moved_bytes else None


class Machine(NamedTuple):
    """A machine as the roofline sees it."""

    peak_gflops: Fraction
    """Peak arithmetic, in GFLOP/s (10**9 FLOPs a second, 2 FLOPs per MAC)."""
    bandwidth_gbs: Fraction
    """Memory bandwidth, in GB/s (10**9 bytes a second)."""

    @property
    def balance(self) -> Fraction:
        """The intensity (MACs per byte) above which a layer is bound by compute, not memory."""
        return self.peak_gflops / 2 / self.bandwidth_gbs


class Estimate(NamedTuple):
    compute_seconds: Fraction
    """2 x MACs at the peak."""
    memory_seconds: Fraction
    """The bytes moved at the bandwidth."""

    @property
    def seconds(self) -> Fraction:
        return max(self.compute_seconds, self.memory_seconds)

    @property
    def bound(self) -> str:
        """What limits the layer on the roofline: "compute" or "memory"."""
        return "compute" if self.compute_seconds >= self.memory_seconds else "memory"


def estimate(macs: Count, moved_bytes: Count, machine: Machine) -> Estimate:
    """The roofline time of ``macs`` MACs moving ``moved_bytes`` bytes on ``machine``."""
    return Estimate(
        Fraction(2 * macs) / (machine.peak_gflops * GIGA),
        Fraction(moved_bytes) / (machine.bandwidth_gbs * GIGA),
    )


class LayerRoofline(NamedTuple):
    """One layer's arithmetic intensity and, on a machine, its roofline time."""

    name: str
    macs: Count
    moved_bytes: Count
    """Its weights and bias, inputs and output, at the network's dtype."""
    intensity: Fraction | None
    estimate: Estimate | None
    """None without a machine."""


def roofline(
    network: "NetworkCost", peak_gflops: Any = None, bandwidth_gbs: Any = None
) -> tuple[LayerRoofline, ...]:
    """Each layer's intensity at the network's dtype; with ``peak_gflops`` and ``bandwidth_gbs`` (the
    machine, both or neither; numbers as written, ``"25.6"`` is exactly 25.6), its roofline time.
    ``mobicalc table --roofline`` shows the same."""
    from mobicalc.count.network import NetworkCost as Network  # a cycle if imported at the top

    if not isinstance(network, Network):
        raise NetworkError(f"roofline takes a network (mobicalc.cost's), not {network!r}")
    if (peak_gflops is None) != (bandwidth_gbs is None):
        raise NetworkError("a roofline machine needs both peak_gflops and bandwidth_gbs")
    machine = None
    if peak_gflops is not None:
        machine = Machine(real(peak_gflops, "peak_gflops"), real(bandwidth_gbs, "bandwidth_gbs"))
    values = bytes_per_value(network.settings.dtype)
    costs = [record.cost for record in network.records]
    return tuple(
        LayerRoofline(
            layer.name,
            cost.macs,
            moved * values,
            intensity(cost.macs, moved * values),
            estimate(cost.macs, moved * values, machine) if machine is not None else None,
        )
        for layer, cost, moved in zip(network.layers, costs, moved_values(network.layers, costs), strict=True)
    )
