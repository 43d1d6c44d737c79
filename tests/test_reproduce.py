"""mobicalc reproduce: the published figures as data, each with a verdict."""

import subprocess
import sys
from fractions import Fraction

from helpers import run, run_json

from mobicalc.count import figures


def test_every_figure_has_the_verdict_its_data_expects():
    results = figures.reproduce()
    assert results and all(result.ok for result in results), [r.figure.citation for r in results if not r.ok]


def test_counts_and_json():
    data = run_json("reproduce")
    summary = data["summary"]
    assert data["ok"] is True
    assert summary["figures"] == len(data["figures"]) == 200
    assert (
        summary["reproduced"] + summary["explained"] + summary["not_reproducible"] + summary["out_of_scope"]
        == summary["figures"]
    )
    row = next(f for f in data["figures"] if f["source"] == "p1" and f["row"] == "Conv 3x3 MACs")
    assert row["verdict"] == "explained" and "1.91" in row["why"]


def test_published_figures_cited():
    by_row = {(r.figure.source, r.figure.table, r.figure.row): r for r in figures.reproduce()}
    # MobileNetV1 paper Table 8: 1.0 MobileNet-224, 569 million mult-adds, 4.2 million parameters.
    assert by_row["p1", "Table 8", "1.0 MobileNet-224 MACs"].verdict == "within rounding"
    # MobileNetV2 paper Table 4: MobileNetV2 300M MAdds, 3.4M params: both truncated, not rounded.
    v2 = by_row["p2", "Table 4", "MobileNetV2 MACs"]
    assert v2.figure.rounding == "floor" and v2.verdict == "within rounding"
    # MobileNetV1 paper Table 4: Conv MobileNet 4866 leaves out the classifier (1024 x 1000 x 1 MACs).
    conv = by_row["p1", "Table 4", "Conv MobileNet MACs"]
    assert conv.verdict == "explained"
    assert conv.value is not None and conv.value - 1024 * 1000 < Fraction(48665, 10) * 10**6
    # slim-v1-py docstring, "Total": 3,185,088 params and 567,716,352 MACs for the base at 224.
    assert by_row["slim-v1-py", "docstring", "1.0 base 224 Total MACs"].value == 567_716_352
    assert by_row["slim-v1-py", "docstring", "1.0 base 224 Total params"].verdict == "exact"


def test_v2_paper_table_3_memory_figures():
    """Table 3: the largest tensor held whole, 16-bit, in thousands of bytes, rounded down."""
    by_row = {r.figure.row: r for r in figures.reproduce("p2") if r.figure.table == "Table 3"}
    # Rev. A maxima: V1 conv_pw_1's 112x112x64 output; V2 block 0's 112x112x16 output (Conv1
    # streamed into block 0: the caption's first-layer trick).
    v1, v2 = by_row["MobileNetV1 max memory (rev. A)"], by_row["MobileNetV2 max memory (rev. A)"]
    assert v1.value == 112 * 112 * 64 * 2 == 1_605_632 and v1.verdict == "within rounding"
    assert v2.value == 112 * 112 * 16 * 2 == 401_408 and v2.verdict == "within rounding"
    assert v1.figure.cli() == "mobicalc table v1 --convention paper --dtype float16"
    # Rev. B prints O(1) at 112x112, so its maxima are the largest tensors below 112x112:
    # V1 56x56x128 (800K); V2 holds 56x56x24 there, the printed 200K is the row's 32 channels.
    assert by_row["MobileNetV1 max memory (rev. B)"].value == 56 * 56 * 128 * 2 == 802_816
    v2b = by_row["MobileNetV2 max memory (rev. B)"]
    assert v2b.value == 56 * 56 * 24 * 2 and v2b.verdict == "explained" and "200,704" in v2b.figure.why
    assert 32 * 56 * 56 * 2 == 200_704
    # Every V1 row but 7x7 reproduces: channels exactly, memory rounded down.
    for size, channels in ((112, 64), (56, 128), (28, 256), (14, 512), (7, 1024), (1, 1024)):
        assert by_row[f"MobileNetV1 {size}x{size} channels"].value == channels
        assert by_row[f"MobileNetV1 {size}x{size} memory"].value == size * size * channels * 2
    seven = by_row["MobileNetV1 7x7 memory"]
    assert seven.value == 7 * 7 * 1024 * 2 == 100_352 and seven.verdict == "not reproducible"
    # The table rounds down: 160 x 14 x 14 x 2 = 62,720 is printed 62, 1280 x 2 = 2,560 printed 2.
    one = by_row["MobileNetV2 1x1 memory"]
    assert one.value == 1280 * 2 and one.verdict == "within rounding"
    assert figures._round(Fraction(62_720, 1000), "floor", 0) == 62
    assert figures._round(Fraction(1_605_632, 1000), "floor", -2) == 1600
    # V2's rows below 112 list each stage's output channels at its input size: explained.
    for size, held, printed in ((56, 24, 32), (28, 32, 64), (14, 96, 160)):
        row = by_row[f"MobileNetV2 {size}x{size} channels"]
        assert (row.value, row.figure.value, row.verdict) == (held, str(printed), "explained")
    assert by_row["MobileNetV2 7x7 memory"].value == 7 * 7 * 1280 * 2  # Conv_1, held whole
    assert by_row["MobileNetV2 7x7 memory"].verdict == "not reproducible"  # 320 x 7 x 7 x 2 = 31,360


