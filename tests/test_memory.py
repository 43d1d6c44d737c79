"""Memory: activation sizes, peak working memory and model size, worked by hand.

The sequential model: layers run one at a time; while one runs, memory holds its
input, its output, and every earlier tensor a later layer still needs. The
streamed model: a bottleneck's inner tensors are never held whole (MobileNetV2
paper, Section 5.1). See mobicalc/memory.py and docs/memory.md.
"""

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner
from helpers import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobicalc import cost
from mobicalc.cli import main
from mobicalc.count.budgets import check_budgets
from mobicalc.count.memory import largest_tensors, memory, stage_name, streamed_stages
from mobicalc.count.settings import DTYPES
from mobicalc.numbers import read_bytes

# --- MobileNetV1 ---------------------------------------------------------------------


def test_v1_sequential_peak_is_the_first_pointwise_layer():
    network = cost("v1")
    # conv_pw_1: 112x112x32 in, 112x112x64 out; nothing else is alive (V1 has no residuals).
    assert network.memory.peak_layer == "conv_pw_1"
    assert network.memory.peak_activation_bytes == (112 * 112 * 32 + 112 * 112 * 64) * 4 == 4_816_896


def test_v1_working_sets_of_the_first_layers():
    working = dict(
        zip((layer.name for layer in cost("v1").layers), cost("v1").memory.working_bytes, strict=True)
    )
    assert working["conv1"] == (224 * 224 * 3 + 112 * 112 * 32) * 4  # the image is conv1's input
    assert working["conv_dw_1"] == (112 * 112 * 32 + 112 * 112 * 32) * 4
    assert working["conv_dw_2"] == (112 * 112 * 64 + 56 * 56 * 64) * 4  # stride 2: padding adds nothing
    assert working["conv_preds"] == (1024 + 1000) * 4


# --- MobileNetV2 ---------------------------------------------------------------------

# (layer, input elements, output elements, earlier tensors still needed by a later add)
V2_WALK = [
    ("Conv1", 224 * 224 * 3, 112 * 112 * 32, 0),
    ("expanded_conv_depthwise", 112 * 112 * 32, 112 * 112 * 32, 0),
    ("expanded_conv_project", 112 * 112 * 32, 112 * 112 * 16, 0),  # block 0: 32 -> 16, no add
    ("block_1_expand", 112 * 112 * 16, 112 * 112 * 96, 0),
    ("block_1_depthwise", 112 * 112 * 96, 56 * 56 * 96, 0),  # stride 2: 112x112x96 -> 56x56x96
    ("block_1_project", 56 * 56 * 96, 56 * 56 * 24, 0),  # 16 -> 24: no add
    # block 2 keeps 56x56x24: block_1_project's output stays alive until block_2_add.
    ("block_2_expand", 56 * 56 * 24, 56 * 56 * 144, 0),  # its input *is* the shortcut: counted once
    ("block_2_depthwise", 56 * 56 * 144, 56 * 56 * 144, 56 * 56 * 24),
    ("block_2_project", 56 * 56 * 144, 56 * 56 * 24, 56 * 56 * 24),
    ("block_2_add", 2 * 56 * 56 * 24, 56 * 56 * 24, 0),  # its two inputs and its output
    ("block_3_expand", 56 * 56 * 24, 56 * 56 * 144, 0),
    ("block_3_depthwise", 56 * 56 * 144, 28 * 28 * 144, 0),
]


def test_v2_sequential_working_sets_walked_by_hand():
    network = cost("v2")
    working = dict(zip((layer.name for layer in network.layers), network.memory.working_bytes, strict=True))
    for name, inputs, output, kept in V2_WALK:
        assert working[name] == (inputs + output + kept) * 4, name


def test_v2_sequential_peak_is_block_1_depthwise():
    memory = cost("v2").memory
    # block_1_depthwise: the expanded 112x112x96 tensor in, 56x56x96 out.
    assert memory.peak_layer == "block_1_depthwise"
    assert memory.peak_activation_bytes == (112 * 112 * 96 + 56 * 56 * 96) * 4 == 6_021_120
    assert max(memory.working_bytes) == memory.peak_activation_bytes


