"""How ``alpha * channels`` becomes a channel count.

Width multipliers rarely give whole channel counts, and every framework rounds
differently. The Keras rules are computed in floating point, exactly as
``keras.applications`` computes them (``int(32 * 0.29)`` is 9 there, and so
here), so the default counts match the real models bit for bit. Past 2**53,
where a float can no longer hold every whole number, Keras' arithmetic would
lose channels (or overflow); there the same rules are applied exactly instead.
``exact`` keeps the real-valued count, as the papers' cost formulas do.
"""

from collections.abc import Callable
from fractions import Fraction

Count = int | Fraction
"""A count: an exact int, or an exact Fraction under ``exact`` rounding."""


def exact_count(value: Fraction) -> Count:
    """Return ``value`` as an int when it is whole, so integers stay integers."""
    return value.numerator if value.denominator == 1 else value


FLOAT_EXACT = 2**53
"""Below this a float holds every whole number, so Keras' float arithmetic can be followed."""


def make_divisible(value: float | Count, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor``, never losing more than 10%.

    This is ``_make_divisible`` of keras.applications.MobileNetV2 (and of the
    original TensorFlow slim code), reproduced so the counts agree exactly: in
    float for a float ``value``, as Keras; exactly for an int or Fraction.
    """
    rounded = max(divisor, int(value + divisor // 2) // divisor * divisor)
    too_low = rounded < 0.9 * value if isinstance(value, float) else 10 * rounded < 9 * value
    return rounded + divisor if too_low else rounded


def keras_product(channels: int, alpha: Fraction) -> float | Fraction:
    """``channels * alpha`` as Keras computes it (in float), or exactly where a float would fail."""
    if channels < FLOAT_EXACT and alpha < FLOAT_EXACT:  # else float(alpha) could overflow
        product = channels * float(alpha)
        if product < FLOAT_EXACT:
            return product
    return channels * alpha


def _int(channels: int, alpha: Fraction) -> Count:
    return int(keras_product(channels, alpha))


def _divisible_by_8(channels: int, alpha: Fraction) -> Count:
    return make_divisible(keras_product(channels, alpha))


def _int_divisible_by_8(channels: int, alpha: Fraction) -> Count:
    return make_divisible(int(keras_product(channels, alpha)))


def _exact(channels: int, alpha: Fraction) -> Count:
    return exact_count(channels * alpha)


RULES: dict[str, Callable[[int, Fraction], Count]] = {
    "int": _int,
    "divisible-by-8": _divisible_by_8,
    "int-divisible-by-8": _int_divisible_by_8,
    "exact": _exact,
}
"""Rounding rules by name: the names architecture tables and ``--rounding`` use."""

KERAS = "keras"
"""The policy that applies each table's own Keras rule (the default)."""

POLICIES = (KERAS, *RULES)

DESCRIPTIONS = {
    KERAS: "each table's keras.applications rule (default)",
    "int": "int(c * alpha), as keras.applications.MobileNet",
    "divisible-by-8": "c * alpha to the nearest multiple of 8, never 10% below",
    "int-divisible-by-8": "int(c * alpha), then divisible-by-8, as MobileNetV2's blocks",
    "exact": "no rounding: real-valued channels, costs exactly as the paper's formulas",
}


def scale_channels(channels: int, alpha: Fraction, rule: str) -> Count:
    """Channels of a layer of width ``channels`` at width multiplier ``alpha``."""
    return RULES[rule](channels, alpha)