def test_source_filter_and_unknown_source():
    data = run_json("reproduce", "--source", "slim-v1")
    assert {row["source"] for row in data["figures"]} == {"slim-v1"}
    assert len(data["figures"]) == 20  # 16 MACs rows + 4 params rows of mobilenet_v1.md
    assert run("reproduce", "--source", "nope", code=2).output


def test_an_unexpected_verdict_exits_1(monkeypatch):
    original = figures.evaluate

    def wrong(figure):
        result = original(figure)
        return figures.Result(result.figure, result.value, result.verdict, False)

    monkeypatch.setattr(figures, "evaluate", wrong)
    assert "UNEXPECTED" in run("reproduce", code=1).output


def test_fits_80_columns_without_tensorflow():
    process = subprocess.run(
        [sys.executable, "-c", "import sys; from mobicalc.cli import main; main(); ", "reproduce"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "80", "PATH": ""},
    )
    assert process.returncode == 0, process.stderr
    assert max(len(line) for line in process.stdout.splitlines()) <= 80
    assert "tensorflow" not in process.stderr


def test_no_tensorflow_imported():
    code = "import sys; from mobicalc.count import figures; figures.reproduce(); print('tensorflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )


def test_v3_figures():
    by_row = {
        (r.figure.source, r.figure.row): r
        for r in figures.reproduce()
        if r.figure.source in ("p3", "keras-v3-doc")
    }
    large = by_row["keras-v3-doc", "Large 1.0 MACs"]
    assert large.value == 216_589_760 and large.verdict == "within rounding"  # 216.6 -> 217
    assert by_row["keras-v3-doc", "Large minimalistic 1.0 MACs"].figure.cli() == (
        "mobicalc table v3-large --minimalistic"
    )
    assert by_row["keras-v3-doc", "Large minimalistic 1.0 MACs"].value == 209_136_704
    # The docstring's Small 1.0 (66M, 2.9M) is not Keras's own Small (56,510,400 MACs, 2,554,968 params) but
    # the paper's first revisions' Small (tests/test_v3.py works it out): explained, not reproduced.
    small = by_row["keras-v3-doc", "Small 1.0 MACs"]
    assert small.value == 56_510_400 and small.verdict == "explained"
    # The paper's final revision: Small 56M and 2.5M, truncated, weights only (no batch-norm).
    assert by_row["p3", "MobileNetV3-Small 1.0 MAdds"].verdict == "within rounding"
    assert by_row["p3", "MobileNetV3-Small 1.0 params"].value == 2_525_832
    assert by_row["p3", "MobileNetV3-Large 1.0 MAdds"].verdict == "not reproducible"  # 219 for 216.6
