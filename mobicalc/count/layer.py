"""One layer as standard and as depthwise separable convolution: the MobileNet paper's Section 3."""

import math
from dataclasses import dataclass
from fractions import Fraction

from mobicalc.count.costs import Cost, layer_cost
from mobicalc.errors import NetworkError
from mobicalc.model.kinds import STANDARD
from mobicalc.model.layers import Layer, Shape
from mobicalc.model.rounding import KERAS, Count, scale_channels
from mobicalc.numbers import significant


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
        if value < 1:  # under exact rounding too: less than one channel is no layer
            raise NetworkError(
                f"{what} is {significant(value):g}: a layer needs at least 1 channel and 1 pixel; "
                "use a larger alpha or rho"
            )
    source = Shape(size, size, in_channels)
    depthwise = Layer("depthwise", "depthwise", source, source, kernel=dk)
    pointwise = Layer("pointwise", "pointwise", source, source._replace(channels=out_channels))
    standard = Layer("standard", STANDARD, source, pointwise.output, kernel=dk)
    return LayerComparison(
        M=in_channels,
        N=out_channels,
        dk=dk,
        dp=size,
        standard=layer_cost(standard),
        depthwise=layer_cost(depthwise),
        pointwise=layer_cost(pointwise),
    )
