"""`mobicalc bench` run for real, on tiny models: what it measures is attributed and reported whole.

Every test here loads TensorFlow; none asserts how long anything took. They check what
holds whatever the timings: every layer gets its ops, none is counted twice, the shares
add up to 1, the JSON has its keys, and the counts beside the times are the engine's.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from helpers import ROOT, TIMEOUT, run
from tiny import TINY

import mobicalc
from mobicalc.count.attribution import attribute
from mobicalc.tf.build import build_network
from mobicalc.tf.runtime import import_tensorflow
from mobicalc.tf.trace import compile_forward, profile

pytestmark = pytest.mark.tensorflow


def test_a_tiny_model_run_for_real_gives_every_layer_its_ops_once():
    tf = import_tensorflow()
    model, owners = build_network(TINY)
    function, scopes = compile_forward(model)
    by_layer = {scope: owners[keras] for scope, keras in scopes.items() if keras in owners}
    x = tf.zeros((1, 16, 16, 3))
    function(x)
    ops = profile([(function, x)], iterations=3)
    layers = [layer.name for layer in TINY]
    attribution = attribute(ops, by_layer, layers, iterations=3)
    assert all(attribution.ops[layer] > 0 for layer in layers), attribution.ops
    assert attribution.total == sum(op.picoseconds for op in ops)  # none twice, none lost
    assert sum(attribution.share(layer) for layer in layers) + attribution.unattributed_share == 1
    # Every op that ran is under some Keras layer's scope: TensorFlow named none outside the model.
    assert attribution.unattributed == 0, attribution.unattributed_ops
    # The scopes TensorFlow made unique: layer conv's ops ran in conv_1, layer conv_1's in conv_1_2.
    assert {scopes[s] for s in scopes if s.endswith("/conv_1")} == {"conv"}
    assert {scopes[s] for s in scopes if s.endswith("/conv_1_2")} == {"conv_1"}
    # The layers' own calls were restored after tracing.
    assert all("call" not in vars(layer) for layer in model.layers)


def test_bench_model_json_on_a_small_v1_with_its_standard_network():
    data = json.loads(
        run(
            "bench", "v1", "--alpha", "0.25", "--resolution", "64", "--standard", "--rounds", "2",
            "--format", "json",
        ).output
    )  # fmt: skip
    network = mobicalc.cost("v1", alpha="0.25", resolution=64)
    assert [layer["name"] for layer in data["layers"]] == [layer.name for layer in network.layers]
    assert [layer["macs"] for layer in data["layers"]] == [record.cost.macs for record in network.records]
    assert all(layer["time_s"] > 0 for layer in data["layers"])
    shares = sum(layer["time_share"] for layer in data["layers"]) + data["timing"]["unattributed_share"]
    assert shares == pytest.approx(1)
    assert sum(row["time_share"] for row in data["breakdown"]) == pytest.approx(1)
    assert {row["kind"] for row in data["breakdown"]} >= {"conv", "depthwise", "pointwise", "dense", "pool"}
    assert data["standard"]["macs"] == network.standard.macs
    assert data["standard"]["macs_ratio"] == network.macs / network.standard.macs
    assert len(data["samples"]["model"]) == len(data["samples"]["standard"]) == 2
    assert data["environment"]["tensorflow"] == import_tensorflow().__version__


def test_bench_ratio_for_real():
    data = json.loads(run("bench", "ratio", "--N", "32", "--dk", "3", "--dp", "8", "--rounds", "2", "--format",
                          "json").output)  # fmt: skip
    assert data["macs_ratio"] == 41 / 288 == data["closed_form"]  # 1/32 + 1/9
    assert data["depthwise"]["macs"] == 3 * 3 * 32 * 8 * 8 and data["pointwise"]["macs"] == 32 * 32 * 8 * 8
    for part in ("standard", "depthwise", "pointwise", "separable"):
        assert data[part]["time_min_s"] <= data[part]["time_s"]
        assert data[part]["kernel_s"] > 0
    assert len(data["samples"]["separable"]) == data["rounds"] == 2


def test_threads_are_set_before_anything_runs_and_printed(tmp_path):
    plot = tmp_path / "ratio.svg"
    result = subprocess.run(
        [sys.executable, "-m", "mobicalc", "bench", "ratio", "--N", "8", "--dk", "3", "--dp", "4", "--threads", "1",
         "--rounds", "1", "--format", "json", "--plot", str(plot)],
        capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress, no TensorFlow noise on a pipe
    environment = json.loads(result.stdout)["environment"]
    assert (environment["intra_op_threads"], environment["inter_op_threads"]) == (1, 1)
    assert plot.read_text().startswith("<?xml")


def test_threads_cannot_change_once_tensorflow_has_run():
    tf = import_tensorflow()
    tf.zeros(1) + 1  # an op has run in this process
    if tf.config.threading.get_intra_op_parallelism_threads() == 3:
        pytest.skip("this process runs with 3 threads already")
    result = run("bench", "ratio", "--N", "8", "--dk", "3", "--threads", "3", "--rounds", "1", code=2)
    assert "measure in a fresh process" in result.output


def test_the_model_plot_is_drawn(tmp_path):
    plot = tmp_path / "v1.png"
    run("bench", "v1", "--alpha", "0.25", "--resolution", "32", "--rounds", "1", "--plot", str(plot))
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_the_python_examples_of_the_bench_docs_run():
    """docs/bench.md's ```py blocks: the API measured for real (docs/api.md's ```python blocks need no
    TensorFlow and run in tests/test_api.py)."""
    text = (ROOT / "docs" / "bench.md").read_text("utf-8")
    blocks = re.findall(r"```py\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/bench.md", "exec"), namespace)
