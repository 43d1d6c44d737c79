"""`mobicalc bench` without timing anything and without TensorFlow: what is read from measurements.

The profiler ops' attribution to layers is checked against traces TensorFlow recorded
(tests/data/, made by tests/data/record_traces.py): every op is counted once, the shares add
up to 1, and the shares by kind equal what the raw events give by the layers' names. The
JSON contract and the text at 80 columns are checked on results put together by hand, so
every number asserted is worked out here. Nothing asserts how long anything took.
"""

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

import mobicalc
from mobicalc.count.attribution import OpTime, attribute, fused_owners, owner
from mobicalc.count.costs import layer_cost
from mobicalc.count.layer import compare_layer
from mobicalc.count.timing import Samples, calls_per_sample, paired_ratio
from mobicalc.model.layers import IMAGE
from mobicalc.model.standard import standard_layers
from mobicalc.render import render
from mobicalc.render.target import Target
from mobicalc.tf.bench import ModelBench, RatioBench
from mobicalc.tf.environment import Environment
from mobicalc.views.bench import bench_report
from mobicalc.views.bench_ratio import ratio_bench_report

DATA = Path(__file__).parent / "data"


def recorded(name: str) -> dict:
    """A recorded trace, with its scopes given to engine layers (Keras layer -> the engine's)."""
    trace = json.loads((DATA / name).read_text())
    owners = trace["keras_owners"]
    trace["by_layer"] = {scope: owners[keras] for scope, keras in trace["scopes"].items() if keras in owners}
    trace["events"] = [OpTime(name, kind, picoseconds) for name, kind, picoseconds, _ in trace["ops"]]
    return trace


# --- Attribution ------------------------------------------------------------------------------


def test_an_op_goes_to_the_layer_of_the_longest_scope_it_is_under():
    # TensorFlow made the scope of layer "conv" unique as "conv_1", and layer "conv_1"'s as "conv_1_2".
    scopes = {"m/conv_1": "conv", "m/conv_1_2": "conv_1", "m/conv_1_2/inner": "nested"}
    assert owner("m/conv_1/convolution", scopes) == "conv"
    assert owner("m/conv_1_2/convolution", scopes) == "conv_1"
    assert owner("m/conv_1_2/inner/MatMul", scopes) == "nested"
    assert owner("m/conv_12/convolution", scopes) is None  # a prefix of a name is not its scope
    assert owner("Identity", scopes) is None


def test_attribution_counts_every_op_once():
    ops = [
        OpTime("m/a_1/Conv2D", "Conv2D", 300),
        OpTime("m/a_bn_1/mul", "Mul", 100),
        OpTime("m/b_1/Conv2D", "Conv2D", 500),
        OpTime("m/a_1/Conv2D", "Conv2D", 300),  # the second call
        OpTime("Identity", "Identity", 100),
    ]
    attribution = attribute(ops, {"m/a_1": "a", "m/a_bn_1": "a", "m/b_1": "b"}, ["a", "b", "c"], iterations=2)
    assert attribution.picoseconds == {"a": 700, "b": 500, "c": 0}
    assert attribution.ops == {"a": 3, "b": 1, "c": 0}
    assert attribution.unattributed == 100 and attribution.unattributed_ops == ("Identity",)
    assert attribution.total == 1300
    assert attribution.share("a") == Fraction(7, 13)
    assert attribution.seconds("a") == 350 / 10**12  # per call
    with pytest.raises(ValueError):
        attribute(ops, {"m/a_1": "not a layer"}, ["a"], iterations=1)


