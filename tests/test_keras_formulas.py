"""Every formula of the Keras-class registry, worked by hand (no TensorFlow): count/keras_layers.py,
and the records a walk's steps become (count/graph.py), with memory over their graph.

The shapes are at batch 1, batch axis included, as a walk sees them. TensorFlow cannot check some
of these at all (grouped convolution, transposed convolution with valid padding, Conv3DTranspose,
attention's einsums, RNN loops: tf/keras_check.py); the hand calculation is the proof.
"""

import pytest

from mobicalc.count.costs import Cost
from mobicalc.count.graph import Step, graph_cost, graph_records
from mobicalc.count.keras_layers import KERAS_LAYERS, Call
from mobicalc.count.memory import memory
from mobicalc.model.graph import GraphModel
from mobicalc.model.layers import IMAGE, Layer, Shape


def count(key, config, inputs, outputs, keywords=()):
    return KERAS_LAYERS[key](Call(config, tuple(inputs), tuple(outputs), tuple(keywords)))


CONV = {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "use_bias": True, "groups": 1}


def test_conv2d():
    counted = count("Conv2D", {**CONV, "filters": 64}, [(1, 56, 56, 32)], [(1, 56, 56, 64)])
    assert counted.kind == "conv" and counted.kernel == 3
    assert counted.cost.macs == 56 * 56 * 64 * 3 * 3 * 32  # out pixels x filters x taps x Cin
    assert counted.cost.weights == 3 * 3 * 32 * 64 and counted.cost.bias == 64
    # as separable: a 3x3 depthwise on 32 channels, then a 1x1 from 32 to 64 with the bias
    assert counted.separable == Cost(
        macs=56 * 56 * 32 * 9 + 56 * 56 * 32 * 64, weights=32 * 9 + 32 * 64, bias=64
    )


