"""A Keras model's layers under every convention, worked by hand (no TensorFlow).

The profiler's elementwise flops of each Keras class (count/keras_call.py, keras_elementwise.py) are
worked out here from the ops Keras 3 lowers it to and TensorFlow's flops registry (1 per value
written for AddV2, Sub, Mul, RealDiv, BiasAdd, Maximum, Minimum, Neg; Rsqrt and SquaredDifference
2; Mean 1 per value read; Softmax 5; Relu and friends none); tests/test_keras_verify.py proves the
same formulas against TensorFlow's own count of a model holding every class.
"""

import pytest
from test_keras_formulas import CONV, MODEL, count, separable_block, step

from mobicalc.count.conventions import for_built_model
from mobicalc.count.graph import graph_cost
from mobicalc.count.settings import Settings
from mobicalc.errors import NetworkError
from mobicalc.model.graph import GraphModel
from mobicalc.model.layers import IMAGE

MAP = (1, 4, 4, 8)  # 128 values


def flops(key, config, inputs, outputs):
    return count(key, config, inputs, outputs).elementwise


def test_batch_norm():
    # 7 x 7 x 96 = 4,704 values: x * inv and + offset, 2 each; per channel AddV2, Rsqrt (2), Mul by
    # gamma, Mul mean by inv, Sub from beta: 6 (Neg for Sub without center; no Mul without scale)
    shape = [(1, 7, 7, 96)]
    assert flops("BatchNormalization", {"axis": -1}, shape, shape) == 2 * 4704 + 6 * 96 == 9984
    assert flops("BatchNormalization", {"axis": -1, "center": False}, shape, shape) == 9984
    assert flops("BatchNormalization", {"axis": -1, "scale": False}, shape, shape) == 2 * 4704 + 5 * 96
    channels_first = [(1, 96, 7, 7)]
    assert flops("BatchNormalization", {"axis": 1}, channels_first, channels_first) == 9984


