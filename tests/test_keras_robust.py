"""A hostile user's Keras models: weights no layer call uses, sizes the model fixes, Lambda files under
--unsafe, models that cannot run, a broken TensorFlow. Each model is built here, small.

Numbers: hand calculations written here, and Keras' own ``count_params()``; never our output.
"""

import json
import os
import sys
import textwrap

import numpy as np
import pytest
from helpers import environment, mobicalc_process, run

pytestmark = pytest.mark.tensorflow

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

import mobicalc  # noqa: E402
from mobicalc.errors import MobicalcError  # noqa: E402

layers = keras.layers

MODULE = textwrap.dedent(
    """
    import keras
    from keras import layers


    class RawMatmul(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(20)

        def build(self, shape):
            self.w = self.add_weight(shape=(20, 30), initializer="ones")
            super().build(shape)

        def call(self, x):
            return self.d(x) @ self.w  # a raw op, with a weight no layer call uses


    def raw_matmul():
        return RawMatmul()


    def two_in():
        a = keras.Input((None, 8), name="a")
        b = keras.Input((10,), name="b")
        x = layers.GlobalAveragePooling1D(name="gap")(layers.Dense(4, name="da")(a))
        return keras.Model([a, b], layers.Add(name="add")([x, layers.Dense(4, name="db")(b)]))


    def sized(input_shape=(8, 8, 3)):  # named by its size, as keras.applications' models are
        name = f"net_{input_shape[0]}"
        return keras.Sequential([keras.Input(input_shape), layers.Conv2D(4, 3, name="c")], name=name)


    def unbuilt_sequential():
        return keras.Sequential([layers.Dense(16, name="d1"), layers.Dense(4, name="d2")])


    def rnn():
        i = keras.Input((10, 8))
        return keras.Model(i, layers.Dense(4, name="fc")(layers.LSTM(16, name="lstm")(i)))


    def fixed_image():
        return keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="c")])


    class Fails(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(4)

        def call(self, x):
            raise RuntimeError("boom inside call")


    def fails():
        return Fails()
    """
)


@pytest.fixture(scope="module")
def robust(tmp_path_factory):
    """A module of the models above, importable as ``robust_models`` (its folder first on sys.path)."""
    folder = tmp_path_factory.mktemp("robust")
    (folder / "robust_models.py").write_text(MODULE)
    sys.path.insert(0, str(folder))
    try:
        import robust_models

        yield folder, robust_models
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("robust_models", None)


# Dense(20) on 10 inputs: 10 x 20 MACs, 10 x 20 + 20 params; the raw matmul's weight: 20 x 30 params.
DENSE_MACS, DENSE_PARAMS, RAW_PARAMS = 10 * 20, 10 * 20 + 20, 20 * 30


def test_weights_of_no_layer_call_make_the_count_incomplete(robust):
    _, models = robust
    model = models.raw_matmul()
    network = mobicalc.cost(model, input_shape=[(10,)])
    assert model.count_params() == DENSE_PARAMS + RAW_PARAMS  # Keras sees the raw op's weight
    assert (network.totals.macs, network.totals.params) == (DENSE_MACS, DENSE_PARAMS)
    assert network.unseen_params == RAW_PARAMS
    assert network.check({"params": 10**6}).ok is False  # within budget, but nothing is proved
    assert network.check({"params": 10**6}, allow_uncounted=True).ok is True

    args = ("check", "--keras", "robust_models:raw_matmul", "--input-shape", "10", "--max-params", "1M")
    refused = run(*args, code=1)
    assert "incomplete" in refused.output and "600 params in weights of no layer call" in refused.output
    assert "all within budget" not in refused.output  # exit 1: the verdict never says otherwise
    assert "all within budget" in run(*args, "--allow-uncounted").output
    document = json.loads(run(*args, "--allow-uncounted", "--format", "json").output)
    assert document["totals"]["uncounted_params"] == RAW_PARAMS and document["totals"]["uncounted"] == 0
    table = json.loads(run("table", "--keras", "robust_models:two_in", "--input-shape", "20x8,10",
                           "--format", "json").output)  # fmt: skip
    assert table["totals"]["uncounted_params"] == 0  # a graph: every weight is a layer's


@pytest.mark.parametrize("command", ["table", "check", "verify", "bench"])
def test_a_size_the_model_fixes_cannot_be_changed(robust, command):
    # two_in's input b is (10,): 11 is a model that cannot exist.
    extra = {"check": ["--max-macs", "1G"], "bench": ["--rounds", "1"]}.get(command, [])
    result = run(command, "--keras", "robust_models:two_in", "--input-shape", "20x8,11", *extra, code=2)
    message = result.output.strip().splitlines()[-1]
    assert "input 'b' fixes axis 1 at 10" in message and "has 11" in message
    assert "Traceback" not in result.output
    if command == "table":  # a resolution: the same for an image the model fixes at 8 x 8
        swept = run("sweep", "--keras", "robust_models:fixed_image", "--resolution", "8,16", code=2).output
        assert "fixes axis 1 (height) at 8" in swept and "has 16" in swept


