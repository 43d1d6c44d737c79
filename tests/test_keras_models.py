"""Keras models through every route (--keras FILE, module:function, mobicalc.cost(model)), against the
table route and TensorFlow's own count; hostile files and unknown layers.

Numbers: the built-in tables' totals (the table route, itself proved against TensorFlow by verify)
and TensorFlow's registered flops and count_params() (tf/keras_check.py), never our own output.
"""

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

pytestmark = pytest.mark.tensorflow

keras = pytest.importorskip("keras")

import mobicalc  # noqa: E402
from mobicalc.tf.keras_check import tensorflow_count  # noqa: E402


def run(*arguments, cwd=None, path=()):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "mobicalc", *arguments], capture_output=True, text=True, env=env, cwd=cwd
    )


def totals(*arguments):
    process = run(*arguments, "--format", "json")
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)["totals"]


@pytest.mark.parametrize(
    ("table", "function", "convention"),
    [("v1", "MobileNet", "keras"), ("v2", "MobileNetV2", "keras"), ("v2", "MobileNetV2", "tf-profiler")],
)
def test_keras_route_gives_the_table_routes_totals_with_memory(table, function, convention):
    ours = totals("table", "--keras", f"keras.applications:{function}", "--convention", convention)
    assert (ours.pop("uncounted"), ours.pop("uncounted_params")) == (0, 0)  # a graph's: all counted
    assert ours == totals("table", table, "--convention", convention)


@pytest.mark.parametrize(
    ("table", "function"), [("v1", "MobileNet"), ("v2", "MobileNetV2"), ("v3-small", "MobileNetV3Small")]
)
def test_keras_route_counts_as_the_table_route_under_every_convention(table, function):
    """FLOPs under tf-profiler (the table's are proved against the profiler: test_profiler_tf.py) and
    torch, params under paper, folded-bn and torch: the same totals, memory too, from either route."""
    from mobicalc.views.common import memory_totals

    model = getattr(keras.applications, function)(weights=None, input_shape=(224, 224, 3))
    for convention in ("tf-profiler", "paper", "folded-bn", "torch"):
        ours, theirs = (
            mobicalc.cost(model, convention=convention),
            mobicalc.cost(table, convention=convention),
        )
        assert ours.uncounted == ()
        assert ours.totals == theirs.totals, convention
        assert memory_totals(ours) == memory_totals(theirs), convention
    keras.backend.clear_session()


def test_v3_small_totals_at_a_resolution():
    ours = totals("table", "--keras", "keras.applications:MobileNetV3Small", "--resolution", "224")
    assert ours["uncounted"] == 0
    expected = totals("table", "v3-small")
    assert (ours["macs"], ours["params"]) == (expected["macs"], expected["params"])


