"""One layer as standard and as depthwise separable convolution: the MobileNet paper's Section 3."""

import math
from dataclasses import dataclass
from fractions import Fraction

from mobicalc.count import arguments
from mobicalc.count.costs import Cost, layer_cost
from mobicalc.count.settings import rounding as policy
from mobicalc.errors import NetworkError
from mobicalc.model.kinds import STANDARD
from mobicalc.model.layers import IMAGE, Layer, Shape
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

    def layers(self) -> tuple[Layer, Layer, Layer]:
        """The standard, depthwise and pointwise layers as records of a graph, as counted (``_layers``)."""
        return _layers(self.M, self.N, self.dk, self.dp)


def _layers(M: Count, N: Count, dk: int, dp: int) -> tuple[Layer, Layer, Layer]:
    """The standard layer, and the depthwise and pointwise layers of the separable pair: stride 1, "same"
    padding, no bias, batch-norm or activation. The standard and the depthwise layer read the input;
    the pointwise layer reads the depthwise one."""
    source = Shape(dp, dp, M)
    output = source._replace(channels=N)
    return (
        Layer("standard", STANDARD, source, output, kernel=dk, reads=(IMAGE,)),
        Layer("depthwise", "depthwise", source, source, kernel=dk, reads=(IMAGE,)),
        Layer("pointwise", "pointwise", source, output, pair="depthwise", reads=("depthwise",)),
    )


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves up (the paper's 14 x 0.714 = 9.996 -> 10)."""
    return math.floor(value + Fraction(1, 2))


def compare_layer(
    N: int,
    dk: int,
    M: int | None = None,
    dp: int = 1,
    alpha: Fraction | float | str = Fraction(1),
    rho: Fraction | float | str = Fraction(1),
    rounding: str = KERAS,
) -> LayerComparison:
    """Standard vs depthwise separable convolution for one layer (paper Section 3).

    ``M`` defaults to ``N``; ``dp`` (output size) to 1, i.e. costs per output
    pixel. ``alpha`` scales M and N (rounded by ``rounding``; ``keras`` means
    ``int``, as MobileNetV1), ``rho`` scales Dp, rounded to the nearest integer.
    Each argument is read as ``mobicalc ratio`` reads its option (``count.arguments``).
    """
    N, dk, dp = (arguments.whole(value, name) for name, value in (("N", N), ("dk", dk), ("dp", dp)))
    M = None if M is None else arguments.whole(M, "M")
    alpha, rho = arguments.real(alpha, "alpha"), arguments.real(rho, "rho")
    rule = "int" if policy(rounding) == KERAS else rounding
    in_channels = scale_channels(N if M is None else M, alpha, rule)
    out_channels = scale_channels(N, alpha, rule)
    size = round_half_up(rho * dp)
    for what, value in (("alpha x M", in_channels), ("alpha x N", out_channels), ("rho x Dp", size)):
        if value < 1:  # under exact rounding too: less than one channel is no layer
            raise NetworkError(
                f"{what} is {significant(value):g}: a layer needs at least 1 channel and 1 pixel; "
                "use a larger alpha or rho"
            )
    standard, depthwise, pointwise = _layers(in_channels, out_channels, dk, size)
    return LayerComparison(
        M=in_channels,
        N=out_channels,
        dk=dk,
        dp=size,
        standard=layer_cost(standard),
        depthwise=layer_cost(depthwise),
        pointwise=layer_cost(pointwise),
    )