def test_a_layers_time_in_each_call_and_in_the_median_call():
    from mobicalc.tf.bench import _typical

    # Two ops of layer "a" in each of 3 calls (events listed out of order); call 2 was hit by a spike.
    ops = [
        OpTime("m/a_1/Conv2D", "Conv2D", 300, start=100),
        OpTime("m/a_1/Conv2D", "Conv2D", 9000, start=2100),
        OpTime("m/a_1/Conv2D", "Conv2D", 310, start=1100),
        OpTime("m/a_1/Relu", "Relu", 50, start=500),
        OpTime("m/a_1/Relu", "Relu", 60, start=1500),
        OpTime("m/a_1/Relu", "Relu", 70, start=2500),
        OpTime("m/b_1/Add", "AddV2", 10, start=600),
    ]
    attribution = attribute(ops, {"m/a_1": "a", "m/b_1": "b"}, ["a", "b"], iterations=3)
    assert attribution.per_iteration("a") == (350e-12, 370e-12, 9070e-12)
    assert _typical(attribution, ("a",)) == 370e-12  # the median call, not the mean (3,263 ps)
    assert attribution.per_iteration("b") is None  # its op ran once in three calls: no per-call split
    assert _typical(attribution, ("b",)) == 10 / 3 * 1e-12


def test_the_recorded_tiny_trace_gives_every_layer_its_ops_and_none_twice():
    trace = recorded("trace-tiny.json")
    events = trace["events"]
    attribution = attribute(events, trace["by_layer"], trace["layers"], trace["iterations"])
    assert all(attribution.ops[layer] > 0 for layer in trace["layers"]), attribution.ops
    # Counted once each: the layers' and the unattributed picoseconds are every event's.
    assert attribution.total == sum(op.picoseconds for op in events)
    unattributed = [op for op in events if not op.name.startswith("mobicalc_1/")]
    assert sum(attribution.ops.values()) + len(unattributed) == len(events)
    assert sum(attribution.share(layer) for layer in trace["layers"]) + attribution.unattributed_share == 1

    # By hand, from the names TensorFlow gave. Layer "conv" ran in scope conv_1, layer "conv_1" in conv_1_2;
    # its convolution was fused with its ReLU (named after the ReLU, in its activation's scope).
    def picoseconds(prefix: str) -> int:
        return sum(op.picoseconds for op in events if op.name.startswith(prefix + "/"))

    expected = {
        "conv": picoseconds("mobicalc_1/conv_1") + picoseconds("mobicalc_1/conv_bn_1")
        + picoseconds("mobicalc_1/conv_act_1"),
        "conv_1": picoseconds("mobicalc_1/conv_1_2") + picoseconds("mobicalc_1/conv_1_act_1"),
        "dw": picoseconds("mobicalc_1/dw_pad_1") + picoseconds("mobicalc_1/dw_1")
        + picoseconds("mobicalc_1/dw_bn_1") + picoseconds("mobicalc_1/dw_act_1"),
        "pw": picoseconds("mobicalc_1/pw_1") + picoseconds("mobicalc_1/pw_bn_1") + picoseconds("mobicalc_1/pw_act_1"),
        "pool": picoseconds("mobicalc_1/pool_1"),
        "fc": picoseconds("mobicalc_1/flatten_1") + picoseconds("mobicalc_1/fc_1") + picoseconds("mobicalc_1/fc_act_1"),
    }  # fmt: skip
    assert attribution.picoseconds == expected
    assert trace["keras_owners"]["flatten"] == "fc"  # the dense layer's flatten, whatever Keras named it