@pytest.mark.parametrize(("dtype", "size"), [("float32", 4), ("float16", 2), ("int8", 1)])
def test_dtype_scales_every_byte_figure(dtype, size):
    v1, v2 = cost("v1", dtype=dtype), cost("v2", dtype=dtype)
    assert DTYPES[dtype] == size
    assert v1.memory.peak_activation_bytes == (112 * 112 * 32 + 112 * 112 * 64) * size
    assert v2.memory.peak_activation_bytes == (112 * 112 * 96 + 56 * 56 * 96) * size
    assert v2.memory.params_bytes == v2.params * size == 3_538_984 * size
    assert v1.memory.params_bytes == 4_253_864 * size
    assert v2.memory.activation_bytes[0] == 112 * 112 * 32 * size
    assert v2.memory.input_bytes == 224 * 224 * 3 * size


def test_an_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match="unknown dtype"):
        cost("v1", dtype="float64")
    with pytest.raises(ValueError, match="unknown dtype"):
        memory(cost("v1").layers, 1, "bfloat16")


# --- streamed (MobileNetV2 paper, Section 5.1) ----------------------------------------


def test_streamed_v2_blocks_hold_only_their_input_and_output():
    network = cost("v2")
    names = [stage_name(step, network.layers) for step in streamed_stages(network.layers)]
    assert names[:5] == [
        "Conv1",
        "expanded_conv_depthwise..expanded_conv_project",
        "block_1_expand..block_1_project",
        "block_2_expand..block_2_add",  # the add is accumulated into the block's output
        "block_3_expand..block_3_project",
    ]
    assert names[-3:] == ["Conv_1", "global_average_pooling2d", "predictions"]
    memory = network.memory
    # The peak: block 0 reads Conv1's 112x112x32 and writes 112x112x16; nothing inside is held.
    assert memory.peak_streamed_layer == "expanded_conv_depthwise..expanded_conv_project"
    assert memory.peak_streamed_bytes == (112 * 112 * 32 + 112 * 112 * 16) * 4 == 2_408_448
    # block_1 streamed: 112x112x16 in, 56x56x24 out, instead of 6,021,120 bytes one layer at a time.
    assert cost("v2", dtype="float16").memory.peak_streamed_bytes == 1_204_224


def test_streamed_v1_changes_nothing_at_the_peak():
    # A depthwise + pointwise pair streamed still holds conv_pw_1's input and output.
    memory = cost("v1").memory
    assert memory.peak_streamed_bytes == memory.peak_activation_bytes == 4_816_896


# --- MobileNetV2 paper, Table 3 (max channels / memory in Kb, 16-bit activations) -----------


def kb16(tensor) -> Fraction:
    """A tensor's size at 16 bits, in thousands of bytes, as the table prints it."""
    return Fraction(tensor.elements * 2, 1000)


def test_v1_largest_tensors_are_table_3():
    # Rev. A: 64/1600, 128/800, 256/400, 512/200, 1024/199, 1024/2 at 112, 56, 28, 14, 7, 1.
    rows = largest_tensors(cost("v1").layers, streamed=False)
    assert [(row.size, row.channels) for row in rows] == [
        (112, 64), (56, 128), (28, 256), (14, 512), (7, 1024), (1, 1024),
    ]  # fmt: skip
    assert [round(kb16(row)) for row in rows] == [1606, 803, 401, 201, 100, 2]
    # The 7x7 row prints 199, twice 100: an unexplained entry (published-figures.md, 4.4).
    assert kb16(rows[0]) == Fraction(112 * 112 * 64 * 2, 1000)  # the V1 maximum: "1600K"


def test_v2_largest_streamed_tensor_is_table_3s_400k():
    layers = cost("v2").layers
    # With the paper's first-layer trick (Conv1 streamed into block 0), the largest tensor held
    # whole is block 0's 112x112x16 output: 401,408 bytes at 16 bits, the "400K" of rev. A.
    first = largest_tensors(layers, streamed=True, skip=1)[0]
    assert (first.size, first.layer, first.channels) == (112, "expanded_conv_project", 16)
    assert first.elements * 2 == 112 * 112 * 16 * 2 == 401_408
    # Without it, Conv1's 112x112x32 output is the largest: 802,816 bytes.
    assert largest_tensors(layers, streamed=True)[0].elements * 2 == 112 * 112 * 32 * 2 == 802_816


