"""A tiny network of layer records for the bench tests: every kind of helper layer, and two names that
TensorFlow's unique scopes confuse (a layer ``conv`` runs in scope ``conv_1``, which is also a layer's name).
"""

from mobicalc.model.layers import IMAGE, Layer, Shape

TINY = (
    Layer("conv", "conv", Shape(16, 16, 3), Shape(8, 8, 8), kernel=3, stride=2, batch_norm=True,
          activation="relu6", reads=(IMAGE,)),
    Layer("conv_1", "conv", Shape(8, 8, 8), Shape(8, 8, 8), bias=True, activation="relu", reads=("conv",)),
    Layer("dw", "depthwise", Shape(8, 8, 8), Shape(4, 4, 8), kernel=3, stride=2, padding=(0, 1),
          batch_norm=True, activation="relu6", reads=("conv_1",)),
    Layer("pw", "pointwise", Shape(4, 4, 8), Shape(4, 4, 16), batch_norm=True, activation="relu6",
          pair="dw", reads=("dw",)),
    Layer("pool", "pool", Shape(4, 4, 16), Shape(1, 1, 16), kernel=4, padding="valid", reads=("pw",)),
    Layer("fc", "dense", Shape(1, 1, 16), Shape(1, 1, 10), bias=True, activation="softmax", reads=("pool",)),
)  # fmt: skip
"""conv -> conv_1 -> dw (explicit padding) -> pw -> pool -> fc (a dense layer, flattened first)."""