def test_the_recorded_v1_trace_shares_by_kind_are_the_raw_events_by_name():
    trace = recorded("trace-v1.json")
    network = mobicalc.cost("v1")
    assert trace["layers"] == [layer.name for layer in network.layers]
    attribution = attribute(trace["events"], trace["by_layer"], trace["layers"], trace["iterations"])
    assert all(attribution.ops[layer] > 0 for layer in trace["layers"])
    total = sum(op.picoseconds for op in trace["events"])
    assert attribution.total == total

    # MobileNetV1's layers are named conv_dw_N (depthwise, with conv_dw_N_pad before some), conv_pw_N:
    # the raw events by their second scope, each ending in TensorFlow's suffix _1.
    def share_of(pattern: str) -> Fraction:
        matching = re.compile(rf"mobicalc_1/{pattern}(_bn|_act|_pad)?_1/")
        return Fraction(sum(op.picoseconds for op in trace["events"] if matching.match(op.name)), total)

    result = fake_model_bench(network, attribution)
    document = json.loads(render(bench_report(result), "json", Target()))
    breakdown = {row["kind"]: row for row in document["breakdown"]}
    assert breakdown["depthwise"]["time_share"] == pytest.approx(float(share_of(r"conv_dw_\d+")), abs=1e-12)
    assert breakdown["pointwise"]["time_share"] == pytest.approx(float(share_of(r"conv_pw_\d+")), abs=1e-12)
    assert sum(row["time_share"] for row in document["breakdown"]) == pytest.approx(1, abs=1e-12)
    # MobileNetV1's MAC shares, from the paper's Table 2: depthwise 3.06%, 1x1 conv 94.86%.
    assert round(breakdown["depthwise"]["macs_share"] * 100, 2) == 3.06
    assert round(breakdown["pointwise"]["macs_share"] * 100, 2) == 94.86


# --- Arithmetic -------------------------------------------------------------------------------


def test_samples_least_median_spread_and_paired_ratio():
    a = Samples((2.0, 4.0, 3.0), calls=5)
    b = Samples((1.0, 2.0, 2.0), calls=9)
    assert (a.least, a.median, a.spread) == (2.0, 3.0, 2.0)
    assert paired_ratio(a, b) == 2.0  # the rounds' ratios 2, 2, 1.5
    assert a.median / b.median == 1.5  # what an unpaired ratio would say
    assert calls_per_sample(0.001) == 30 and calls_per_sample(0.05) == 1 and calls_per_sample(0.0) == 1


def test_intensity_of_the_512_layer_by_hand():
    # 512 -> 512 channels, Dk 3, Dp 14, float32: MACs over 4 bytes x (weights + input + output).
    layer_map = 14 * 14 * 512
    standard = Fraction(3 * 3 * 512 * 512 * 14 * 14, 4 * (3 * 3 * 512 * 512 + 2 * layer_map))
    depthwise = Fraction(3 * 3 * 512 * 14 * 14, 4 * (3 * 3 * 512 + 2 * layer_map))
    pointwise = Fraction(512 * 512 * 14 * 14, 4 * (512 * 512 + 2 * layer_map))
    assert round(float(standard), 1) == 45.2 and round(float(depthwise), 2) == 1.10
    assert round(float(pointwise), 1) == 27.8
    result = fake_ratio_bench(compare_layer(N=512, dk=3, M=512, dp=14))
    document = json.loads(render(ratio_bench_report(result, {}), "json", Target()))
    assert document["standard"]["intensity"] == float(standard)
    assert document["depthwise"]["intensity"] == float(depthwise)
    assert document["pointwise"]["intensity"] == float(pointwise)


def test_the_standard_network_is_what_standard_counts():
    for model, minimalistic in (("v1", False), ("v2", False), ("v3-small", True), ("v3-large", True)):
        network = mobicalc.cost(model, minimalistic=minimalistic)
        layers = standard_layers(network.layers)
        assert sum(layer_cost(layer).macs for layer in layers) == network.standard.macs, model
        names = {IMAGE} | {layer.name for layer in layers}
        assert all(read in names for layer in layers for read in layer.reads), model
        assert not any(layer.kind == "depthwise" for layer in layers)
    v1 = {layer.name: layer for layer in standard_layers(mobicalc.cost("v1").layers)}
    assert len(v1) == 29 - 13  # each of the 13 pairs one layer
    pair = v1["conv_dw_7"]  # 14x14x512 -> 14x14x512, 3x3: 3*3*512*512*14*14 MACs
    assert (pair.kind, pair.kernel, tuple(pair.output)) == ("conv", 3, (14, 14, 512))
    assert layer_cost(pair).macs == 3 * 3 * 512 * 512 * 14 * 14
    assert v1["conv_dw_8"].reads == ("conv_dw_7",)  # read conv_pw_7, now inside conv_dw_7


