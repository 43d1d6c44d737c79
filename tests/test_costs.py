"""Each layer kind's formula, worked out by hand."""

import pytest

from mobicalc.count.costs import Cost, layer_cost
from mobicalc.model.layers import Layer, Shape


def test_standard_conv_is_dk_dk_m_n_dp_dp():
    # 3x3 conv, 3 -> 32 channels, 224 -> 112: MobileNetV1's first layer.
    layer = Layer("c", "conv", Shape(224, 224, 3), Shape(112, 112, 32), kernel=3, stride=2, batch_norm=True)
    cost = layer_cost(layer)
    assert cost.macs == 3 * 3 * 3 * 32 * 112 * 112 == 10_838_016
    assert cost.weights == 3 * 3 * 3 * 32 == 864
    assert cost.batch_norm_trainable == cost.batch_norm_non_trainable == 2 * 32
    assert cost.params == 864 + 4 * 32


def test_depthwise_is_dk_dk_m_dp_dp():
    layer = Layer("d", "depthwise", Shape(14, 14, 512), Shape(14, 14, 512), kernel=3)
    cost = layer_cost(layer)
    assert cost.macs == 3 * 3 * 512 * 14 * 14 == 903_168
    assert cost.params == 3 * 3 * 512


def test_pointwise_is_m_n_dp_dp():
    layer = Layer("p", "pointwise", Shape(14, 14, 512), Shape(14, 14, 512))
    assert layer_cost(layer).macs == 512 * 512 * 14 * 14 == 51_380_224


def test_dense_with_bias():
    layer = Layer("fc", "dense", Shape(1, 1, 1024), Shape(1, 1, 1000), bias=True)
    cost = layer_cost(layer)
    assert cost.macs == 1024 * 1000
    assert cost.weights == 1024 * 1000
    assert cost.bias == 1000
    assert cost.params == cost.trainable_params == 1_025_000


@pytest.mark.parametrize("kind", ["pool", "add"])
def test_pool_and_add_are_not_macs(kind):
    layer = Layer("x", kind, Shape(7, 7, 64), Shape(1, 1, 64) if kind == "pool" else Shape(7, 7, 64))
    assert layer_cost(layer) == Cost()


def test_flops_are_twice_macs_and_params_split():
    cost = Cost(macs=10, weights=4, bias=1, batch_norm_trainable=2, batch_norm_non_trainable=2)
    assert cost.flops == 20
    assert cost.trainable_params == 7
    assert cost.non_trainable_params == 2
    assert cost.params == 9
    assert cost + cost == Cost(20, 8, 2, 4, 4)
