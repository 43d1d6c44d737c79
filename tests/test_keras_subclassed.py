"""Subclassed Keras models (no graph: a ``call()`` of Python), walked by the calls of their layers.

Numbers: hand calculations written here, and Keras' own ``count_params()``; never our output. A raw
op inside ``call()`` (``keras.ops.matmul``) is no layer's: the count leaves it out, and says so.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.tensorflow

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

import mobicalc  # noqa: E402
from mobicalc.errors import MobicalcError  # noqa: E402
from mobicalc.tf.keras_model import KerasModelError  # noqa: E402
from mobicalc.tf.subclassed import layer_calls  # noqa: E402

layers = keras.layers


class Block(layers.Layer):
    """A composite custom layer (no formula of its own): its layers are counted, as block/dw, ..."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.dw = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")
        self.bn = layers.BatchNormalization(name="bn")
        self.pw = layers.Conv2D(filters, 1, use_bias=False, name="pw")

    def call(self, x):
        return self.pw(keras.ops.relu(self.bn(self.dw(x))))  # a raw relu: no MACs to miss


class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(8, 3, strides=2, padding="same", name="conv")
        self.bn = layers.BatchNormalization(name="bn")
        self.relu = layers.ReLU(name="relu")
        self.block = Block(16, name="block")
        self.shared = layers.Conv2D(16, 1, name="shared")
        self.pool = layers.GlobalAveragePooling2D(name="pool")
        self.head = keras.Sequential([layers.Dense(10, name="dense")], name="head")

    def call(self, x):
        x = self.block(self.relu(self.bn(self.conv(x))))
        return self.head(self.pool(self.shared(self.shared(x))))


# At 16x16x3, every layer after conv works on 8x8 = 64 pixels.
BY_HAND = {  # name: (MACs, params)
    "conv": (64 * 8 * 3 * 3 * 3, 3 * 3 * 3 * 8 + 8),  # 13,824; 224
    "bn": (0, 4 * 8),
    "relu": (0, 0),
    "block/dw": (64 * 8 * 3 * 3, 8 * 3 * 3),  # 4,608; 72
    "block/bn": (0, 4 * 8),
    "block/pw": (64 * 8 * 16, 8 * 16),  # 8,192; 128
    "shared": (64 * 16 * 16, 16 * 16 + 16),  # 16,384; 272
    "shared (call 2)": (64 * 16 * 16, 0),  # MACs at every call, params once
    "pool": (0, 0),
    "head/dense": (16 * 10, 16 * 10 + 10),  # 160; 170
}
MACS = 13_824 + 4_608 + 8_192 + 2 * 16_384 + 160
PARAMS = 224 + 32 + 72 + 32 + 128 + 272 + 170


def test_subclassed_model_by_hand_and_count_params():
    model = Net()
    network = mobicalc.cost(model, input_shape=[(16, 16, 3)])
    rows = {record.layer.name: (record.cost.macs, record.cost.params) for record in network.records}
    assert rows == BY_HAND
    assert (network.totals.macs, network.totals.params) == (MACS, PARAMS) == (59_552, 930)
    assert network.totals.params == model.count_params()
    reads = {record.layer.name: record.layer.reads for record in network.records}
    assert reads["block/pw"] == ("block/bn",)  # through the raw relu, in the TensorFlow graph
    assert reads["shared (call 2)"] == ("shared",)
    assert reads["head/dense"] == ("pool",)  # into the nested Sequential
    depthwise = next(record for record in network.records if record.layer.name == "block/dw")
    assert depthwise.standard.macs == 64 * 3 * 3 * 8 * 16  # the dw + pw pair as one convolution
    assert any("raw ops in call()" in note for note in network.architecture.notes)


def test_built_and_unbuilt_give_the_same_numbers_and_a_built_one_knows_its_size():
    built = Net()
    built(np.zeros((1, 16, 16, 3), "float32"))
    own = mobicalc.cost(built)  # the size Keras kept when it was built
    fresh = mobicalc.cost(Net(), input_shape=[(16, 16, 3)])
    assert [r.layer.name for r in own.records] == [r.layer.name for r in fresh.records]
    assert own.totals == fresh.totals and own.totals.macs == MACS
    assert mobicalc.cost(built, resolution=32).totals.macs == 4 * (MACS - 160) + 160  # 4x the pixels