def test_bias_and_fused_activation_of_linear_layers():
    out = [(1, 56, 56, 64)]  # 200,704 values
    conv = {**CONV, "filters": 64}
    assert flops("Conv2D", conv, [(1, 56, 56, 32)], out) == 200_704  # BiasAdd
    assert flops("Conv2D", {**conv, "activation": "relu6"}, [(1, 56, 56, 32)], out) == 200_704
    # hard_swish: AddV2, RealDiv, Mul per value
    assert flops("Conv2D", {**conv, "activation": "hard_swish"}, [(1, 56, 56, 32)], out) == 4 * 200_704
    assert flops("Conv2D", {**conv, "use_bias": False}, [(1, 56, 56, 32)], out) == 0
    assert flops("Conv2D", {**conv, "activation": "my_act"}, [(1, 56, 56, 32)], out) is None  # unknown
    # a classifier: BiasAdd and Softmax (5) per class
    assert flops("Dense", {"units": 1000, "activation": "softmax"}, [(1, 1024)], [(1, 1000)]) == 6000
    assert flops("Dense", {"units": 4, "activation": "gelu"}, [(1, 10, 6)], [(1, 10, 4)]) == 40 + 4 * 40
    dw = {"kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "use_bias": False}
    assert flops("DepthwiseConv2D", dw, [(1, 7, 7, 32)], [(1, 7, 7, 32)]) == 0
    separable = {**CONV, "filters": 64, "activation": "swish"}  # x * sigmoid(x): two Mul
    assert flops("SeparableConv2D", separable, [(1, 28, 28, 32)], [(1, 28, 28, 64)]) == 3 * 28 * 28 * 64
    transpose = {"kernel_size": [2, 2], "strides": [2, 2], "padding": "same", "filters": 5}
    assert flops("Conv2DTranspose", transpose, [(1, 4, 4, 6)], [(1, 8, 8, 5)]) == 320
    # an output axis the walk leaves open: its size from the input (20 x 64 values, a bias on each)
    einsum = {"equation": "abc,cd->abd", "output_shape": [None, 64], "bias_axes": "d"}
    assert flops("EinsumDense", einsum, [(1, 20, 32)], [(1, None, 64)]) == 20 * 64


def test_layer_group_and_unit_normalization():
    seq = [(1, 20, 32)]  # 640 values, 20 positions of 32
    # moments (Mean, SquaredDifference 2, Mean: 4 per value), x * inv + offset (2); per position AddV2,
    # Rsqrt (2), Neg; inv * gamma and -mean * inv and + beta on every value: 9N + 4P
    assert flops("LayerNormalization", {"axis": [-1]}, seq, seq) == 9 * 640 + 4 * 20 == 5840
    # center only: -mean * inv per position, + beta on every value: 7N + 5P
    assert flops("LayerNormalization", {"axis": [-1], "scale": False}, seq, seq) == 7 * 640 + 5 * 20
    assert flops("LayerNormalization", {"axis": [-1], "rms_scaling": True}, seq, seq) is None
    image = [
        (1, 8, 8, 32)
    ]  # 2,048 values, 8 groups, 32 channels: 6N + 4G + inv*gamma, -mean*inv, +beta (C each)
    assert flops("GroupNormalization", {"axis": -1, "groups": 8}, image, image) == 6 * 2048 + 4 * 8 + 3 * 32
    # without center: 2C; without scale: -mean * inv per group, + beta per channel
    assert flops("GroupNormalization", {"axis": -1, "groups": 8, "center": False}, image, image) == (
        6 * 2048 + 4 * 8 + 2 * 32
    )
    assert flops("GroupNormalization", {"axis": -1, "groups": 8, "scale": False}, image, image) == (
        6 * 2048 + 5 * 8 + 32
    )
    # Square and Mul per value; per position Sum (32 read, 1 written: 31), Rsqrt (2), Minimum (1)
    assert flops("UnitNormalization", {"axis": [-1]}, seq, seq) == 2 * 640 + 20 * (31 + 2 + 1) == 1960
    rgb = [(1, 8, 8, 3)]  # Sub and RealDiv per value, Maximum per channel (the variance floor)
    assert flops("Normalization", {"axis": [-1], "mean": None}, rgb, rgb) == 2 * 192 + 3
    assert flops("Normalization", {"axis": None, "mean": 1.0}, rgb, rgb) == 2 * 192 + 1
    assert flops("Normalization", {"axis": [-1], "invert": True}, rgb, rgb) is None


def test_pooling():
    assert flops("GlobalAveragePooling2D", {}, [(1, 7, 7, 1280)], [(1, 1280)]) == 7 * 7 * 1280  # Mean
    assert flops("GlobalMaxPooling2D", {}, [(1, 7, 7, 1280)], [(1, 1280)]) == 0  # Max: none
    window = {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}
    assert flops("MaxPooling2D", window, [(1, 8, 8, 16)], [(1, 4, 4, 16)]) == 9 * 4 * 4 * 16  # area x out
    assert flops("AveragePooling1D", {"pool_size": [2]}, [(1, 10, 6)], [(1, 5, 6)]) == 2 * 30
    assert flops("AveragePooling3D", {"pool_size": [2, 2, 2]}, [(1, 2, 4, 4, 6)], [(1, 1, 2, 2, 6)]) == 0


def test_merges_and_ops():
    assert flops("Add", {}, [MAP] * 3, [MAP]) == 2 * 128  # two AddV2
    assert flops("Average", {}, [MAP] * 2, [MAP]) == 2 * 128  # AddV2, RealDiv
    assert flops("Subtract", {}, [MAP] * 2, [MAP]) == 128
    assert flops("Maximum", {}, [MAP] * 3, [MAP]) == 2 * 128
    assert flops("Multiply", {}, [MAP, (1, 1, 1, 8)], [MAP]) == 128  # squeeze-and-excite: broadcast
    assert flops("Concatenate", {}, [MAP] * 2, [(1, 4, 4, 16)]) == 0
    assert flops("ops.Add", {}, [MAP], [MAP]) == 128  # x + 3: one tensor, one AddV2
    assert flops("ops.TrueDivide", {}, [MAP], [MAP]) == 128
    assert flops("ops.Relu6", {}, [MAP], [MAP]) == 0
    assert flops("applications.CustomScaleLayer", {}, [MAP] * 2, [MAP]) == 2 * 128  # Mul, AddV2
    assert flops("applications.LayerScale", {"projection_dim": 8}, [MAP], [MAP]) == 128


@pytest.mark.parametrize(
    ("key", "config", "expected"),
    [
        ("ReLU", {}, 0),  # Relu
        ("ReLU", {"max_value": 6.0}, 0),  # Relu6
        ("ReLU", {"negative_slope": 0.1}, 0),  # LeakyRelu
        ("ReLU", {"max_value": 4.0}, 2 * 128),  # Relu, then Minimum and Maximum
        ("ReLU", {"threshold": 0.5}, None),
        ("ELU", {"alpha": 1.0}, 0),  # Elu
        ("ELU", {"alpha": 0.5}, 2 * 128),  # Elu, Greater, Mul
        ("Softmax", {"axis": -1}, 5 * 128),
        ("Softmax", {"axis": 1}, 5 * 128 + 2),  # and a scalar Sub for each of two transposes
        ("Activation", {"activation": "hard_sigmoid"}, 2 * 128),  # AddV2, RealDiv
        ("Activation", {"activation": "gelu"}, 4 * 128),  # Mul, Neg, Mul, Erfc (none), Mul
        ("Activation", {"activation": "tanh"}, 0),
        ("Activation", {"activation": "sparsemax"}, None),
        ("PReLU", {"shared_axes": [1, 2]}, 8 + 3 * 128),  # Neg of 8 slopes; Neg, Mul, AddV2 per value
        ("Rescaling", {"scale": 2.0}, 2 * 128),  # Mul, AddV2
        ("UpSampling2D", {"size": [2, 2], "interpolation": "nearest"}, 2),  # a scalar Mul per axis
        ("UpSampling2D", {"size": [2, 2], "interpolation": "bilinear"}, 0),
        ("ZeroPadding2D", {}, 0),
        ("Dropout", {}, 0),
    ],
)
def test_activations_and_the_rest(key, config, expected):
    assert flops(key, config, [MAP], [MAP if not key.startswith("Up") else (1, 8, 8, 8)]) == expected


def test_embedding_and_recurrent():
    assert (
        flops("Embedding", {"input_dim": 10, "output_dim": 4}, [(1, 5)], [(1, 5, 4)]) == 2 * 5
    )  # Less, AddV2
    assert flops("LSTM", {"units": 8}, [(1, 6, 4)], [(1, 8)]) is None  # a While loop: not known
    attention = {"num_heads": 2, "key_dim": 4}  # einsums TensorFlow registers no flops for: not known
    assert flops("MultiHeadAttention", attention, [(1, 5, 8), (1, 5, 8)], [(1, 5, 8)]) is None


def totals(steps, convention, model=MODEL):
    return graph_cost(model, steps, Settings(convention=convention)).totals


def test_parameters_under_each_convention():
    """separable_block: dw 3x3x16 (144), its batch-norm (4 x 16), the excite 16x16 + 16 bias (272), pw
    16 x 32 (512), its batch-norm (4 x 32); Swish2 has no formula."""
    steps = separable_block()
    assert totals(steps, "keras").params == 144 + 64 + 272 + 512 + 128
    assert totals(steps, "paper").params == 144 + 256 + 512  # kernel weights only
    assert totals(steps, "torch").params == 144 + 32 + 272 + 512 + 64  # gamma and beta, no statistics
    # folded: each batch-norm into the convolution before it, which gains a bias of one per channel
    folded = graph_cost(MODEL, steps, Settings(convention="folded-bn"))
    assert folded.params == 144 + 16 + 272 + 512 + 32
    records = {record.layer.name: record for record in folded.records}
    assert records["dw"].cost.bias == 16 and records["dw_bn"].cost.params == 0
    assert records["pw"].layer.bias and records["pw_bn"].cost.params == 0
    # the pair's standard convolution 3x3 from 16 to 32 carries the folded bias of the pointwise
    assert records["dw"].standard.params == 9 * 16 * 32 + 32


def test_a_batch_norm_that_cannot_fold_keeps_a_scale_and_offset():
    full = (1, 8, 8, 16)
    conv = {**CONV, "filters": 16, "use_bias": False, "activation": "relu"}
    steps = [
        step("conv", "Conv2D", conv, [full], [full], [IMAGE])._replace(activation="relu"),
        step("bn", "BatchNormalization", {"axis": -1}, [full], [full], ["conv"]),
        step("add", "Add", {}, [full, full], [full], ["bn", IMAGE]),
        step("add_bn", "BatchNormalization", {"axis": -1}, [full], [full], ["add"]),
    ]
    network = graph_cost(MODEL, steps, Settings(convention="folded-bn"))
    records = {record.layer.name: record for record in network.records}
    # the conv has an activation of its own, and the add no weights: 2 per channel each, no bias gained
    assert records["bn"].cost.params == records["add_bn"].cost.params == 2 * 16
    assert records["conv"].cost.params == 9 * 16 * 16


def test_profiler_and_torch_flops():
    """By hand for separable_block: dw 8x8x16x9 = 9,216 MACs, the excite 256, pw 8x8x16x32 = 32,768.
    Elementwise: dw_bn 2 x 1,024 + 6 x 16; the pool's Mean 1,024; the excite's bias 16; the multiply
    1,024; pw_bn 2 x 2,048 + 6 x 32."""
    steps = separable_block()
    macs = 9216 + 256 + 32_768
    assert totals(steps, "keras").flops == 2 * macs
    elementwise = (2048 + 96) + 1024 + 16 + 1024 + (4096 + 192)
    assert totals(steps, "tf-profiler").flops == 2 * macs + elementwise == 92_976
    assert totals(steps, "torch").flops == macs  # one FLOP per multiply-add


def test_flops_the_profiler_convention_cannot_count_are_said_so():
    steps = [
        step("dense", "Dense", {"units": 8, "use_bias": True}, [(1, 6, 4)], [(1, 6, 8)], [IMAGE]),
        step("lstm", "LSTM", {"units": 8}, [(1, 6, 8)], [(1, 8)], ["dense"]),
    ]
    model = GraphModel("m", "s", "p", 6, 4, ((6, 4),))
    assert graph_cost(model, steps).uncounted == ()
    network = graph_cost(model, steps, Settings(convention="tf-profiler"))
    assert network.uncounted == ("lstm",)
    lstm = network.records[1]
    assert lstm.left_out == ("flops",) and "profiler" in lstm.note
    # its MACs and params stay counted: dense 6 x 4 x 8, lstm 6 steps x 4 gates x (8 + 8) x 8
    assert network.macs == 192 + 6 * 4 * 16 * 8
    assert network.totals.flops == 2 * network.macs + 48  # the dense's BiasAdd; the lstm's not known
    assert network.check({"flops": 10**9}).ok is False


def test_slim_is_refused_for_a_built_model():
    with pytest.raises(NetworkError, match=r"classes_offset 1.*min_depth 8.*use one of keras, paper"):
        graph_cost(MODEL, separable_block(), Settings(convention="slim"))
    assert for_built_model("tf-profiler").name == "tf-profiler"
