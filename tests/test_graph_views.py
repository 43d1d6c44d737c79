"""What table shows of a graph's layers (a Keras model's, made here without TensorFlow): a shared layer's
bytes, a layer no formula counts, and the words of its notes."""

import csv
import io
import json
from fractions import Fraction

from mobicalc.count.graph import Step, graph_cost
from mobicalc.count.keras_layers import Call
from mobicalc.count.roofline import roofline
from mobicalc.model.graph import GraphModel
from mobicalc.model.layers import IMAGE
from mobicalc.render import render
from mobicalc.render.target import Target
from mobicalc.views.table import table_report

MODEL = GraphModel("demo", "Keras model (Functional)", "test", 1, 8, ((8,),))
DENSE = {"units": 8, "use_bias": True}


def call(name, key, config, reads, owner):
    return Step(name, key, Call(config, ((1, 8),), ((1, 8),)), reads, owner)


def shared_dense():
    """One Dense(8) on 8 values, called twice (its output fed back to it), then a layer no formula counts."""
    return graph_cost(
        MODEL,
        [
            call("shared", "Dense", DENSE, (IMAGE,), owner=1),
            call("shared (call 2)", "Dense", DENSE, ("shared",), owner=1),
            call("mine", "demo.Mine", {}, ("shared (call 2)",), owner=2),
        ],
    )


def test_each_call_of_a_shared_layer_reads_its_weights():
    network = shared_dense()
    assert network.params == 8 * 8 + 8  # counted once: one kernel, one bias
    first, second, _ = roofline(network, "100", "10")
    # each call moves its 8 inputs, its 8 outputs, the 64 weights and 8 biases: 88 values of 4 bytes
    assert first.moved_bytes == second.moved_bytes == 4 * (8 + 8 + 64 + 8)
    assert first.intensity == second.intensity == Fraction(64, 352)
    # memory-bound: 352 bytes at 10 GB/s take 35.2 ns; 128 FLOPs at 100 GFLOP/s, 1.28 ns
    assert second.estimate.seconds == Fraction(352, 10 * 10**9)


def test_a_layer_no_formula_counts_is_never_shown_as_zero():
    report = table_report(shared_dense())
    document = json.loads(render(report, "json", Target()))
    mine = document["layers"][-1]
    counts = ["macs", "macs_share", "params", "flops", "trainable_params", "non_trainable_params", "weights",
              "bias", "standard_macs", "standard_params", "separable_macs", "separable_params", "intensity"]  # fmt: skip
    assert mine["counted"] is False
    assert {key: mine[key] for key in counts} == dict.fromkeys(counts)
    assert mine["activation_elements"] == 8  # its output is known all the same
    uncounted = document["breakdown"]["uncounted"]
    assert uncounted["layers"] == 1
    assert {key: value for key, value in uncounted.items() if key != "layers"} == dict.fromkeys(
        key for key in uncounted if key != "layers"
    )
    row = list(csv.DictReader(io.StringIO(render(report, "csv", Target()))))[-1]
    assert row["name"] == "mine" and {key: row[key] for key in counts} == dict.fromkeys(counts, "")
    text = render(report, "table", Target(width=120))
    breakdown = text[text.index("By layer kind") :].splitlines()
    assert [line.split() for line in breakdown if line.startswith("uncounted")] == [["uncounted", "1"]]


def test_one_layer_is_one_layer():
    text = render(table_report(shared_dense()), "table", Target(width=120))
    assert "incomplete: 1 layer not counted (mine" in text
    assert "1 layers" not in text
