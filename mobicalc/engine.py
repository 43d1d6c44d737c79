"""The analytic cost engine: per-layer records, and everything derived from them.

Pure arithmetic over plain dataclasses: no I/O, no Click, no Rich, no
TensorFlow. Every total, share and breakdown is derived from the per-layer
records, never kept separately.
"""

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from mobicalc.architecture import Architecture, load
from mobicalc.costs import Cost, layer_cost
from mobicalc.network import Layer, NetworkError, Settings, Shape, build_layers
from mobicalc.rounding import KERAS, Count, scale_channels

KINDS = ("conv", "depthwise", "pointwise", "dense", "pool", "add")


class LayerRecord(NamedTuple):
    """One layer, what it costs, and what it would cost as a standard convolution.

    In a depthwise separable pair the depthwise record carries the whole pair's
    standard counterpart (one full Dk x Dk convolution from its input channels
    to the pointwise layer's output channels) and the pointwise record carries
    nothing, so the standard column adds up to the paper's "Conv MobileNet".
    """

    layer: Layer
    cost: Cost
    standard: Cost


@dataclass(frozen=True)
class NetworkCost:
    """A whole network's per-layer records under one set of settings."""

    architecture: Architecture
    settings: Settings
    records: tuple[LayerRecord, ...]

    @cached_property
    def totals(self) -> Cost:
        return Cost(*map(sum, zip(*(record.cost for record in self.records), strict=True)))

    @cached_property
    def standard(self) -> Cost:
        """The same network with every separable pair made one standard convolution."""
        return Cost(*map(sum, zip(*(record.standard for record in self.records), strict=True)))

    @property
    def macs(self) -> Count:
        return self.totals.macs

    @property
    def params(self) -> Count:
        return self.totals.params

    @property
    def resolution(self) -> int:
        return self.records[0].layer.input.height

    @property
    def classes(self) -> int | None:
        last = self.records[-1].layer
        return last.output.channels if last.kind == "dense" else None

    def breakdown(self) -> dict[str, Cost]:
        """Totals by layer kind, for the kinds that occur, in a fixed order."""
        by_kind: dict[str, Cost] = {}
        for record in self.records:
            by_kind[record.layer.kind] = by_kind.get(record.layer.kind, Cost()) + record.cost
        return {kind: by_kind[kind] for kind in KINDS if kind in by_kind}


def standard_counterparts(layers: tuple[Layer, ...]) -> list[Layer | None]:
    """The standard convolution each layer stands for (None: part of a pair above)."""
    partner = {layer.pair: layer for layer in layers if layer.pair}
    counterparts: list[Layer | None] = []
    for layer in layers:
        if layer.pair:
            counterparts.append(None)
        elif layer.kind == "depthwise":
            pointwise = partner.get(layer.name, layer)
            counterparts.append(
                layer._replace(
                    kind="conv",
                    output=layer.output._replace(channels=pointwise.output.channels),
                    bias=pointwise.bias,
                    batch_norm=pointwise.batch_norm,
                )
            )
        else:
            counterparts.append(layer)
    return counterparts


def network_cost(architecture: Architecture | str | Path, settings: Settings | None = None) -> NetworkCost:
    """Cost a built-in table (``"v1"``, ``"v2"``), a table file, or a loaded table."""
    if not isinstance(architecture, Architecture):
        architecture = load(architecture)
    settings = settings or Settings()
    layers = build_layers(architecture, settings)
    records = []
    for layer, standard in zip(layers, standard_counterparts(layers), strict=True):
        cost = layer_cost(layer)
        standard_cost = cost if standard is layer else layer_cost(standard) if standard else Cost()
        records.append(LayerRecord(layer, cost, standard_cost))
    return NetworkCost(architecture, settings, tuple(records))


@dataclass(frozen=True)
class LayerComparison:
    """One layer as standard convolution and as depthwise separable convolution.

    Parameters here are kernel weights only (no bias, no batch-norm), as in the
    MobileNet paper's Table 3.
    """

    M: Count
    N: Count
    dk: int
    dp: int
    standard: Cost
    depthwise: Cost
    pointwise: Cost

    @property
    def separable(self) -> Cost:
        return self.depthwise + self.pointwise

    @property
    def ratio(self) -> Fraction:
        """Separable over standard MACs; algebraically 1/N + 1/Dk^2."""
        return Fraction(self.separable.macs) / Fraction(self.standard.macs)

    @property
    def params_ratio(self) -> Fraction:
        return Fraction(self.separable.params) / Fraction(self.standard.params)

    @property
    def closed_form(self) -> Fraction:
        return 1 / Fraction(self.N) + Fraction(1, self.dk * self.dk)


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves up (the paper's 14 x 0.714 = 9.996 -> 10)."""
    return math.floor(value + Fraction(1, 2))


def compare_layer(
    N: int,
    dk: int,
    M: int | None = None,
    dp: int = 1,
    alpha: Fraction = Fraction(1),
    rho: Fraction = Fraction(1),
    rounding: str = KERAS,
) -> LayerComparison:
    """Standard vs depthwise separable convolution for one layer (paper Section 3).

    ``M`` defaults to ``N``; ``dp`` (output size) to 1, i.e. costs per output
    pixel. ``alpha`` scales M and N (rounded by ``rounding``; ``keras`` means
    ``int``, as MobileNetV1), ``rho`` scales Dp, rounded to the nearest integer.
    """
    rule = "int" if rounding == KERAS else rounding
    in_channels = scale_channels(N if M is None else M, alpha, rule)
    out_channels = scale_channels(N, alpha, rule)
    size = round_half_up(rho * dp)
    for what, value in (("alpha x M", in_channels), ("alpha x N", out_channels), ("rho x Dp", size)):
        if value <= 0:
            raise NetworkError(f"{what} is {value}: no layer is left; use a larger alpha or rho")
    source = Shape(size, size, in_channels)
    depthwise = Layer("depthwise", "depthwise", source, source, kernel=dk)
    pointwise = Layer("pointwise", "pointwise", source, source._replace(channels=out_channels))
    standard = Layer("standard", "conv", source, pointwise.output, kernel=dk)
    return LayerComparison(
        M=in_channels,
        N=out_channels,
        dk=dk,
        dp=size,
        standard=layer_cost(standard),
        depthwise=layer_cost(depthwise),
        pointwise=layer_cost(pointwise),
    )
