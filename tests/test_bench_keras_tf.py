"""`mobicalc bench --keras` run for real on a tiny Keras model, from a .keras file, module:function and
the object: every layer call of the walk gets its row and its ops' time, the shares add up to 1, and
the MACs beside the times are worked out here. Few rounds; nothing asserts how long anything took.
"""

import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

import mobicalc
from mobicalc.cli import main

pytestmark = pytest.mark.tensorflow

MODULE = textwrap.dedent(
    """
    import keras
    from keras import layers


    @keras.saving.register_keras_serializable(package="benchtiny")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0


    def tiny():
        x = inputs = keras.Input((16, 16, 3))
        x = layers.Conv2D(8, 3, name="c1")(x)  # with a bias: TensorFlow may fuse it with r1
        x = layers.ReLU(name="r1")(x)
        x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")(x)
        x = layers.BatchNormalization(name="bn")(x)
        x = layers.ReLU(name="r2")(x)
        x = layers.Conv2D(16, 1, use_bias=False, name="pw")(x)
        x = Twice(name="twice")(x)  # no formula: not counted, but timed
        x = layers.GlobalAveragePooling2D(name="gap")(x)
        shared = layers.Dense(16, name="sh")
        x = shared(shared(x))
        head = keras.Sequential([layers.Dense(4, name="d1"), layers.Dense(3, name="d2")], name="sub")
        return keras.Model(inputs, head(x), name="tiny")
    """
)
NAMES = ["c1", "r1", "dw", "bn", "r2", "pw", "twice", "gap", "sh", "sh (call 2)", "sub/d1", "sub/d2"]
# By hand: c1 14x14 outputs x 8 x (3x3x3); dw 14x14 x 8 x 3x3; pw 14x14 x 8 x 16; sh 16 x 16 at each
# call; d1 16 x 4; d2 4 x 3. Batch-norm, activations and the pool have no MACs; twice is not counted.
MACS = [14 * 14 * 8 * 27, 0, 14 * 14 * 8 * 9, 0, 0, 14 * 14 * 8 * 16, None, 0, 256, 256, 64, 12]


@pytest.fixture(scope="module")
def benchtiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("benchtiny")
    (folder / "benchtiny.py").write_text(MODULE)
    sys.path.insert(0, str(folder))
    import benchtiny

    benchtiny.tiny().save(folder / "tiny.keras")
    yield folder, benchtiny
    sys.path.remove(str(folder))


def test_bench_of_a_keras_file_times_every_layer_call(benchtiny):
    folder, _ = benchtiny
    result = CliRunner().invoke(
        main,
        ["bench", "--keras", str(folder / "tiny.keras"), "--custom-objects", "benchtiny", "--rounds", "2",
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = data["layers"]
    assert [row["name"] for row in rows] == NAMES
    assert [row["macs"] for row in rows] == MACS
    twice = rows[NAMES.index("twice")]
    assert twice["macs"] is None and twice["gmacs_per_s"] is None and twice["time_s"] >= 0
    # The convolution's time is on its own row, whether or not TensorFlow fused it with r1.
    assert rows[0]["time_s"] > 0 and rows[0]["gmacs_per_s"] > 0
    shares = sum(row["time_share"] for row in rows) + data["timing"]["unattributed_share"]
    assert shares == pytest.approx(1)
    assert sum(row["time_share"] for row in data["breakdown"]) == pytest.approx(1)
    kinds = {row["kind"]: row for row in data["breakdown"]}
    assert kinds["uncounted"]["macs"] is None and kinds["conv"]["macs"] == MACS[0]
    assert len(data["samples"]["model"]) == data["timing"]["rounds"] == 2
    assert "standard" not in data or data["standard"] is None
    assert data["environment"]["keras"]


def test_the_api_benches_the_object_and_module_function_alike(benchtiny):
    _, module = benchtiny
    by_object = mobicalc.bench(module.tiny(), rounds=1)
    by_function = mobicalc.bench(keras="benchtiny:tiny", rounds=1)
    for result in (by_object, by_function):
        attribution = result.attribution
        assert list(attribution.picoseconds) == NAMES
        assert [record.cost.macs for record in result.network.records if record.counted] == [
            macs for macs in MACS if macs is not None
        ]
        assert sum(map(attribution.share, NAMES)) + attribution.unattributed_share == 1
        assert attribution.seconds("c1") > 0 and result.model.median > 0
        # Each call of the shared layer ran ops of its own, in its own scope.
        assert attribution.ops["sh"] > 0 and attribution.ops["sh (call 2)"] > 0