MODULE = textwrap.dedent(
    """
    import keras
    from keras import layers

    @keras.saving.register_keras_serializable("demo")
    class Swish2(layers.Layer):
        def call(self, x):
            return x * keras.ops.sigmoid(x)

    def small(input_shape=(32, 32, 3)):
        x = inputs = keras.Input(input_shape)
        x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU(6.0)(x)
        x = layers.DepthwiseConv2D(3, padding="same")(x)
        x = layers.Conv2D(16, 1)(x)
        x = layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, layers.Dense(10)(x), name="small")

    def custom():
        x = inputs = keras.Input((8, 8, 4))
        return keras.Model(inputs, Swish2(name="my_swish")(layers.Conv2D(4, 3)(x)))

    def lambda_model():
        x = inputs = keras.Input((8, 8, 4))
        return keras.Model(inputs, layers.Lambda(lambda t: t * 2, name="doubler")(x))

    def open_sizes():
        x = inputs = keras.Input((None, None, 3), name="image")
        return keras.Model(inputs, layers.Conv2D(4, 3)(x))
    """
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    (folder / "demo_models.py").write_text(MODULE)
    sys.path.insert(0, str(folder))
    import demo_models

    yield folder, demo_models
    sys.path.remove(str(folder))


def test_every_source_gives_the_same_numbers(demo):
    folder, models = demo
    model = models.small()
    model.save(folder / "small.keras")
    model.save(folder / "small.h5")
    by_object = mobicalc.cost(model)
    # by hand: conv 16x16 x 8 x 9 x 3; depthwise 16x16 x 8 x 9; pointwise 16x16 x 8 x 16; dense 16 x 10
    macs = 256 * 8 * 27 + 256 * 8 * 9 + 256 * 8 * 16 + 160
    tf = tensorflow_count(model, [(32, 32, 3)])
    assert by_object.macs == macs == tf.macs and by_object.params == tf.params
    expected = {"macs": macs, "params": tf.params}
    for source in ("small.keras", "small.h5", "demo_models:small"):
        process = run("table", "--keras", source, "--format", "json", cwd=folder, path=[str(folder)])
        assert process.returncode == 0, process.stderr
        got = json.loads(process.stdout)["totals"]
        assert {key: got[key] for key in expected} == expected, source
        assert got["peak_activation_bytes"] == by_object.memory.peak_activation_bytes


def test_unknown_class_and_lambda_are_named(demo):
    folder, models = demo
    models.custom().save(folder / "custom.keras")
    models.lambda_model().save(folder / "lambda.keras")
    refused = run("table", "--keras", "custom.keras", cwd=folder)
    assert (
        refused.returncode == 2 and "demo>Swish2" in refused.stderr and "--custom-objects" in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    loaded = run("table", "--keras", "custom.keras", "--custom-objects", "demo_models", "--format", "json",
                 cwd=folder, path=[str(folder)])  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    document = json.loads(loaded.stdout)
    assert document["totals"]["uncounted"] == 1
    assert [row["counted"] for row in document["layers"]] == [True, False]
    lam = run("table", "--keras", "lambda.keras", cwd=folder)
    assert lam.returncode == 2 and "Lambda" in lam.stderr and "--unsafe" in lam.stderr
    check = run("check", "--keras", "demo_models:custom", "--max-macs", "1G", cwd=folder, path=[str(folder)])
    assert check.returncode == 1 and "incomplete" in check.stdout
    allowed = run("check", "--keras", "demo_models:custom", "--max-macs", "1G", "--allow-uncounted",
                  cwd=folder, path=[str(folder)])  # fmt: skip
    assert allowed.returncode == 0


def test_open_sizes_name_the_input_and_axes(demo):
    folder, _ = demo
    process = run("table", "--keras", "demo_models:open_sizes", cwd=folder, path=[str(folder)])
    assert process.returncode == 2 and "'image'" in process.stderr and "axis 1 (height)" in process.stderr
    sized = run("table", "--keras", "demo_models:open_sizes", "--resolution", "10x12", "--format", "json",
                cwd=folder, path=[str(folder)])  # fmt: skip
    assert json.loads(sized.stdout)["totals"]["macs"] == 8 * 10 * 4 * 9 * 3  # valid 3x3: 8x10 pixels


def test_hostile_files_are_one_line(tmp_path):
    (tmp_path / "dir.keras").mkdir()
    (tmp_path / "text.keras").write_text("not a zip")
    (tmp_path / "model.txt").write_text("")
    (tmp_path / "truncated.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 10)
    with zipfile.ZipFile(tmp_path / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b"0" * (65 * 2**20))  # compresses to about 64 KB
    os.mkfifo(tmp_path / "fifo.keras")
    for name in (
        "dir.keras",
        "text.keras",
        "model.txt",
        "truncated.h5",
        "bomb.keras",
        "fifo.keras",
        "none.h5",
    ):
        process = run("table", "--keras", str(tmp_path / name))
        assert process.returncode == 2, (name, process.stderr)
        lines = [line for line in process.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in process.stderr, (name, process.stderr)


@pytest.mark.parametrize(
    ("function", "size"),
    [
        ("MobileNetV3Small", 96), ("EfficientNetB0", 64), ("EfficientNetV2B0", 64), ("ResNet50V2", 64),
        ("DenseNet121", 64), ("VGG16", 32), ("InceptionV3", 75), ("Xception", 71), ("NASNetMobile", 64),
        ("InceptionResNetV2", 75), ("MobileNet", 64),
    ],
)  # fmt: skip
def test_one_model_of_each_family_against_tensorflow(function, size):
    """Without the classifier, at a small size: CI time stays small (benchmarks/keras_zoo.py does all)."""
    model = getattr(keras.applications, function)(
        weights=None, include_top=False, input_shape=(size, size, 3)
    )
    ours = mobicalc.cost(model)
    tf = tensorflow_count(model, [(size, size, 3)])
    assert tf.blind == ()
    assert ours.uncounted == ()
    assert (ours.macs, ours.params) == (tf.macs, tf.params)
    keras.backend.clear_session()
