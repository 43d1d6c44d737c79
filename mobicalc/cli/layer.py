"""``mobicalc ratio``: one layer, standard vs depthwise separable convolution."""

from collections.abc import Callable
from fractions import Fraction

import click

from mobicalc.cli.base import command, emit
from mobicalc.cli.options import format_option, rounding_option
from mobicalc.cli.types import ALPHA, COUNT, MAX_MULTIPLIER, PositiveNumber
from mobicalc.count.layer import compare_layer
from mobicalc.views.ratio import ratio_report


def layer_options(command: Callable) -> Callable:
    """What one layer takes: its channels, kernel and size, the multipliers and the rounding."""
    options: list[Callable[[Callable], Callable]] = [
        click.option(
            "--N", "--n", "N", type=COUNT, required=True, help="Output channels N (at most 1,000 digits)."
        ),
        click.option("--dk", type=COUNT, required=True, help="Kernel size Dk (Dk x Dk)."),
        click.option("--M", "--m", "M", type=COUNT, help="Input channels M.  [default: N]"),
        click.option(
            "--dp", type=COUNT, default=1, help="Output spatial size Dp (Dp x Dp).  [default: 1, per pixel]"
        ),
        click.option(
            "--alpha",
            type=ALPHA,
            default="1",
            show_default=True,
            help="Width multiplier on M and N (at most 100 characters).",
        ),
        click.option(
            "--rho",
            type=PositiveNumber(maximum=MAX_MULTIPLIER),
            default="1",
            show_default=True,
            help="Resolution multiplier on Dp, rounded to the nearest integer (paper Table 3: 14 x 0.714 -> "
            "10); at most 100 characters.",
        ),
        rounding_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@command(short_help="One layer: standard vs depthwise separable convolution.")
@layer_options
@format_option
def ratio(
    N: int,
    dk: int,
    M: int | None,
    dp: int,
    alpha: Fraction,
    rho: Fraction,
    rounding: str,
    output_format: str,
    wide: bool,
) -> None:
    """Standard convolution vs depthwise separable convolution for one layer.

    \b
    A standard Dk x Dk convolution from M to N channels on a Dp x Dp output
    costs Dk·Dk·M·N·Dp·Dp MACs. The depthwise separable version, a Dk x Dk
    depthwise convolution (Dk·Dk·M·Dp·Dp) then a 1x1 pointwise convolution
    (M·N·Dp·Dp), costs 1/N + 1/Dk² as much. Params are kernel weights only,
    as in the MobileNet paper's Table 3; under --rounding keras, alpha x M
    and alpha x N are rounded down as MobileNetV1 does.
    """
    comparison = compare_layer(N=N, dk=dk, M=M, dp=dp, alpha=alpha, rho=rho, rounding=rounding)
    inputs = {"alpha": alpha, "rho": rho, "rounding": rounding}
    given = {"M": N if M is None else M, "N": N, "dp": dp}
    emit(ratio_report(comparison, inputs, given), output_format, wide)