def test_rev_b_maxima_are_the_56x56_rows():
    # Rev. B prints O(1) at 112x112 (the first-layer trick for all three networks), so its maxima
    # are the 56x56 rows: V1 128 x 56 x 56 x 2 = 802,816 ("800K"), V2 32 x 56 x 56 x 2 = 200,704
    # ("200K"). Each is half the 112x112 row: channels double as the area quarters.
    assert 128 * 56 * 56 * 2 == 802_816 == 112 * 112 * 64 * 2 // 2
    assert 32 * 56 * 56 * 2 == 200_704 == 112 * 112 * 16 * 2 // 2
    v1 = largest_tensors(cost("v1").layers, streamed=False)
    assert (v1[1].size, v1[1].channels, v1[1].elements * 2) == (56, 128, 802_816)


# --- torchinfo's forward/backward pass size ------------------------------------------


def test_forward_pass_bytes_is_torchinfos_definition():
    network = cost("v2")
    # torchinfo: 2 x the output bytes of every module with parameters; a conv and its batch-norm
    # are two modules; activations, pooling and adds have none.
    outputs = sum(
        layer.output.height * layer.output.width * layer.output.channels * (2 if layer.batch_norm else 1)
        for layer in network.layers
        if layer.kind not in ("pool", "add")
    )
    assert network.memory.forward_pass_bytes == 2 * outputs * 4 == 106_857_792
    assert cost("v2", dtype="int8").memory.forward_pass_bytes == 106_857_792 // 4


# --- budgets -------------------------------------------------------------------------


def test_budgets_hold_exactly_at_the_limit():
    network = cost("v1")
    peak, size = network.memory.peak_activation_bytes, network.memory.params_bytes
    assert network.check({"peak_activation_bytes": Fraction(peak), "params_bytes": Fraction(size)}).ok
    over = network.check({"peak_activation_bytes": Fraction(peak - 1), "params_bytes": Fraction(size)})
    assert over.over == ("peak_activation_bytes",)
    assert network.check({"params_bytes": Fraction(size - 1)}).over == ("params_bytes",)
    streamed = network.memory.peak_streamed_bytes
    assert network.check({"peak_streamed_bytes": Fraction(streamed)}).ok
    with pytest.raises(ValueError, match="memory figures"):
        check_budgets(network.totals, {"params_bytes": Fraction(1)})


def test_check_command_memory_budgets():
    # V1 float32: peak 4,816,896 bytes, weights 4,253,864 x 4 = 17,015,456 bytes.
    run("check", "v1", "--max-peak-memory", "4816896", "--max-model-size", "17015456B")
    run("check", "v1", "--max-peak-memory", "4816895", code=1)
    run("check", "v1", "--max-model-size", "17MB", code=1)  # 17,000,000 < 17,015,456
    run("check", "v1", "--max-model-size", "17MiB")  # 17,825,792
    run("check", "v1", "--dtype", "int8", "--max-model-size", "4.3MB", "--max-peak-memory", "1.21MB")
    result = run("check", "v2", "--max-streamed-memory", "2408448", "--format", "json")
    document = json.loads(result.output)
    assert document["checks"] == [
        {"metric": "peak_streamed_bytes", "value": 2_408_448, "budget": 2_408_448, "use": 1.0, "ok": True}
    ]


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("1000B", 1000),
        ("1KB", 1000),
        ("1kB", 1000),
        ("1KiB", 1024),
        ("1MB", 10**6),
        ("1MiB", 2**20),
        ("1.5MiB", 3 * 2**19),
        ("4 GB", 4 * 10**9),
        ("2GiB", 2 * 2**30),
    ],
)
def test_byte_sizes_kb_are_powers_of_1000_and_kib_of_1024(text, size):
    assert read_bytes(text) == size