def test_a_standard_network_with_a_block_inside_a_pair_is_refused():
    """MobileNetV3's squeeze-and-excite reads the depthwise output that its pair's convolution would hide."""
    with pytest.raises(
        mobicalc.MobicalcError, match="expanded_conv_squeeze_excite_avg_pool reads the output"
    ):
        standard_layers(mobicalc.cost("v3-small").layers)


# --- The JSON contract and what people read -----------------------------------------------------

ENVIRONMENT = Environment(
    cpu="A CPU", cpus=2, intra_op_threads=0, inter_op_threads=0, tensorflow="2.x", keras="3.x",
    onednn=True, python="3.11", platform="Linux x86_64", load_average=0.5,
)  # fmt: skip


def fake_model_bench(network, attribution, standard=True) -> ModelBench:
    return ModelBench(
        network,
        ENVIRONMENT,
        Samples((0.016, 0.015, 0.018), 2),
        attribution,
        Samples((0.100, 0.090, 0.120), 1) if standard else None,
    )


def fake_ratio_bench(comparison) -> RatioBench:
    parts = {
        "standard": Samples((0.004, 0.005), 8),
        "depthwise": Samples((0.0003, 0.0002), 100),
        "pointwise": Samples((0.0006, 0.0005), 50),
        "separable": Samples((0.0008, 0.0010), 40),
    }
    kernels = {"standard": 0.0036, "depthwise": 0.00008, "pointwise": 0.0003, "separable": 0.00038}
    return RatioBench(comparison, ENVIRONMENT, parts, kernels, iterations=20)


def test_bench_model_json_contract():
    trace = recorded("trace-v1.json")
    network = mobicalc.cost("v1")
    attribution = attribute(trace["events"], trace["by_layer"], trace["layers"], trace["iterations"])
    document = json.loads(render(bench_report(fake_model_bench(network, attribution)), "json", Target()))
    assert {"model", "environment", "timing", "standard", "layers", "breakdown", "samples"} <= set(document)
    layer = document["layers"][14]
    assert {"name", "kind", "macs", "time_s", "time_share", "macs_share", "gmacs_per_s", "intensity"} <= set(
        layer
    )
    seconds = (
        sum(op.picoseconds for op in trace["events"] if op.name.startswith("mobicalc_1/conv_pw_7")) / 20e12
    )
    assert layer["name"] == "conv_pw_7" and layer["time_s"] == pytest.approx(seconds)
    assert layer["gmacs_per_s"] == pytest.approx(51_380_224 / seconds / 1e9)
    assert {"kind", "macs_share", "time_share"} <= set(document["breakdown"][0])
    assert {"cpu", "cpus", "intra_op_threads", "tensorflow", "onednn", "python"} <= set(
        document["environment"]
    )
    timing = document["timing"]
    assert (timing["time_s"], timing["time_min_s"], timing["rounds"]) == (0.016, 0.015, 3)
    standard = document["standard"]
    assert {"macs", "macs_ratio", "time_s", "time_min_s", "time_ratio", "time_ratio_min", "spread"} <= set(
        standard
    )
    assert standard["time_ratio"] == pytest.approx(0.16)  # rounds 0.16, 0.1667, 0.15: the median
    assert standard["macs_ratio"] == 568_740_352 / network.standard.macs
    assert document["samples"] == {"model": [0.016, 0.015, 0.018], "standard": [0.1, 0.09, 0.12]}
    csv = render(bench_report(fake_model_bench(network, attribution)), "csv", Target()).splitlines()
    assert csv[0].split(",")[:4] == ["index", "name", "kind", "macs"] and len(csv) == 1 + 29
    without = json.loads(
        render(bench_report(fake_model_bench(network, attribution, False)), "json", Target())
    )
    assert without["standard"] is None and list(without["samples"]) == ["model"]


