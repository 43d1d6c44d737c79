"""verify --keras and sweep --keras: a Keras model proved against TensorFlow, and swept over sizes.

Every number asserted is TensorFlow's (registered flops of the traced graph, count_params()) or
worked by hand in a comment, never mobicalc's own output.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

MODULE = textwrap.dedent(
    """
    import keras
    from keras import layers

    @keras.saving.register_keras_serializable("verifydemo")
    class Scale(layers.Layer):
        def build(self, shape):
            self.scale = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    def blind_mix():
        x = inputs = keras.Input((16, 16, 8), name="image")
        x = layers.Conv2D(16, 3, padding="same", groups=4, name="grouped")(x)
        x = layers.Conv2DTranspose(4, 4, strides=2, padding="valid", name="up_valid")(x)
        x = layers.Conv2DTranspose(4, 2, strides=2, padding="same", name="up_same")(x)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        x = layers.Reshape((1, 4), name="steps")(x)
        x = layers.LSTM(8, name="lstm")(x)
        return keras.Model(inputs, layers.Dense(3, name="head")(x), name="blind_mix")

    def attention():
        x = inputs = keras.Input((20, 16))
        x = layers.MultiHeadAttention(num_heads=4, key_dim=16, name="mha")(x, x)
        return keras.Model(inputs, x)

    def volume():
        x = inputs = keras.Input((4, 4, 4, 2))
        return keras.Model(inputs, layers.Conv3DTranspose(3, 2, strides=2, padding="same", name="up3d")(x))

    def shared_nested():
        inner_in = keras.Input((8, 8, 4))
        inner = keras.Model(inner_in, layers.Conv2D(4, 3, padding="same", name="c")(inner_in), name="inner")
        x = inputs = keras.Input((8, 8, 4))
        conv = layers.Conv2D(4, 1, name="shared")
        return keras.Model(inputs, layers.Add(name="sum")([x, conv(inner(conv(x)))]), name="outer")

    def scaled():
        x = inputs = keras.Input((8, 8, 4))
        return keras.Model(inputs, Scale(name="scale")(layers.Conv2D(4, 1, name="conv")(x)))

    def tiny():
        x = inputs = keras.Input((None, None, 3))
        return keras.Model(inputs, layers.Conv2D(4, 3, name="conv")(x))

    def every_class():
        # every Keras class mobicalc gives the profiler's flops to, at least once
        from keras.src.applications.convnext import LayerScale, StochasticDepth
        from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

        image, seq = keras.Input((8, 8, 4), name="image"), keras.Input((6, 5), name="seq")
        vol, ids = keras.Input((2, 4, 4, 3), name="vol"), keras.Input((5,), dtype="int32", name="ids")
        x = layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(image)
        x = layers.Normalization(mean=[1.0, 2, 3, 4], variance=[1.0, 2, 3, 4], name="norm")(x)
        x = layers.ZeroPadding2D(name="pad")(x)
        x = layers.Conv2D(8, 3, name="conv")(x)
        x = layers.BatchNormalization(name="bn")(x)
        x = layers.ReLU(6.0, name="relu6")(x)
        y = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(x)
        y = layers.BatchNormalization(scale=False, name="dw_bn")(y)
        y = layers.ReLU(max_value=4.0, name="relu_clip")(y)
        y = layers.Conv2D(8, 1, use_bias=False, activation="hard_swish", name="pw")(y)
        z = layers.SeparableConv2D(8, 3, padding="same", activation="swish", name="sep")(x)
        z = layers.BatchNormalization(center=False, name="sep_bn")(z)
        s = layers.GlobalAveragePooling2D(keepdims=True, name="se_pool")(z)
        s = layers.Conv2D(8, 1, activation="hard_sigmoid", name="se_conv")(s)
        z = layers.Multiply(name="se_mul")([z, s])
        x = layers.Add(name="sum3")([x, y, z])
        x = layers.Subtract(name="diff")([x, y])
        x = layers.Average(name="mean2")([x, y])
        x = layers.Maximum(name="most")([x, y])
        x = layers.Minimum(name="least")([x, z])
        x = keras.ops.divide(keras.ops.subtract(keras.ops.multiply(keras.ops.add(x, 3.0), 0.5), 1.0), 2.0)
        x = layers.LayerNormalization(name="ln")(x)
        x = layers.GroupNormalization(groups=2, center=False, name="gn")(x)
        x = layers.UnitNormalization(name="unit")(x)
        x = layers.PReLU(shared_axes=[1, 2], name="prelu")(x)
        x = layers.ELU(alpha=0.5, name="elu")(x)
        x = layers.LeakyReLU(name="leaky")(x)
        x = layers.Activation("gelu", name="gelu")(x)
        x = LayerScale(1e-6, 8, name="layer_scale")(x)
        x = StochasticDepth(0.1, name="depth")(x)
        x = CustomScaleLayer(0.2, name="custom_scale")([x, x])
        x = layers.Conv2DTranspose(4, 2, strides=2, padding="same", name="up_conv")(x)
        x = layers.UpSampling2D(name="up")(x)
        x = layers.AveragePooling2D(3, strides=2, padding="same", name="avg_pool")(x)
        x = layers.MaxPooling2D(2, name="max_pool")(x)
        x = layers.Dropout(0.5, name="drop")(x)
        x = layers.Softmax(axis=1, name="softmax")(x)
        x = layers.GlobalMaxPooling2D(name="gmp")(x)
        x = layers.Dense(6, activation="softmax", name="head")(x)
        t = layers.Conv1D(4, 3, padding="same", activation="relu", name="conv1d")(seq)
        t = layers.Dense(4, activation="tanh", name="dense3d")(t)
        t = layers.MaxPooling1D(2, name="pool1d")(t)
        t = layers.GlobalAveragePooling1D(name="gap1d")(t)
        e = layers.Embedding(10, 4, name="emb")(ids)
        e = layers.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="d", name="einsum")(e)
        e = layers.Flatten(name="flat")(e)
        v = layers.Conv3D(2, 1, name="conv3d")(vol)
        v = layers.AveragePooling3D(2, name="pool3d")(v)
        v = layers.Flatten(name="flat3d")(v)
        out = layers.Concatenate(name="cat")([x, t, e, v])
        return keras.Model([image, seq, vol, ids], out, name="every_class")
    """
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("verifydemo")
    (folder / "verify_models.py").write_text(MODULE)
    return folder


def run(*arguments, folder=None):
    path = [str(folder)] if folder else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "mobicalc", *arguments], capture_output=True, text=True, env=env, cwd=folder
    )


@pytest.fixture(scope="module")
def models(demo):
    sys.path.insert(0, str(demo))
    import verify_models

    yield verify_models
    sys.path.remove(str(demo))


def rows(verification):
    (check,) = verification.checks
    return {layer.name: layer for layer in check.layers}


@pytest.mark.tensorflow
@pytest.mark.parametrize(
    ("function", "size"), [("MobileNetV3Small", 64), ("EfficientNetB0", 32), ("ResNet50V2", 32)]
)
def test_verify_keras_agrees_on_one_model_of_a_few_families(function, size):
    import keras

    from mobicalc.tf.keras_check import tensorflow_count
    from mobicalc.tf.keras_verify import verify_keras

    model = getattr(keras.applications, function)(
        weights=None, include_top=False, input_shape=(size, size, 3)
    )
    verification = verify_keras(model)
    (check,) = verification.checks
    tf = tensorflow_count(model, [(size, size, 3)])
    assert verification.ok
    assert all(layer.verdict is True for layer in check.layers)
    assert check.tf_totals["macs"] == check.engine_totals["macs"] == tf.macs
    assert check.engine_totals["params"] == tf.params
    keras.backend.clear_session()


@pytest.mark.tensorflow
def test_profiler_flops_of_every_class_agree_with_tensorflow(models):
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(models.every_class(), convention="tf-profiler")
    (check,) = verification.checks
    layers = rows(verification)
    assert verification.ok and all(layer.verdict is True for layer in layers.values())
    assert check.engine_totals["flops"] == check.tf_totals["flops"] == check.profiler_flops
    # TensorFlow's own flops of a few calls, by hand: conv 8x8 px x 8 x 9 x 4 MACs and a BiasAdd on its
    # 512 values; bn 2 x 512 + 6 x 8; ln on 8x8x8 (64 positions of 8): 9 x 512 + 4 x 64; softmax along
    # axis 1 of 8x8x4: 5 x 256 and two scalar Subs; the head's MatMul (4 x 6 MACs), BiasAdd, Softmax
    expected = {"conv": 2 * 18_432 + 512, "bn": 1072, "ln": 4864, "softmax": 1282, "head": 48 + 6 + 30}
    assert {name: layers[name].tf_flops for name in expected} == expected


@pytest.mark.tensorflow
@pytest.mark.parametrize("function", ["MobileNet", "MobileNetV2", "MobileNetV3Small"])
@pytest.mark.parametrize("include_top", [True, False])
def test_verify_keras_proves_the_profiler_flops_of_the_mobilenets(function, include_top):
    import keras

    from mobicalc.tf.keras_verify import verify_keras

    model = getattr(keras.applications, function)(
        weights=None, include_top=include_top, input_shape=(96, 96, 3)
    )
    verification = verify_keras(model, convention="tf-profiler")
    (check,) = verification.checks
    assert verification.ok and all(layer.verdict is True for layer in check.layers)
    assert all(layer.tf_flops is not None for layer in check.layers)
    assert check.engine_totals["flops"] == check.tf_totals["flops"] == check.profiler_flops
    keras.backend.clear_session()


@pytest.mark.tensorflow
def test_verify_keras_command_on_mobilenet_v2():
    process = run(
        "verify", "--keras", "keras.applications:MobileNetV2", "--resolution", "96", "--format", "json"
    )
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert document["ok"] and document["summary"] == "ok (1 of 1 checks ran)"
    (check,) = document["checks"]
    # TensorFlow's figures for MobileNetV2 at 96 with its classifier (benchmarks/keras_zoo.py, TF 2.21)
    assert check["tensorflow_totals"]["params"] == 3_538_984  # keras.applications' published count
    assert all(row["ok"] is True for row in check["layers"])
    assert check["engine_totals"]["macs"] == check["tensorflow_totals"]["macs"]


@pytest.mark.tensorflow
def test_rows_tensorflow_cannot_count_are_never_agreement(models):
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(models.blind_mix())
    layers = rows(verification)
    # by hand: grouped 16x16 px x 16 out x 9 taps x 8/4 in; up_valid 16x16 in px x 16 taps x 16 in x 4 out;
    # lstm 1 step x 4 gates x (4 in + 8 units) x 8 units
    hand = {"grouped": 256 * 16 * 9 * 2, "up_valid": 256 * 16 * 16 * 4, "lstm": 4 * 12 * 8}
    why = {"grouped": "StatefulPartitionedCall", "up_valid": "Conv2DBackpropInput", "lstm": "While"}
    for name, macs in hand.items():
        layer = layers[name]
        assert layer.engine_macs == macs
        assert layer.tf_macs is None and layer.verdict is None and why[name] in layer.not_comparable
    # up_same: 34x34 in px x 4 taps x 4 in x 4 out, which TensorFlow counts (output = input x stride)
    assert layers["up_same"].tf_macs == 34 * 34 * 4 * 4 * 4 and layers["up_same"].verdict is True
    assert layers["head"].tf_macs == 8 * 3
    (check,) = verification.checks
    assert "macs" not in check.tf_totals and "macs" not in check.engine_totals
    assert verification.ok  # nothing differs; but nothing unproved is called agreement:
    from mobicalc.views.verify import verify_summary

    assert "MACs of 3 of 7 layers not comparable" in verify_summary(verification)


@pytest.mark.tensorflow
def test_attention_and_3d_transpose_are_not_comparable(models):
    from mobicalc.tf.keras_verify import verify_keras

    mha = rows(verify_keras(models.attention()))["mha"]
    # by hand: Q, K, V projections 20 x 16 x (4 x 16) each; output 20 x 64 x 16;
    # the two products 4 heads x 20 x 20 x (16 + 16)
    assert mha.engine_macs == 3 * 20 * 16 * 64 + 20 * 64 * 16 + 4 * 20 * 20 * 32
    assert mha.verdict is None and "Einsum" in mha.not_comparable
    up = rows(verify_keras(models.volume()))["up3d"]
    assert up.engine_macs == 64 * 8 * 2 * 3  # 4x4x4 input voxels x 2x2x2 taps x 2 in x 3 out
    assert up.verdict is None and "Conv3DBackpropInputV2" in up.not_comparable


@pytest.mark.tensorflow
def test_shared_and_nested_layers_by_name(models):
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(models.shared_nested())
    layers = rows(verification)
    assert list(layers) == ["shared", "inner/c", "shared (call 2)", "sum"]
    # by hand: 1x1 conv 64 px x 4 x 4 (params 16 + 4 bias, once); 3x3 conv 64 px x 9 x 4 x 4 (144 + 4)
    expected = {"shared": (1024, 20), "inner/c": (9216, 148), "shared (call 2)": (1024, 0), "sum": (0, 0)}
    assert {name: (layer.tf_macs, layer.tf_params) for name, layer in layers.items()} == expected
    assert verification.ok and all(layer.verdict for layer in layers.values())


@pytest.mark.tensorflow
def test_verify_keras_exit_codes(demo):
    blind = run("verify", "--keras", "verify_models:blind_mix", folder=demo)
    assert blind.returncode == 0, blind.stderr
    last = " ".join(blind.stdout.split("\n\n")[-1].split())  # the verdict, wrapped to 80 columns
    assert last.startswith("ok (1 of 1 checks ran; MACs of 3 of 7 layers not comparable"), last
    differs = run("verify", "--keras", "verify_models:scaled", "--format", "json", folder=demo)
    assert differs.returncode == 1, differs.stderr
    document = json.loads(differs.stdout)
    scale = next(row for row in document["checks"][0]["layers"] if row["name"] == "scale")
    assert scale["ok"] is False and scale["tf_params"] == 4  # a weight no formula counts: never hidden


def test_verify_keras_usage_errors():
    for extra in (("--alpha", "0.5"), ("v1",), ("--classes", "10"), ("--convention", "paper")):
        process = run("verify", "--keras", "keras.applications:MobileNetV2", *extra)
        assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr


def sweep_json(*arguments, folder=None, code=0):
    process = run("sweep", *arguments, "--format", "json", folder=folder)
    assert process.returncode == code, process.stderr
    return json.loads(process.stdout)


@pytest.mark.tensorflow
def test_sweep_keras_totals_at_each_size_by_hand(demo):
    document = sweep_json("--keras", "verify_models:tiny", "--resolution", "10,12,16x20", folder=demo)
    got = {str(row["resolution"]): row["macs"] for row in document["configurations"]}
    # by hand: a valid 3x3 conv, 3 -> 4 channels: (H-2) x (W-2) px x 4 x 9 x 3
    assert got == {"10": 8 * 8 * 108, "12": 10 * 10 * 108, "[16, 20]": 14 * 18 * 108}
    kept = sweep_json("--keras", "verify_models:tiny", "--resolution", "10,12", "--max-macs", "8000",
                      folder=demo)  # fmt: skip
    assert [row["resolution"] for row in kept["configurations"]] == [10]  # 6,912 <= 8,000 < 10,800
    sweep_json(
        "--keras", "verify_models:tiny", "--resolution", "12", "--max-macs", "8000", folder=demo, code=1
    )


@pytest.mark.tensorflow
def test_sweep_keras_rebuilds_a_builder_at_each_size_as_tensorflow_counts_it():
    import keras

    from mobicalc.tf.keras_check import tensorflow_count

    document = sweep_json("--keras", "keras.applications:MobileNetV2", "--no-top", "--resolution", "33,48")
    for row in document["configurations"]:
        size = row["resolution"]
        model = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(size, size, 3))
        tf = tensorflow_count(model, [(size, size, 3)])
        assert (row["macs"], row["params"]) == (tf.macs, tf.params), size
        keras.backend.clear_session()


@pytest.mark.tensorflow
def test_sweep_keras_never_keeps_an_incomplete_count(demo):
    sweep_json("--keras", "verify_models:scaled", "--max-macs", "1G", folder=demo, code=1)


def test_slim_is_refused_before_a_keras_model_loads():
    """classes_offset and min_depth say how a table is built: a usage error naming them, at once."""
    for command in ("table", "check", "sweep"):
        budget = ("--max-macs", "1G") if command == "check" else ()
        process = run(command, "--keras", "no_such_module:model", "--convention", "slim", *budget)
        assert process.returncode == 2 and "Traceback" not in process.stderr, process.stderr
        assert "classes_offset 1" in process.stderr and "min_depth 8" in process.stderr, process.stderr


def test_sweep_keras_refusals_before_loading():
    refused = run("sweep", "--keras", "keras.applications:MobileNetV2", "--resolution", "32:1000:1")
    assert refused.returncode == 2 and "at most 100" in refused.stderr
    alpha = run("sweep", "--keras", "keras.applications:MobileNetV2", "--alpha", "0.5")
    assert alpha.returncode == 2 and "alpha" in alpha.stderr
    table = run("sweep", "v1", "--unsafe")
    assert table.returncode == 2 and "--keras" in table.stderr