def test_grouped_conv_tensorflow_cannot_count():
    """TensorFlow's statistics see 0 (the conv runs inside a StatefulPartitionedCall)."""
    counted = count("Conv2D", {**CONV, "filters": 64, "groups": 4}, [(1, 32, 32, 64)], [(1, 32, 32, 64)])
    assert counted.cost.macs == 32 * 32 * 64 * 9 * (64 // 4) == 9_437_184
    assert counted.cost.weights == 9 * 16 * 64
    assert counted.separable is None  # only a convolution of one group is made separable


def test_pointwise_and_channels_first():
    counted = count(
        "Conv2D", {**CONV, "kernel_size": [1, 1], "filters": 8, "data_format": "channels_first", "use_bias": False},
        [(1, 16, 10, 12)], [(1, 8, 10, 12)],
    )  # fmt: skip
    assert counted.kind == "pointwise" and counted.cost == Cost(macs=10 * 12 * 8 * 16, weights=16 * 8)
    assert counted.separable is None  # one tap: nothing to separate


def test_conv1d_dilated_and_conv3d():
    conv1d = count("Conv1D", {**CONV, "kernel_size": [5], "dilation_rate": [2], "filters": 16},
                   [(1, 100, 8)], [(1, 100, 16)])  # fmt: skip
    assert conv1d.cost.macs == 100 * 16 * 5 * 8  # dilation spreads the taps; it does not add any
    conv3d = count(
        "Conv3D", {**CONV, "kernel_size": [3, 3, 3], "filters": 4}, [(1, 8, 8, 8, 2)], [(1, 8, 8, 8, 4)]
    )
    assert conv3d.cost.macs == 8 * 8 * 8 * 4 * 27 * 2 and conv3d.cost.weights == 27 * 2 * 4


def test_depthwise_with_multiplier():
    config = {
        "kernel_size": [3, 3],
        "strides": [2, 2],
        "padding": "valid",
        "depth_multiplier": 2,
        "use_bias": True,
    }
    counted = count("DepthwiseConv2D", config, [(1, 15, 15, 32)], [(1, 7, 7, 64)])
    assert counted.kind == "depthwise" and counted.stride == 2
    assert counted.cost == Cost(macs=7 * 7 * 32 * 2 * 9, weights=32 * 2 * 9, bias=64)


def test_separable_conv():
    config = {**CONV, "filters": 64, "depth_multiplier": 1}
    counted = count("SeparableConv2D", config, [(1, 28, 28, 32)], [(1, 28, 28, 64)])
    assert counted.cost == Cost(macs=28 * 28 * 32 * 9 + 28 * 28 * 32 * 64, weights=32 * 9 + 32 * 64, bias=64)
    assert counted.standard == Cost(macs=28 * 28 * 9 * 32 * 64, weights=9 * 32 * 64, bias=64)


def test_transposed_conv_valid_and_3d():
    """TensorFlow's statistic is wrong for valid padding (289 px, not 256) and absent in 3-D."""
    config = {"kernel_size": [4, 4], "strides": [2, 2], "padding": "valid", "filters": 64, "use_bias": False}
    counted = count("Conv2DTranspose", config, [(1, 8, 8, 32)], [(1, 18, 18, 64)])
    assert counted.cost.macs == 8 * 8 * 32 * 16 * 64 == 2_097_152  # every input pixel x Cin x taps x filters
    config = {
        "kernel_size": [3, 3, 3],
        "strides": [2, 2, 2],
        "padding": "same",
        "filters": 8,
        "use_bias": True,
    }
    counted = count("Conv3DTranspose", config, [(1, 4, 4, 4, 16)], [(1, 8, 8, 8, 8)])
    assert counted.cost == Cost(macs=64 * 16 * 27 * 8, weights=27 * 16 * 8, bias=8)


def test_dense_on_any_rank_and_einsum_dense():
    dense = count("Dense", {"units": 64, "use_bias": True}, [(1, 20, 32)], [(1, 20, 64)])
    assert dense.cost == Cost(macs=20 * 32 * 64, weights=32 * 64, bias=64)
    einsum = count(
        "EinsumDense", {"equation": "abc,cd->abd", "output_shape": [None, 64], "bias_axes": "d"},
        [(1, 20, 32)], [(1, None, 64)],
    )  # fmt: skip
    assert einsum.cost == Cost(macs=1 * 20 * 32 * 64, weights=32 * 64, bias=64)  # a, b, c, d each once


def test_multi_head_attention():
    """4 heads of 16, 20 tokens of 32: the four projections (20 x 32 x 64 each) and the two products
    (4 x 20 x 20 x (16 + 16)), which TensorFlow's Einsum has no statistic for."""
    config = {"num_heads": 4, "key_dim": 16, "value_dim": None, "use_bias": True, "output_shape": None}
    counted = count("MultiHeadAttention", config, [(1, 20, 32), (1, 20, 32)], [(1, 20, 32)], [None, None])
    assert counted.cost.macs == 4 * 20 * 32 * 64 + 4 * 20 * 20 * 32 == 215_040
    assert counted.cost.weights == 3 * 32 * 64 + 64 * 32 and counted.cost.bias == 3 * 64 + 32


@pytest.mark.parametrize(
    ("key", "macs", "weights", "bias"),
    [
        ("LSTM", 20 * 4 * (32 + 64) * 64, 4 * (32 + 64) * 64, 4 * 64),  # 491,520: TF sees one step
        ("GRU", 20 * 3 * (32 + 64) * 64, 3 * (32 + 64) * 64, 2 * 3 * 64),  # reset_after: two biases
        ("SimpleRNN", 20 * (32 + 64) * 64, (32 + 64) * 64, 64),
    ],
)
def test_recurrent(key, macs, weights, bias):
    counted = count(key, {"units": 64, "use_bias": True}, [(1, 20, 32)], [(1, 64)])
    assert counted.cost == Cost(macs=macs, weights=weights, bias=bias)


def test_bidirectional_is_twice_the_layer():
    inner = {"class_name": "LSTM", "config": {"units": 64, "use_bias": True}}
    counted = count("Bidirectional", {"layer": inner}, [(1, 20, 32)], [(1, 128)])
    assert counted.cost.macs == 2 * 491_520


def test_parameters_of_weightless_and_normalization_layers():
    assert count("Embedding", {"input_dim": 1000, "output_dim": 64}, [(1, 20)], [(1, 20, 64)]).cost == Cost(
        weights=64_000
    )
    bn = count(
        "BatchNormalization", {"axis": -1, "scale": True, "center": True}, [(1, 7, 7, 96)], [(1, 7, 7, 96)]
    )
    assert bn.cost == Cost(batch_norm_trainable=2 * 96, batch_norm_non_trainable=2 * 96)
    ln = count(
        "LayerNormalization", {"axis": [-1], "scale": True, "center": False}, [(1, 20, 32)], [(1, 20, 32)]
    )
    assert ln.cost == Cost(batch_norm_trainable=32)
    gn = count("GroupNormalization", {"axis": -1}, [(1, 8, 8, 32)], [(1, 8, 8, 32)])
    assert gn.cost == Cost(batch_norm_trainable=64)
    norm = count("Normalization", {"axis": [-1], "mean": None}, [(1, 8, 8, 3)], [(1, 8, 8, 3)])
    assert norm.cost == Cost(batch_norm_non_trainable=3 + 3 + 1)  # mean, variance, and a count
    for key in ("Add", "ops.Add", "ReLU", "MaxPooling2D", "Flatten", "ZeroPadding2D", "Dropout", "Rescaling"):
        config = {"pool_size": [2, 2], "strides": None, "padding": "valid"}
        assert count(key, config, [(1, 4, 4, 2)], [(1, 2, 2, 2)]).cost == Cost(), key


def step(name, key, config, inputs, outputs, reads, owner=None):
    return Step(name, key, Call(config, tuple(inputs), tuple(outputs)), tuple(reads), owner or hash(name))


MODEL = GraphModel("demo", "Keras model (Functional)", "test", 8, 16, ((8, 8, 16),))


def separable_block():
    """A depthwise, its batch-norm and ReLU, a squeeze-and-excite (pool, 1x1 conv, multiply), and the
    1x1 projection that completes the pair; then a Swish2 no formula counts."""
    dw = {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "use_bias": False}
    bn = {"axis": -1}
    pw = {**CONV, "kernel_size": [1, 1], "filters": 32, "use_bias": False}
    full, vector = (1, 8, 8, 16), (1, 1, 1, 16)
    return [
        step("dw", "DepthwiseConv2D", dw, [full], [full], [IMAGE]),
        step("dw_bn", "BatchNormalization", bn, [full], [full], ["dw"]),
        step("dw_relu", "ReLU", {}, [full], [full], ["dw_bn"]),
        step("se_pool", "GlobalAveragePooling2D", {}, [full], [vector], ["dw_relu"]),
        step("se_conv", "Conv2D", {**pw, "filters": 16, "use_bias": True}, [vector], [vector], ["se_pool"]),
        step("se_mul", "Multiply", {}, [full, vector], [full], ["dw_relu", "se_conv"]),
        step("pw", "Conv2D", pw, [full], [(1, 8, 8, 32)], ["se_mul"]),
        step("pw_bn", "BatchNormalization", bn, [(1, 8, 8, 32)], [(1, 8, 8, 32)], ["pw"]),
        step("my_swish", "demo.Swish2", {}, [(1, 8, 8, 32)], [(1, 8, 8, 32)], ["pw_bn"]),
    ]


def test_pair_followed_through_batch_norm_activation_and_excite():
    records = {record.layer.name: record for record in graph_records(separable_block())}
    assert records["pw"].layer.pair == "dw" and records["pw"].standard == Cost()
    # one full 3x3 convolution from 16 to 32 channels at 8x8, without bias (the pointwise has none)
    assert records["dw"].standard == Cost(macs=8 * 8 * 9 * 16 * 32, weights=9 * 16 * 32)
    assert records["dw_bn"].standard == Cost()  # the depthwise's batch-norm is not in a standard network
    assert records["pw_bn"].standard == records["pw_bn"].cost  # the pointwise's is


def test_a_layer_without_formula_is_said_not_zero():
    network = graph_cost(MODEL, separable_block())
    assert network.uncounted == ("my_swish",)
    record = network.records[-1]
    assert record.counted is False and "no formula for Keras layer class demo.Swish2" in record.note
    assert network.check({"macs": 10**9}).ok is False  # incomplete: no budget is proved
    assert network.check({"macs": 10**9}, allow_uncounted=True).ok


def test_shared_layer_counts_macs_per_call_and_params_once():
    config = {"units": 10, "use_bias": True}
    steps = [
        step("dense", "Dense", config, [(1, 4)], [(1, 10)], [IMAGE], owner=1),
        step("dense (call 2)", "Dense", config, [(1, 10)], [(1, 10)], ["dense"], owner=1),
    ]
    network = graph_cost(GraphModel("m", "s", "p", 1, 4, ((4,),)), steps)
    assert network.macs == 4 * 10 + 10 * 10  # the second call reads 10 inputs
    assert network.params == 4 * 10 + 10  # the weights of the first build, once


def test_in_place_layers_hold_no_tensor_of_their_own():
    """Memory of the block as a table would have it: dw (with bn, relu), pool, excite, multiply, pw."""
    network = graph_cost(MODEL, separable_block()[:-1])
    as_table = [
        Layer("dw", "depthwise", Shape(8, 8, 16), Shape(8, 8, 16), reads=(IMAGE,)),
        Layer("se_pool", "pool", Shape(8, 8, 16), Shape(1, 1, 16), reads=("dw",)),
        Layer("se_conv", "excite", Shape(1, 1, 16), Shape(1, 1, 16), reads=("se_pool",)),
        Layer("se_mul", "multiply", Shape(8, 8, 16), Shape(8, 8, 16), reads=("dw", "se_conv")),
        Layer("pw", "pointwise", Shape(8, 8, 16), Shape(8, 8, 32), reads=("se_mul",)),
    ]
    ours, table = network.memory, memory(as_table, network.params)
    # the peak is at pw: its input 8x8x16 and its output 8x8x32, at 4 bytes
    assert ours.peak_activation_bytes == table.peak_activation_bytes == 4 * (8 * 8 * 16 + 8 * 8 * 32)
    assert ours.peak_layer == table.peak_layer == "pw"
    assert ours.peak_streamed_bytes == table.peak_streamed_bytes
