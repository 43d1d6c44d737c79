"""reproduce's newer figures: the verdicts issue 19 changed (each with its arithmetic), the MobileNetV3
paper's revisions and appendix, the MobileNetV1 paper's Tables 10 and 12, and torchvision's metadata.
Every expected number is worked out here by hand, or is the printed figure itself."""

from fractions import Fraction

import pytest
from helpers import run_json

from mobicalc.count import figures


@pytest.fixture(scope="module")
def by_row():
    return {(r.figure.source, r.figure.table, r.figure.row): r for r in figures.reproduce()}


def test_every_source_group_says_what_it_was_checked_against():
    assert all(figure.checked for figure in figures.load()[1] if figure.source in ("p3", "torchvision"))
    table_10_12 = [f for f in figures.load()[1] if f.source == "p1" and f.table in ("Table 10", "Table 12")]
    assert len(table_10_12) == 20 and all("ar5iv" in f.checked for f in table_10_12)


def test_slim_v1_075_rows_leave_out_the_first_conv(by_row):
    # conv1 at 0.75: 24 filters of 3 x 3 x 3 at 112 x 112 (224 / 2); the slim count (1001 classes) is
    # 325,401,216 at 224 (the MobileNetV1 paper's Table 6 prints 325 with 1000 classes).
    for size, printed in ((224, 317), (192, 233), (160, 162), (128, 104)):
        suffix = "" if size == 224 else f"_{size}"
        row = by_row["slim-v1", "README", f"MobileNet_v1_0.75_{size} MACs"]
        first = (size // 2) ** 2 * 3 * 3 * 3 * 24
        assert row.verdict == "explained" and f"{first:,}" in row.figure.why, suffix
        assert round((row.value - first) / 10**6) == printed
    assert by_row["slim-v1", "README", "MobileNet_v1_0.75_224 MACs"].value == 325_401_216


def test_keras_small_075_is_a_1280_wide_last_conv(by_row):
    macs = by_row["keras-v3-doc", "docstring", "Small 0.75 MACs"]
    params = by_row["keras-v3-doc", "docstring", "Small 0.75 params"]
    assert macs.verdict == params.verdict == "explained"
    # At 0.75 conv_1 is 6 x 72 = 432 wide; conv_2 1280 instead of 1024 wide adds 256 x 432 MACs and
    # weights (and 256 biases), the logits 256 x 1000 more.
    assert macs.value + 256 * 432 + 256 * 1000 == 43_765_936 and round(43_765_936 / 10**6) == 44
    assert params.value + 256 * 432 + 256 + 256 * 1000 == 2_418_400  # 2.4M
    assert "1280" in macs.figure.why and "2,418,400" in params.figure.why


def test_keras_small_minimalistic_params_under_slim(by_row):
    row = by_row["keras-v3-doc", "docstring", "Small minimalistic 1.0 params"]
    assert row.figure.convention == "slim" and row.verdict == "within rounding"  # 2.0 as printed
    assert "the Large rows need the Keras count" not in row.figure.why


def test_v3_paper_revisions(by_row):
    large = by_row["p3", "Table 3 (later revision)", "MobileNetV3-Large 1.0 MAdds"]
    assert large.verdict == "explained" and "217" in large.figure.why
    appendix = by_row["p3", "Table 9 (later revision)", "large 224/1.0 MAdds"]
    assert appendix.figure.value == "217" and appendix.verdict == "within rounding"
    # Early revision: Small 66M / 2.9M, 0.75 44M / 2.4M; later: 56M / 2.5M and 44M / 2.0M.
    early = {row: by_row["p3", "Table 3 (early revision)", row].figure.value for row in (
        "MobileNetV3-Small 1.0 MAdds (early)", "MobileNetV3-Small 1.0 params (early)",
        "MobileNetV3-Small 0.75 MAdds (early)", "MobileNetV3-Small 0.75 params (early)")}  # fmt: skip
    assert list(early.values()) == ["66", "2.9", "44", "2.4"]
    later = by_row["p3", "Table 3 (later revision)", "MobileNetV3-Small 0.75 params"]
    assert later.figure.value == "2.0" and later.verdict == "within rounding"


@pytest.mark.parametrize(
    ("row", "printed"),
    [("large 224/0.5 MAdds", "69"), ("small 224/1.25 MAdds", "91"), ("small 224/0.5 MAdds", "21")],
)
def test_appendix_rows_need_the_first_conv_scaled(by_row, row, printed):
    result = by_row["p3", "Table 9 (later revision)", row]
    assert result.figure.value == printed and result.verdict == "within rounding"
    assert result.figure.convention == "paper"  # scales the first conv (scale_fixed)


def test_sixteen_filters_save_ten_million_madds(by_row):
    row = by_row["p3", "Section 5.1", "32 to 16 first-layer filters: MAdds saved"]
    # The first conv's 16 more filters, then the first block's depthwise and projection on 32 channels:
    conv, depthwise, project = 112 * 112 * 27 * 16, 112 * 112 * 9 * 16, 112 * 112 * 16 * 16
    assert row.value == conv + depthwise + project == 10_436_608 and row.verdict == "within rounding"
    assert row.figure.cli().endswith("minus mobicalc table v3-large --convention paper")


def test_v1_tables_10_and_12(by_row):
    # Table 10, Stanford Dogs: 120 classes. 1.0-224: the body (slim-v1-py docstring: 567,716,352 MACs,
    # 3,185,088 params) plus an FC 1024 x 120.
    dogs = by_row["p1", "Table 10", "1.0 MobileNet-224 MACs"]
    assert dogs.value == 567_716_352 + 1024 * 120 and dogs.verdict == "explained"  # 568, printed 569
    assert by_row["p1", "Table 10", "1.0 MobileNet-224 params"].value == 3_185_088 + 1024 * 120  # 3.3
    # Table 12, face attributes: the body alone.
    assert by_row["p1", "Table 12", "1.0 MobileNet-224 MACs"].value == 567_716_352
    assert by_row["p1", "Table 12", "1.0 MobileNet-224 MACs"].verdict == "within rounding"  # 568
    assert by_row["p1", "Table 12", "0.25 MobileNet-224 MACs"].verdict == "not reproducible"  # 45


def test_torchvision(by_row):
    table = "MobileNet_V3_*_Weights.IMAGENET1K_V1"
    assert by_row["torchvision", table, "mobilenet_v3_large num_params"].verdict == "exact"
    ops = by_row["torchvision", "MobileNet_V2_Weights.IMAGENET1K_V1", "mobilenet_v2 _ops (GFLOPS)"]
    # MobileNetV2 1.0-224: 300,774,272 MACs (docs/counting.md), 0.301 G at one FLOP per multiply-add.
    assert ops.value == 300_774_272 and ops.verdict == "within rounding"
    assert by_row["torchvision", table, "mobilenet_v3_small _file_size (MB)"].verdict == "out of scope"


def test_summary_line_counts_and_says_what_is_not_listed():
    data = run_json("reproduce")
    summary = data["summary"]
    assert summary["out_of_scope"] == 3 and summary["unexpected"] == 0
    assert Fraction(summary["reproduced"] + summary["explained"] + summary["not_reproducible"] + 3) == 284


def test_edgetpu_as_slim_builds_it(by_row):
    """README @ 60c28f9, Edge TPU checkpoints: dm=1 990M MACs / 4.0M params, dm=0.75 624M / 2.9M.
    The network by hand at dm=1, 224, slim's spec (mobilenet_v3.py V3_EDGETPU), MACs per layer:"""
    fused = [
        112 * 112 * 27 * 32,  # conv 3x3 s2, 3 -> 32
        112 * 112 * 32 * 16,  # fused ef 1: the projection only
        56 * 56 * 9 * 16 * 128 + 56 * 56 * 128 * 32,  # fused s2 ef 8: 3x3 conv 16 -> 128, 1x1 to 32
        3 * (56 * 56 * 9 * 32 * 128 + 56 * 56 * 128 * 32),  # 3 x fused ef 4 at 56
        28 * 28 * 9 * 32 * 256 + 28 * 28 * 256 * 48,  # fused s2 ef 8 to 48
        3 * (28 * 28 * 9 * 48 * 192 + 28 * 28 * 192 * 48),  # 3 x fused ef 4 at 28
    ]
    inverted = [
        28 * 28 * 48 * 384 + 14 * 14 * 9 * 384 + 14 * 14 * 384 * 96,  # ef 8, s2, to 96
        6 * (14 * 14 * 96 * 384 + 14 * 14 * 9 * 384 + 14 * 14 * 384 * 96),  # 3 + 3 x ef 4 at 14
        14 * 14 * 96 * 768 + 14 * 14 * 9 * 768 + 14 * 14 * 768 * 96,  # ef 8, no residual
        14 * 14 * 96 * 768 + 7 * 7 * 25 * 768 + 7 * 7 * 768 * 160,  # 5x5 ef 8, s2, to 160
        3 * (7 * 7 * 160 * 640 + 7 * 7 * 25 * 640 + 7 * 7 * 640 * 160),  # 3 x 5x5 ef 4
        7 * 7 * 160 * 1280 + 7 * 7 * 9 * 1280 + 7 * 7 * 1280 * 192,  # ef 8 to 192
        7 * 7 * 192 * 1280,  # the last 1x1 conv
        1280 * 1001,  # the logits, 1001 classes
    ]
    one = by_row["slim-v3", "Edge TPU checkpoints", "MobilenetEdgeTPU dm=1 MACs"]
    assert one.value == sum(fused) + sum(inverted) == 990_670_464 and one.verdict == "within rounding"
    for row in ("dm=1 params", "dm=0.75 MACs", "dm=0.75 params"):
        assert (
            by_row["slim-v3", "Edge TPU checkpoints", f"MobilenetEdgeTPU {row}"].verdict == "within rounding"
        )


@pytest.mark.parametrize("name", ["mobilenet-edgetpu", "v3-large-32-filters", "shallow-v1"])
def test_the_data_tables_are_tables(name):
    """The figures' own architecture tables are validated as a user's file is (and run as one)."""
    from mobicalc.data import DATA
    from mobicalc.model import tables

    architecture = tables.load(DATA / f"{name}.toml")
    assert architecture.rows
    assert run_json("table", "--arch", str(DATA / f"{name}.toml"))["totals"]["macs"] > 0
