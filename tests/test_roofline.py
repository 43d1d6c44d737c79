"""`mobicalc table --roofline`: arithmetic intensity and the roofline estimate, worked by hand.

An estimate without TensorFlow: each layer's MACs per byte of its weights, inputs and output
at --dtype, and on a machine described by --peak-gflops and --bandwidth-gbs the larger of
2 x MACs / peak and bytes / bandwidth.
"""

import json

import pytest
from helpers import run

import mobicalc


def test_roofline_of_two_v1_layers_by_hand():
    data = json.loads(
        run("table", "v1", "--peak-gflops", "150", "--bandwidth-gbs", "25", "--format", "json").output
    )
    layers = {layer["name"]: layer for layer in data["layers"]}
    # conv_pw_7: 14x14, 512 -> 512: 51,380,224 MACs; 4 x (512*512 + 2 x 14*14*512) bytes.
    pw_bytes = 4 * (512 * 512 + 2 * 14 * 14 * 512)
    assert layers["conv_pw_7"]["intensity"] == 51_380_224 / pw_bytes
    assert layers["conv_pw_7"]["roofline_s"] == pytest.approx(2 * 51_380_224 / 150e9)  # 685 us: compute
    assert layers["conv_pw_7"]["roofline_bound"] == "compute"
    # conv_dw_7: 903,168 MACs; 4 x (3*3*512 + 2 x 14*14*512) bytes = 821,248 at 25 GB/s: 32.8 us, memory.
    assert layers["conv_dw_7"]["roofline_s"] == pytest.approx(821_248 / 25e9)
    assert layers["conv_dw_7"]["roofline_bound"] == "memory"
    # An add reads two tensors: block_2_add of v2 moves 3 x 56*56*24 values and does no MACs.
    v2 = {row.name: row for row in mobicalc.roofline(mobicalc.cost("v2"), "150", "25")}
    assert v2["block_2_add"].moved_bytes == 4 * 3 * 56 * 56 * 24 and v2["block_2_add"].intensity == 0
    assert data["roofline"]["balance"] == 3.0  # 150 GFLOP/s = 75 GMAC/s, over 25 GB/s
    assert sum(layer["roofline_share"] for layer in data["layers"]) == pytest.approx(1)


def test_roofline_is_labelled_an_estimate_and_needs_a_whole_machine():
    output = run("table", "v1", "--roofline", "--peak-gflops", "150", "--bandwidth-gbs", "25").output
    assert "an estimate, not a measurement" in output and "mobicalc bench" in output
    assert "roofline time" in output.splitlines()[3]  # shown at 80 columns
    assert "MACs/byte" in run("table", "v1", "--roofline").output.splitlines()[3]
    assert "needs both" in run("table", "v1", "--peak-gflops", "150", code=2).output
    assert "MACs/byte" not in run("table", "v1").output  # only --wide shows it otherwise
    with pytest.raises(mobicalc.MobicalcError):
        mobicalc.roofline(mobicalc.cost("v1"), peak_gflops=150)