def test_bench_ratio_json_contract():
    result = fake_ratio_bench(compare_layer(N=32, dk=3, dp=56))
    document = json.loads(render(ratio_bench_report(result, {"alpha": 1}), "json", Target()))
    assert {"inputs", "environment", "macs_ratio", "time_ratio", "closed_form", "samples"} <= set(document)
    assert document["macs_ratio"] == 41 / 288  # 1/32 + 1/9
    assert document["time_ratio"] == pytest.approx(0.2)  # rounds 0.0008/0.004 and 0.0010/0.005
    assert document["kernel_ratio"] == pytest.approx(0.00038 / 0.0036)
    for part in ("standard", "depthwise", "pointwise", "separable"):
        assert {"time_s", "time_min_s", "macs", "kernel_s"} <= set(document[part])
    assert (document["separable"]["time_s"], document["separable"]["time_min_s"]) == (0.0009, 0.0008)
    assert document["samples"]["depthwise"] == [0.0003, 0.0002]


@pytest.mark.parametrize("unicode", [True, False])
def test_bench_text_fits_80_columns(unicode):
    trace = recorded("trace-v1.json")
    network = mobicalc.cost("v1")
    attribution = attribute(trace["events"], trace["by_layer"], trace["layers"], trace["iterations"])
    target = Target(width=80, unicode=unicode)
    for report in (
        bench_report(fake_model_bench(network, attribution)),
        ratio_bench_report(fake_ratio_bench(compare_layer(N=512, dk=3, M=512, dp=14)), {}),
    ):
        text = render(report, "table", target)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "time share" in text or "time / std" in text
        assert "Times vary from run to run" in text
        assert text.isascii() or unicode
    rich = render(bench_report(fake_model_bench(network, attribution)), "table", target._replace(rich=True))
    assert max(len(line) for line in rich.splitlines()) <= 80


def test_times_read_in_their_unit():
    import doctest

    import mobicalc.numbers

    assert doctest.testmod(mobicalc.numbers).failed == 0


def test_a_fused_convolution_goes_to_the_layer_with_the_macs():
    """conv -> bn -> relu: TensorFlow names the fused op after relu; it is conv's. An add reads two
    tensors, so an op in its scope stays its own (which branch's convolution it holds is unknown)."""
    layers = [
        ("conv", (IMAGE,), True),
        ("bn", ("conv",), False),
        ("relu", ("bn",), False),
        ("other", ("relu",), True),
        ("add", ("relu", "other"), False),
        ("after", ("add",), False),
        ("custom", ("after",), True),  # not counted: it may run a convolution of its own
        ("act", ("custom",), False),
    ]
    fused = fused_owners(layers)
    assert fused == {"bn": "conv", "relu": "conv", "act": "custom"}
    ops = [
        OpTime("c.relu/relu_1/Relu", "_MklNativeFusedConv2D", 50),
        OpTime("c.relu/relu_1/Relu", "_MklNativeFusedConv2D", 70),
        OpTime("c.bn/bn_1/batchnorm/mul_1", "Mul", 7),  # not fused: bn's own
        OpTime("c.add/add_1/Add", "_FusedConv2D", 11),  # in a two-input layer's scope: the add's
        OpTime("c.act/act_1/Relu", "Relu", 3),
    ]
    scopes = {f"c.{name}": name for name, _, _ in layers}
    attribution = attribute(ops, scopes, [name for name, _, _ in layers], 2, fused)
    assert attribution.picoseconds == {
        "conv": 120, "bn": 7, "relu": 0, "other": 0, "add": 11, "after": 0, "custom": 0, "act": 3,
    }  # fmt: skip
    assert attribution.fused == {"relu": "conv"}
    assert attribution.total == 50 + 70 + 7 + 11 + 3
