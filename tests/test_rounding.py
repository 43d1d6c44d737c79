"""Channel rounding rules, checked against values worked out by hand."""

from fractions import Fraction

import pytest

from mobicalc.model.rounding import make_divisible, scale_channels


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (32, 32),  # already a multiple of 8
        (11.2, 16),  # 32 x 0.35: int(15.2) // 8 * 8 = 8 < 0.9 x 11.2 = 10.08 -> 8 + 8
        (44.8, 48),  # 32 x 1.4: int(48.8) // 8 * 8 = 48
        (1792.0, 1792),  # 1280 x 1.4
        (3, 8),  # never below the divisor
        (20, 24),  # int(24) // 8 * 8 = 24
    ],
)
def test_make_divisible(value, expected):
    assert make_divisible(value) == expected


def test_make_divisible_never_loses_more_than_ten_percent():
    # 19.9 + 4 = 23.9 -> 16, but 16 < 0.9 x 19.9 = 17.91, so one more step: 24.
    assert make_divisible(19.9) == 24


def test_int_rule_truncates_in_floating_point_like_keras():
    # Keras computes int(100 * 0.29) in floating point: 28.999999999999996 -> 28.
    assert scale_channels(100, Fraction("0.29"), "int") == 28
    assert scale_channels(64, Fraction("0.6"), "int") == 38  # 38.4


def test_int_then_divisible_differs_from_divisible_where_keras_differs():
    # MobileNetV2 blocks round int(c x alpha) first: int(8.9) = 8 -> 8 (8 >= 7.2),
    # while make_divisible(8.9) = 8 < 0.9 x 8.9 = 8.01 -> 16.
    alpha = Fraction("0.89")
    assert scale_channels(10, alpha, "int-divisible-by-8") == 8
    assert scale_channels(10, alpha, "divisible-by-8") == 16


def test_exact_keeps_fractions_and_integers():
    assert scale_channels(64, Fraction("0.6"), "exact") == Fraction(192, 5)
    exact_half = scale_channels(64, Fraction("0.5"), "exact")
    assert exact_half == 32
    assert type(exact_half) is int


@pytest.mark.parametrize("rule", ["int", "divisible-by-8", "int-divisible-by-8"])
def test_keras_rules_stay_exact_where_a_float_cannot_hold_the_count(rule):
    # Keras' float arithmetic would give 2**53 for 2**53 + 1 channels, and overflow at 10**400.
    assert scale_channels(2**53 + 8, Fraction(1), rule) == 2**53 + 8
    # 10**400 x 0.35 = 35 x 10**398, already a multiple of 8 (10**398 is).
    assert scale_channels(10**400, Fraction("0.35"), rule) == 35 * 10**398
    assert scale_channels(2**53 + 1, Fraction(1), "int") == 2**53 + 1


def test_make_divisible_of_an_exact_value_follows_the_same_rule():
    # 19.9 exactly: int(23.9) // 8 * 8 = 16 < 0.9 x 19.9 = 17.91 -> 24, as the float case above.
    assert make_divisible(Fraction("19.9")) == 24
    assert make_divisible(Fraction(10**30 + 3)) == 10**30  # 10**30 is a multiple of 8