def test_a_file_fixes_its_channels_and_size(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="c")])
    model.save(tmp_path / "fixed.keras")
    path = str(tmp_path / "fixed.keras")
    channels = run("table", "--keras", path, "--input-shape", "8x8x5", code=2).output
    assert "axis 3 (channels) at 3" in channels and "has 5" in channels
    size = run("table", "--keras", path, "--resolution", "16", code=2).output
    assert "axis 1 (height) at 8" in size and "has 16" in size
    # 6 x 6 outputs of 4 channels, each 3 x 3 x 3 MACs: the model's own size stands.
    assert (
        json.loads(run("table", "--keras", path, "--format", "json").output)["totals"]["macs"] == 36 * 4 * 27
    )
    open_model = keras.Sequential([keras.Input((None, None, 3)), layers.Conv2D(4, 3, name="c")])
    assert mobicalc.cost(open_model, resolution=10).totals.macs == 8 * 8 * 4 * 27  # open axes stay free


def test_the_number_of_shapes_must_be_the_number_of_inputs(robust):
    for shapes in ("20x8,10,5", "20x8"):
        message = run("table", "--keras", "robust_models:two_in", "--input-shape", shapes, code=2).output
        given = shapes.count(",") + 1
        assert f"the model has 2 inputs ('a', 'b'); --input-shape gives {given} shape" in message
    with pytest.raises(MobicalcError, match="has 2 inputs"):
        mobicalc.cost(robust[1].two_in(), input_shape=[(20, 8)])


def test_unsafe_loads_a_lambda_file(tmp_path):
    model = keras.Sequential(
        [keras.Input((8,)), layers.Dense(8, name="d"), layers.Lambda(lambda t: t * 2, name="lam")]
    )
    model.save(tmp_path / "lam.keras")
    path = str(tmp_path / "lam.keras")
    assert "Lambda" in run("table", "--keras", path, code=2).output  # safe: refused
    document = json.loads(run("table", "--keras", path, "--unsafe", "--format", "json").output)
    assert document["totals"]["params"] == 8 * 8 + 8 == model.count_params()


def test_a_model_that_cannot_run_keeps_the_users_own_message(robust):
    message = run("table", "--keras", "robust_models:fails", "--input-shape", "3", code=2).output
    last = message.strip().splitlines()[-1]
    assert "boom inside call" in last and "cannot run at input 3" in last


def test_an_unbuilt_subclassed_model_is_built_without_an_eager_call():
    calls = []

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(4, 3, name="conv")
            self.pool = layers.GlobalAveragePooling2D(name="pool")
            self.dense = layers.Dense(2, name="dense")

        def call(self, x):
            calls.append(type(x).__name__)
            return self.dense(self.pool(self.conv(x)))

    fresh = mobicalc.cost(Net(), input_shape=[(30, 30, 3)])
    assert calls and "EagerTensor" not in calls  # never run on real values: symbolic only
    built = Net()
    built(np.zeros((1, 30, 30, 3), "float32"))
    own = mobicalc.cost(built)
    names = [record.layer.name for record in fresh.records]
    assert names == [record.layer.name for record in own.records]
    assert len(names) == len(set(names))  # each call once: the build pass is not recorded
    # conv: 28 x 28 outputs of 4 channels, each 3 x 3 x 3 MACs; dense: 4 x 2.
    assert fresh.totals.macs == own.totals.macs == 28 * 28 * 4 * 27 + 4 * 2


CUSTOM = textwrap.dedent(
    """
    import tensorflow  # as a user's module may: TensorFlow's C++ logs would come now
    import keras


    @keras.saving.register_keras_serializable(package="robust")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2
    """
)


def test_custom_objects_import_is_quiet(tmp_path):
    (tmp_path / "robust_custom.py").write_text(CUSTOM)
    sys.path.insert(0, str(tmp_path))
    try:
        import robust_custom

        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d"), robust_custom.Twice()])
        model.save(tmp_path / "custom.keras")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("robust_custom", None)
    env = environment(PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user's shell has it: unset
    process = mobicalc_process(
        "table", "--keras", "custom.keras", "--custom-objects", "robust_custom", "--format", "json",
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    assert json.loads(process.stdout)["totals"]["params"] == 4 * 3 + 3  # the Dense; Twice has none


def test_an_unbuilt_sequential_is_no_subclassed_model(robust):
    for command in (["table"], ["verify"], ["bench", "--rounds", "1"]):
        result = run(command[0], "--keras", "robust_models:unbuilt_sequential", "--input-shape", "5",
                     *command[1:])  # fmt: skip
        assert "subclassed" not in result.output
    # d1: 5 x 16 MACs, 5 x 16 + 16 params; d2: 16 x 4, 16 x 4 + 4.
    network = mobicalc.cost(robust[1].unbuilt_sequential(), input_shape=[(5,)])
    assert (network.totals.macs, network.totals.params) == (5 * 16 + 16 * 4, 96 + 68)


def test_a_sweep_of_a_builder_names_every_size_alike(robust):
    document = json.loads(run("sweep", "--keras", "robust_models:sized", "--resolution", "8,16",
                              "--format", "json").output)  # fmt: skip
    text = json.dumps(document)
    assert "net_8" not in text and "net_16" not in text  # not the first size's own name for every size
    assert document["model"]["name"] == "robust_models:sized"


def test_verify_leaves_a_flops_count_it_does_not_know_unknown(robust):
    args = ("--keras", "robust_models:rnn", "--convention", "tf-profiler", "--format", "json")
    table = {row["name"]: row for row in json.loads(run("table", *args).output)["layers"]}
    verify = json.loads(run("verify", *args).output)
    rows = {row["name"]: row for row in verify["checks"][0]["layers"]}
    assert table["lstm"]["flops"] is None and rows["lstm"]["flops"] is None  # the profiler's are not known
    assert rows["fc"]["flops"] == rows["fc"]["tf_flops"] == 2 * 16 * 4 + 4  # 2 x MACs + the bias adds