def test_a_subclassed_model_without_a_size_is_one_error():
    with pytest.raises(MobicalcError, match=r"does not declare its input size.*--input-shape"):
        mobicalc.cost(Net())


def test_layer_call_is_restored_even_when_the_walk_fails():
    original = keras.layers.Layer.__dict__["__call__"]

    class Fails(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            if keras.layers.Layer.__dict__["__call__"] is not original:  # the recorded pass only
                raise RuntimeError("not while recorded")
            return self.dense(x)

    with pytest.raises(KerasModelError, match="cannot run"):
        mobicalc.cost(Fails(), input_shape=[(4,)])
    assert keras.layers.Layer.__dict__["__call__"] is original
    with pytest.raises(ZeroDivisionError), layer_calls(keras, lambda *_: 1 / 0):
        layers.Dense(2)(np.zeros((1, 3)))
    assert keras.layers.Layer.__dict__["__call__"] is original


@pytest.mark.parametrize("convention", ["keras", "tf-profiler"])
def test_verify_proves_a_subclassed_model_row_by_row(convention):
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(Net(), input_shapes=[(16, 16, 3)], convention=convention)
    (check,) = verification.checks
    rows = {layer.name: layer for layer in check.layers}
    assert list(rows) == list(BY_HAND)  # the raw relu in block has no MACs: no row of raw ops
    assert {name: (row.tf_macs, row.tf_params) for name, row in rows.items()} == BY_HAND
    assert verification.ok and all(row.verdict is True for row in rows.values())
    assert check.engine_totals["macs"] == check.tf_totals["macs"] == MACS
    assert check.tf_totals["params"] == PARAMS
    if convention == "tf-profiler":
        # TensorFlow's flops by hand: 2 per MAC, a BiasAdd 1 per value (conv: 8x8x8; shared: 8x8x16;
        # dense: 10), bn 2 x 512 + 6 x 8 (tests/test_keras_verify.py), the pool's Mean 1 per value read
        flops = {"conv": 2 * 13_824 + 512, "bn": 1072, "block/dw": 2 * 4_608, "shared": 2 * 16_384 + 1024,
                 "pool": 8 * 8 * 16, "head/dense": 2 * 160 + 10}  # fmt: skip
        assert {name: rows[name].tf_flops for name in flops} == flops
        assert check.engine_totals["flops"] == check.tf_totals["flops"] == check.profiler_flops


class Mix(layers.Layer):
    """A composite layer whose call() has a raw op: a matmul by a weight of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d = layers.Dense(4, name="d")

    def build(self, shape):
        self.w = self.add_weight(shape=(4, 2), name="w")

    def call(self, x):
        return keras.ops.matmul(self.d(x), self.w)


class Twins(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = layers.Dense(4, name="d")
        self.b = layers.Dense(4, name="d")  # the same name: the walk's "d #2"
        self.mix = Mix(name="mix")

    def call(self, x):
        return self.mix(self.b(self.a(x)))


def test_verify_names_twins_and_raw_ops_of_a_composite_layer():
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(Twins(), input_shapes=[(4,)])
    (check,) = verification.checks
    rows = {layer.name: layer for layer in check.layers}
    # by hand: each Dense 4 x 4 MACs, 16 + 4 params; the raw matmul 4 x 2 MACs by a weight of 8
    expected = {"d": (16, 20), "d #2": (16, 20), "mix/d": (16, 20), "mix/raw ops in call()": (8, None)}
    assert {name: (row.tf_macs, row.tf_params) for name, row in rows.items()} == expected
    raw = rows["mix/raw ops in call()"]
    assert raw.engine_macs is None and raw.verdict is False  # not counted by mobicalc: never agreement
    assert (check.engine_totals["macs"], check.tf_totals["macs"]) == (3 * 16, 3 * 16 + 8)
    assert (check.engine_totals["params"], check.tf_totals["params"]) == (3 * 20, 3 * 20 + 8)
    assert not verification.ok


class Outer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(4, name="dense")

    def call(self, x):
        y = self.dense(x)
        return tf.einsum("bi,bj->bij", y, y)  # a raw Einsum: TensorFlow cannot count it either


def test_raw_ops_tensorflow_cannot_count_are_never_agreement():
    from mobicalc.tf.keras_verify import verify_keras

    verification = verify_keras(Outer(), input_shapes=[(4,)])
    (check,) = verification.checks
    rows = {layer.name: layer for layer in check.layers}
    assert rows["dense"].tf_macs == 4 * 4 and rows["dense"].verdict is True
    raw = rows["raw ops in call()"]
    assert raw.tf_macs is None and "Einsum" in raw.not_comparable and raw.verdict is False
    assert "macs" not in check.tf_totals and check.engine_totals["params"] == check.tf_totals["params"]
    assert not verification.ok  # only the raw row differs: mobicalc leaves its work out, knowingly


RAW = textwrap.dedent(
    """
    import keras

    @keras.saving.register_keras_serializable("rawmod")
    class Raw(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(16, name="dense")
            self.w = self.add_weight(shape=(16, 4), name="w")

        def call(self, x):
            return keras.ops.matmul(self.dense(x), self.w)  # a raw op: 16 x 4 MACs no layer makes

    def build():
        return Raw(name="raw")
    """
)


def run(*arguments, path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "mobicalc", *arguments], capture_output=True, text=True, env=env, cwd=path
    )


def test_raw_ops_are_not_counted_and_the_output_says_so(tmp_path):
    (tmp_path / "rawmod.py").write_text(RAW)
    sys.path.insert(0, str(tmp_path))
    try:
        import rawmod

        model = rawmod.build()
        model(np.zeros((1, 8), "float32"))
        model.save(tmp_path / "raw.keras")
    finally:
        sys.path.remove(str(tmp_path))
    dense = 8 * 16  # the Dense layer: counted
    matmul = 16 * 4  # keras.ops.matmul with a weight of the model's own: not counted
    assert model.count_params() == (dense + 16) + matmul  # 208: Keras sees the raw op's weight

    process = run(
        "table", "--keras", "raw.keras", "--custom-objects", "rawmod", "--format", "json", path=tmp_path
    )
    assert process.returncode == 0, process.stderr
    document = json.loads(process.stdout)
    assert (document["totals"]["macs"], document["totals"]["params"]) == (dense, dense + 16)
    assert document["model"]["inputs"] == [[8]]  # the size the saved model was built at
    notes = " ".join(document["model"]["notes"])
    assert "raw ops in call()" in notes and "64 parameters" in notes

    text = run("table", "--keras", "rawmod:build", "--input-shape", "8", path=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "raw ops in call()" in " ".join(text.stdout.split())

    verify = run(
        "verify", "--keras", "raw.keras", "--custom-objects", "rawmod", "--format", "json", path=tmp_path
    )
    assert verify.returncode == 1, verify.stderr  # verify's code for counts that differ (cli/exits.py)
    (check,) = json.loads(verify.stdout)["checks"]
    rows = {row["name"]: row for row in check["layers"]}
    assert list(rows) == ["dense", "raw ops in call()"]
    assert (rows["dense"]["tf_macs"], rows["dense"]["tf_params"], rows["dense"]["ok"]) == (dense, 144, True)
    raw = rows["raw ops in call()"]  # TensorFlow counts the raw matmul; mobicalc does not, and says so
    assert (raw["kind"], raw["macs"], raw["tf_macs"], raw["ok"]) == ("raw ops", None, matmul, False)
    assert check["engine_totals"]["macs"] == dense and check["tensorflow_totals"]["macs"] == dense + matmul
    assert check["engine_totals"]["params"] == dense + 16 and check["tensorflow_totals"]["params"] == 208

    for source in (["rawmod:build", "--input-shape", "8"], ["raw.keras", "--custom-objects", "rawmod"]):
        bench = run("bench", "--keras", *source, "--rounds", "1", "--format", "json", path=tmp_path)
        assert bench.returncode == 0, bench.stderr
        document = json.loads(bench.stdout)
        rows = {row["name"]: row for row in document["layers"]}
        assert list(rows) == ["dense", "raw ops in call()"]
        assert rows["dense"]["macs"] == dense and rows["dense"]["time_s"] > 0
        raw = rows["raw ops in call()"]  # the matmul is timed on a row of its own, and not counted
        assert raw["kind"] == "raw ops" and raw["macs"] is raw["macs_share"] is raw["gmacs_per_s"] is None
        assert raw["time_s"] >= 0  # a matmul this small may be too cheap for the profiler (docs/bench.md)
        shares = sum(row["time_share"] for row in rows.values()) + document["timing"]["unattributed_share"]
        assert shares == pytest.approx(1)
        kinds = {row["kind"]: row for row in document["breakdown"]}
        assert kinds["raw ops"]["macs"] is None and kinds["raw ops"]["layers"] == 1
        assert sum(row["time_share"] for row in document["breakdown"]) == pytest.approx(1)


def test_the_compiled_forward_pass_of_a_subclassed_model_is_its_own():
    from mobicalc.tf.trace import compile_graph

    original = keras.layers.Layer.__dict__["__call__"]
    for model, shape in ((Net(), (16, 16, 3)), (Twins(), (4,))):
        mobicalc.cost(model, input_shape=[shape])  # built, as bench builds it
        function, tracer = compile_graph(model, [shape])
        x = tf.random.stateless_normal((1, *shape), seed=(1, 0))
        eager = model(x, training=False).numpy()  # TensorFlow's own run; a graph may fuse ops, so allclose
        np.testing.assert_allclose(function(x).numpy(), eager, rtol=1e-5, atol=1e-6)
        assert function.experimental_get_tracing_count() == 1  # traced once, when compiled
        assert keras.layers.Layer.__dict__["__call__"] is original  # put back after the trace
    rows = set(tracer.scopes.values())  # Twins': every call's scope, and one per call()'s raw ops
    assert rows == {"d", "d #2", "mix/d", "mix/raw ops in call()", "raw ops in call()"}


def test_bench_times_every_row_of_a_subclassed_model():
    result = mobicalc.bench(Net(), input_shape=[(16, 16, 3)], rounds=1)
    attribution = result.attribution
    raw = "block/raw ops in call()"  # Block's keras.ops.relu: the only op no layer call makes
    assert result.raw == (raw,)
    assert list(attribution.picoseconds) == [*BY_HAND, raw]
    assert {record.layer.name: record.cost.macs for record in result.network.records} == {
        name: macs for name, (macs, _) in BY_HAND.items()
    }
    assert result.network.macs == MACS
    assert sum(map(attribution.share, attribution.picoseconds)) + attribution.unattributed_share == 1
    assert attribution.seconds("conv") > 0 and attribution.ops["shared (call 2)"] > 0
    from mobicalc.views.bench import bench_report

    rows = {row["name"]: row for row in bench_report(result).document["layers"].rows}
    assert rows[raw]["macs"] is None and rows[raw]["gmacs_per_s"] is None and rows[raw]["kind"] == "raw ops"
    assert rows["block/pw"]["macs"] == 64 * 8 * 16


class Heavy(keras.Model):
    """Most of its work a raw op: a 512 x 512 matmul by a weight of its own, after a Dense layer."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(512, name="dense")
        self.w = self.add_weight(shape=(512, 512), name="w")

    def call(self, x):
        return keras.ops.matmul(self.dense(x), self.w)


def test_bench_gives_a_raw_op_its_own_time():
    result = mobicalc.bench(Heavy(), input_shape=[(8,)], rounds=1)
    attribution = result.attribution
    assert list(attribution.picoseconds) == ["dense", "raw ops in call()"]
    assert result.network.macs == 8 * 512  # the raw matmul's 512 x 512 MACs are not counted
    assert attribution.ops["raw ops in call()"] >= 1 and attribution.seconds("raw ops in call()") > 0
    assert sum(map(attribution.share, attribution.picoseconds)) + attribution.unattributed_share == 1