@pytest.mark.parametrize(
    "text",
    [
        "",
        "MB",
        "1M",
        "1K",
        "0",
        "0MB",
        "-1MB",
        "1e6",
        "1_000",
        "\u0661MB",
        "8Mb",
        "1kb",
        "2mib",
        "1 MBB",
        "x" * 200,
    ],
)
def test_byte_sizes_refused(text):
    run("check", "v1", "--max-peak-memory", text, code=2)


# --- output --------------------------------------------------------------------------


def test_json_totals_and_layers_carry_the_memory_figures():
    document = json.loads(run("table", "v2", "--dtype", "float16", "--format", "json").output)
    totals = document["totals"]
    assert document["model"]["dtype"] == "float16"
    assert totals["params_bytes"] == 3_538_984 * 2
    assert totals["peak_activation_bytes"] == (112 * 112 * 96 + 56 * 56 * 96) * 2
    assert totals["peak_layer"] == "block_1_depthwise"
    assert totals["peak_streamed_bytes"] == (112 * 112 * 32 + 112 * 112 * 16) * 2
    assert totals["forward_pass_bytes"] == 106_857_792 // 2
    assert totals["input_bytes"] == 224 * 224 * 3 * 2
    layers = document["layers"]
    assert layers[0]["activation_elements"] == 112 * 112 * 32
    assert layers[0]["activation_bytes"] == 112 * 112 * 32 * 2
    assert [layer["name"] for layer in layers if layer["peak"]] == ["block_1_depthwise"]
    peak = next(layer for layer in layers if layer["peak"])
    assert peak["working_bytes"] == totals["peak_activation_bytes"]


def test_csv_has_the_memory_columns():
    header = run("table", "v1", "--format", "csv").output.splitlines()[0].split(",")
    assert {"activation_elements", "activation_bytes", "working_bytes", "peak"} <= set(header)


def test_table_names_the_peak_layer_at_80_columns():
    text = CliRunner().invoke(main, ["table", "v1"], env={"COLUMNS": "80"}).output
    assert "Peak activations (float32, batch 1, one layer at a time): 4.817 MB while" in text
    assert "17,015,456  17.02 MB" in text


def test_dtype_is_an_option_of_every_model_command():
    for command in ("table", "check", "verify"):
        assert "--dtype [float32|float16|int8]" in run(command, "--help").output


# --- MobileNetV3 -----------------------------------------------------------------------


def test_v3_forward_pass_counts_only_layers_with_weights():
    """torchinfo counts modules with parameters: convolutions (squeeze-and-excite's too), their
    batch-norms and the classifier; not squeeze-and-excite's multiply nor the input's rescaling."""
    with_weights = {"conv", "depthwise", "pointwise", "excite", "dense"}
    for model in ("v3-small", "v3-large"):
        network = cost(model)
        outputs = sum(
            layer.output.height * layer.output.width * layer.output.channels
            * ((layer.kind in with_weights) + layer.batch_norm)
            for layer in network.layers
        )  # fmt: skip
        assert network.memory.forward_pass_bytes == 2 * outputs * 4
    # The figure torchinfo's definition gives for MobileNetV3-Small, 224, float32.
    assert cost("v3-small").memory.forward_pass_bytes == 22_643_584


def test_v3_small_peak_is_its_first_convolution():
    # keras.applications.MobileNetV3Small: Rescaling keeps 224x224x3; conv, 3x3 stride 2, to 112x112x16.
    # While conv runs: its input (the rescaled image; the raw image is no longer needed) and output.
    memory = cost("v3-small").memory
    assert memory.peak_layer == "conv"
    assert memory.peak_activation_bytes == (224 * 224 * 3 + 112 * 112 * 16) * 4 == 1_404_928
    # No bottleneck holds more, streamed or not: the peak stays at conv.
    assert (memory.peak_streamed_layer, memory.peak_streamed_bytes) == ("conv", 1_404_928)


def test_v3_large_peaks():
    memory = cost("v3-large").memory
    # expanded_conv_1 (stride 2) expands 112x112x16 to 112x112x64 before its depthwise layer.
    assert memory.peak_layer == "expanded_conv_1_expand"
    assert memory.peak_activation_bytes == (112 * 112 * 16 + 112 * 112 * 64) * 4 == 4_014_080
    # Streamed, the first block (16 -> 16 at 112x112, with its residual add) holds its input and output.
    assert memory.peak_streamed_layer == "expanded_conv_depthwise..expanded_conv_add"
    assert memory.peak_streamed_bytes == 2 * 112 * 112 * 16 * 4 == 1_605_632


def test_v3_squeeze_and_excite_reads_the_map_it_scales():
    """The multiply reads two tensors (the depthwise output and the excitation): the depthwise output
    stays live through the squeeze-and-excite layers, which the working sets show."""
    network = cost("v3-small")
    names = [layer.name for layer in network.layers]
    start = names.index("expanded_conv_squeeze_excite_avg_pool")
    depthwise = network.layers[start - 1]
    assert depthwise.name == "expanded_conv_depthwise"
    held = depthwise.output.height * depthwise.output.width * depthwise.output.channels  # 56x56x16
    pooled = 16  # 1x1x16
    # While the first excite conv runs (16 -> 8 channels on 1x1): the pool's output, its own, and
    # the depthwise output that the multiply will read.
    assert network.memory.working_bytes[start + 1] == (pooled + 8 + held) * 4


# --- a sweep's memory budgets: each width's peak terms against every configuration's records -----

ODD = """name = "odd"
layers = [
  { operator = "conv", kernel = 3, c = 12, s = 2, padding = "valid" },
  { operator = "separable", kernel = 5, c = 20, s = 3, padding = [0, 1] },
  { operator = "bottleneck", t = 3, c = 20, n = 3, s = 1, se = true },
  { operator = "bottleneck", t = 6, c = 28, n = 2, s = 2, kernel = 5, padding = [2, 1] },
  { operator = "pool" },
  { operator = "classifier" },
]
"""
"""Odd sizes everywhere: a valid stride-2 stem, a stride-3 separable padded [0, 1], squeeze-and-excite
(a multiply broadcast back to its map), residual adds, a stride-2 kernel-5 block padded [2, 1]."""


def _odd_table():
    from mobicalc.model.tables import parse

    return parse(ODD, "odd.toml")


SIDES = st.integers(40, 260)
SIZES = st.one_of(SIDES, st.tuples(SIDES, SIDES))
SWEPT_ALPHAS = st.sampled_from(["0.25", "0.35", "0.5", "0.6", "0.75", "1", "1.3", "1.4", "0.333"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(["v1", "v2", "v3-large", "v3-small", "odd"]),
    alphas=st.lists(SWEPT_ALPHAS, min_size=1, max_size=3),
    resolutions=st.lists(SIZES, min_size=1, max_size=3),
    dtype=st.sampled_from(sorted(DTYPES)),
    metrics=st.sets(
        st.sampled_from(["peak_activation_bytes", "peak_streamed_bytes", "params_bytes"]), min_size=1
    ),
    data=st.data(),
)
def test_a_sweep_s_memory_budgets_keep_what_each_configuration_s_records_would(
    model, alphas, resolutions, dtype, metrics, data
):
    """The sweep evaluates each width's peak terms per size (memory.peak_terms); here every configuration
    is costed on its own, its layers placed and its memory worked out from its records (memory.memory),
    and a budget is set exactly at one of those figures, or one byte either side of it."""
    from mobicalc.count.network import network_cost
    from mobicalc.count.settings import Settings
    from mobicalc.count.sweep import sweep

    architecture = _odd_table() if model == "odd" else model
    costed = [
        (Fraction(alpha), network_cost(architecture, Settings(alpha=alpha, resolution=size, dtype=dtype)))
        for alpha in alphas
        for size in resolutions
    ]
    budgets = {}
    for metric in sorted(metrics):
        figures = sorted({getattr(network.memory, metric) for _, network in costed})
        budgets[metric] = data.draw(st.sampled_from(figures)) + data.draw(st.sampled_from([-1, 0, 1]))
    expected = [
        (alpha, network.resolution, network.totals)
        for alpha, network in costed
        if all(getattr(network.memory, metric) <= budget for metric, budget in budgets.items())
    ]
    assert [
        tuple(point) for point in sweep(architecture, alphas, resolutions, dtype=dtype, budgets=budgets)
    ] == expected
