"""The CLI, through CliRunner and through the installed entry point."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import run, run_json, shape

from mobicalc.cli import main

# MobileNetV1 paper, Table 3: one 14x14x512 -> 14x14x512 layer, Dk = 3; then alpha 0.75 and rho 0.714.
TABLE_3 = ["ratio", "--M", "512", "--N", "512", "--dk", "3", "--dp", "14"]
TABLE_3_SCALED = [*TABLE_3, "--alpha", "0.75", "--rho", "0.714"]


class TestRatio:
    def test_512_and_3_shows_0_113(self):
        output = run("ratio", "--N", "512", "--dk", "3").output
        assert "= 0.113" in output
        assert any(line.startswith("closed form 1/N + 1/Dk² = 1/512 + 1/9") for line in output.splitlines())

    def test_paper_table_3_rows(self):
        # MobileNetV1 paper, Table 3 (14x14x512 -> 14x14x512, Dk = 3).
        data = run_json(*TABLE_3)
        assert data["standard"]["macs"] == 3 * 3 * 512 * 512 * 14 * 14  # 462M
        assert data["separable"]["macs"] == 3 * 3 * 512 * 14 * 14 + 512 * 512 * 14 * 14  # 52.3M
        assert data["standard"]["params"] == 3 * 3 * 512 * 512  # 2.36M
        assert data["separable"]["params"] == 3 * 3 * 512 + 512 * 512  # 0.27M
        assert data["ratio"] == pytest.approx(1 / 512 + 1 / 9)
        assert data["ratio_exact"] == "521/4608"  # (9 + 512) / (512 * 9)
        scaled = run_json(*TABLE_3_SCALED)
        assert scaled["inputs"]["dp"] == 10
        assert round(scaled["separable"]["macs"] / 1e6, 1) == 15.1

    def test_multipliers_are_explained(self):
        output = run(*TABLE_3_SCALED).output
        assert "alpha 0.75: M 512 -> 384, N 512 -> 384" in output  # int(512 x 0.75)
        assert "rho 0.714: Dp 14 x 0.714 = 9.996 -> 10" in output

    def test_formulas_with_numbers_in_table_output(self):
        output = run(*TABLE_3).output
        assert "3·3·512·512·14·14" in output
        assert "462,422,016" in output

    def test_lowercase_aliases(self):
        assert run_json("ratio", "--n", "64", "--dk", "3", "--m", "32")["inputs"]["M"] == 32

    @pytest.mark.parametrize("output_format", ["csv", "markdown"])
    def test_other_formats(self, output_format):
        output = run("ratio", "--N", "512", "--dk", "3", "--format", output_format).output
        assert "266752" in output.replace(",", "")


class TestTable:
    @pytest.mark.parametrize(
        ("args", "macs", "params"),
        [
            # What TensorFlow counts for keras.applications (see test_tensorflow_bridge.py).
            (["v1"], 568_740_352, 4_253_864),
            (["v1", "--alpha", "0.5"], 149_497_088, 1_342_536),
            (["v2"], 300_774_272, 3_538_984),
            (["v2", "--alpha", "1.4"], 582_195_824, 6_156_712),
        ],
    )
    def test_json_totals(self, args, macs, params):
        data = run_json("table", *args)
        assert data["totals"]["macs"] == macs
        assert data["totals"]["flops"] == 2 * macs
        assert data["totals"]["params"] == params
        assert data["totals"]["trainable_params"] + data["totals"]["non_trainable_params"] == params
        assert sum(layer["macs"] for layer in data["layers"]) == macs

    def test_json_contract_keys(self):
        data = run_json("table", "v1")
        assert set(data) >= {"model", "totals", "standard", "breakdown", "layers"}
        assert set(data["standard"]) >= {"macs", "params"}
        layer = data["layers"][0]
        assert layer["name"] == "conv1"
        assert shape(layer, "input") == [224, 224, 3] and shape(layer, "output") == [112, 112, 32]
        assert {
            "kind",
            "kernel",
            "stride",
            "macs",
            "params",
            "weights",
            "standard_macs",
            "standard_params",
        } <= set(layer)
        # 3x3x3x32 kernel weights; BN of 32 channels: trainable gamma, beta; non-trainable mean, variance.
        assert (layer["weights"], layer["bias"]) == (3 * 3 * 3 * 32, 0)
        assert (layer["batch_norm_trainable"], layer["batch_norm_non_trainable"]) == (2 * 32, 2 * 32)
        assert layer["trainable_params"] == 864 + 64
        assert layer["non_trainable_params"] == 64

    def test_v1_non_trainable_params_are_batch_norm_statistics(self):
        # 2 per channel of every batch-norm: 32 + 13 depthwise + 13 pointwise layers.
        depthwise = 32 + 64 + 128 + 128 + 256 + 256 + 512 * 6 + 1024
        pointwise = 64 + 128 + 128 + 256 + 256 + 512 * 6 + 1024 * 2
        assert run_json("table", "v1")["totals"]["non_trainable_params"] == 2 * (32 + depthwise + pointwise)

    @pytest.mark.parametrize("top", [[], ["--no-top"]])
    def test_json_names_are_keras_applications_names(self, top):
        # keras.applications.MobileNet: conv1, then conv_dw_N / conv_pw_N for blocks 1 to 13.
        v1 = ["conv1", *(f"conv_{part}_{block}" for block in range(1, 14) for part in ("dw", "pw"))]
        # MobileNetV2: Conv1, block 0 is "expanded_conv" (no expand), then block_N_* from 1 to 16,
        # an add on every repeat after the first of a row of the paper's Table 2 (n = 2, 3, 4, 3, 3, 1).
        v2 = ["Conv1", "expanded_conv_depthwise", "expanded_conv_project"]
        block = 1
        for repeats in (2, 3, 4, 3, 3, 1):
            for repeat in range(repeats):
                v2 += [f"block_{block}_{part}" for part in ("expand", "depthwise", "project")]
                v2 += [f"block_{block}_add"] if repeat else []
                block += 1
        v2.append("Conv_1")
        if not top:
            v1 += ["global_average_pooling2d", "conv_preds"]
            v2 += ["global_average_pooling2d", "predictions"]
        for model, expected in (("v1", v1), ("v2", v2)):
            assert [layer["name"] for layer in run_json("table", model, *top)["layers"]] == expected

    def test_rich_table_piped_is_plain_text(self):
        output = run("table", "v1", "--alpha", "0.5").output
        assert "\x1b[" not in output
        assert "conv_pw_13" in output
        assert "149,497,088" in output
        assert all(line == line.rstrip() for line in output.splitlines())

    def test_csv_is_one_row_per_layer(self):
        rows = list(csv.DictReader(io.StringIO(run("table", "v2", "--format", "csv").output)))
        assert len(rows) == len(run_json("table", "v2")["layers"])
        assert sum(int(row["macs"]) for row in rows) == 300_774_272

    def test_markdown(self):
        output = run("table", "v1", "--format", "markdown").output
        assert output.startswith("### MobileNetV1")
        assert "| 1 | conv1 | conv |" in output

    def test_user_table(self, tmp_path):
        path = tmp_path / "net.toml"
        path.write_text(
            'layers = [{ operator = "conv", kernel = 1, c = 8 }, { operator = "pool" }, { operator = "classifier" }]'
        )
        data = run_json("table", "--arch", str(path), "--resolution", "10", "--classes", "5")
        assert data["totals"]["macs"] == 3 * 8 * 10 * 10 + 8 * 5

    def test_odd_resolution_and_no_top(self):
        data = run_json("table", "v1", "--resolution", "225", "--no-top")
        assert shape(data["layers"][-1], "output") == [7, 7, 1024]
        assert data["model"]["classes"] is None

    def test_exact_rounding_prints_exact_decimals(self):
        data = run_json("table", "v1", "--alpha", "0.6", "--rounding", "exact")
        assert data["layers"][0]["output_channels"] == 19.2
        assert data["layers"][0]["macs"] == 3 * 3 * 3 * 19.2 * 112 * 112
        # 32 x 0.6 = 19.2 channels, written as a decimal in the text too (not as 96/5).
        wide = run("table", "v1", "--alpha", "0.6", "--rounding", "exact", "--wide").output
        assert "224x224x3" in wide and "112x112x19.2" in wide


def test_help_teaches_the_conventions():
    output = run("--help").output
    assert "mobicalc ratio --N 512 --dk 3" in output
    assert "FLOPs   2 x MACs" in output
    assert "count_params()" in output
    table_help = run("table", "--help").output
    for option in ("--alpha", "--resolution", "--classes", "--no-top", "--rounding", "--format", "--arch"):
        assert option in table_help


def installed(command: str) -> list[str]:
    """The console script beside this Python (its venv's bin), else on PATH."""
    beside = Path(sys.executable).with_name(command)
    path = str(beside) if beside.exists() else shutil.which(command)
    if path is None:
        pytest.skip(f"{command} is not installed (pip install -e .)")
    return [path]


@pytest.mark.parametrize("entry", [["mobicalc"], [sys.executable, "-m", "mobicalc"]])
def test_installed_entry_point(entry):
    command = installed(entry[0]) if entry == ["mobicalc"] else entry
    result = subprocess.run(
        [*command, "table", "v2", "--format", "json"], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout)["totals"]["macs"] == 300_774_272
    bad = subprocess.run([*command, "ratio", "--N", "0", "--dk", "3"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "Usage:" in bad.stderr


def test_plain_commands_do_not_import_tensorflow_numpy_or_rich():
    code = (
        "import sys; from mobicalc.cli import main\n"
        "try: main(['table', 'v1'])\n"
        "except SystemExit: pass\n"
        "try: main(['ratio', '--N', '512', '--dk', '3'])\n"
        "except SystemExit: pass\n"
        # Piped output is plain text: not even Rich is loaded.
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'numpy', 'rich') if m in sys.modules)\n"
        "print('heavy:', heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert "heavy: []" in result.stdout, result.stdout + result.stderr


class TestCheck:
    def test_within_budget_exits_0(self):
        result = run("check", "v2", "--alpha", "0.75", "--max-macs", "300M", "--max-params", "4.3M")
        assert "within budget" in result.output

    def test_over_budget_exits_1_and_says_which(self):
        result = run("check", "v1", "--max-macs", "500M", "--max-params", "5M", code=1)
        assert "OVER BUDGET" in result.output
        assert "over budget: macs" in result.output

    def test_budget_is_inclusive_and_exact(self):
        # MobileNetV1 1.0-224: 568,740,352 MACs (what TensorFlow counts).
        run("check", "v1", "--max-macs", "568740352")
        run("check", "v1", "--max-macs", "568740351", code=1)
        run("check", "v1", "--max-flops", "1137480704")  # 2 x MACs
        run("check", "v1", "--max-flops", "1.137480703G", code=1)

    def test_json_for_pipelines(self):
        result = run("check", "v1", "--max-params", "4.3M", "--max-macs", "0.5G", "--format", "json", code=1)
        data = json.loads(result.output)
        assert data["ok"] is False
        assert {c["metric"]: (c["budget"], c["ok"]) for c in data["checks"]} == {
            "params": (4_300_000, True),
            "macs": (500_000_000, False),
        }

    @pytest.mark.parametrize("budget", ["5x", "M", "-3M", "1.2.3", "", "3MM"])
    def test_bad_budget_is_a_usage_error(self, budget):
        result = CliRunner().invoke(main, ["check", "v1", "--max-macs", budget])
        assert result.exit_code == 2
        assert "is not a count" in result.output

    def test_a_budget_is_required(self):
        result = CliRunner().invoke(main, ["check", "v1"])
        assert result.exit_code == 2
        assert "give at least one budget" in result.output


@pytest.mark.parametrize(
    "command",
    [[], ["table"], ["ratio"], ["check"], ["verify"], ["bench"], ["bench", "model"], ["bench", "ratio"]],
)
def test_help_fits_80_columns(command):
    output = CliRunner().invoke(main, [*command, "--help"], terminal_width=80).output
    assert max(len(line) for line in output.splitlines()) <= 80
    cut = [line for line in output.splitlines() if line.endswith("...") and not line.startswith("Usage:")]
    assert cut == []  # no command's summary is cut short


class TestInputShape:
    """--resolution HEIGHTxWIDTH, --input-channels and --depth-multiplier on every model command."""

    def test_table_json_fields_of_a_non_square_grayscale_input(self):
        data = run_json("table", "v1", "--resolution", "192x256", "--input-channels", "1")
        model = data["model"]
        assert model["resolution"] == [192, 256]
        assert (model["height"], model["width"], model["input_channels"]) == (192, 256, 1)
        assert model["depth_multiplier"] == 1
        first, last = data["layers"][0], data["layers"][-3]  # conv1 and conv_pw_13
        assert shape(first, "input") == [192, 256, 1] and shape(first, "output") == [96, 128, 32]
        assert shape(last, "output") == [6, 8, 1024]
        assert first["macs"] == 3 * 3 * 1 * 32 * 96 * 128 and first["weights"] == 3 * 3 * 1 * 32

    def test_a_square_given_as_a_pair_is_the_square_model(self):
        assert run_json("table", "v1", "--resolution", "160x160") == run_json(
            "table", "v1", "--resolution", "160"
        )
        model = run_json("table", "v1")["model"]
        assert (model["resolution"], model["height"], model["width"], model["input_channels"]) == (
            224,
            224,
            224,
            3,
        )

    def test_title_names_the_shape_and_the_multiplier(self):
        output = run(
            "table", "v1", "--resolution", "97x33", "--input-channels", "4", "--depth-multiplier", "2"
        )
        assert "alpha 1, 97x33x4, depth multiplier 2, 1000 classes" in " ".join(output.output.split())
        assert "alpha 1, 224x224, 1000 classes" in " ".join(run("table", "v1").output.split())

    def test_csv_has_heights_and_widths_apart(self):
        output = run("table", "v2", "--resolution", "161x97", "--format", "csv").output
        rows = list(csv.DictReader(io.StringIO(output)))
        assert (rows[0]["input_height"], rows[0]["input_width"]) == ("161", "97")
        assert (rows[0]["output_height"], rows[0]["output_width"]) == ("81", "49")
        assert (
            sum(int(row["macs"]) for row in rows)
            == run_json("table", "v2", "--resolution", "161x97")["totals"]["macs"]
        )

    def test_depth_multiplier_in_table_json(self):
        data = run_json("table", "v1", "--resolution", "128", "--depth-multiplier", "2")
        layers = {layer["name"]: layer for layer in data["layers"]}
        assert shape(layers["conv_dw_1"], "output") == [64, 64, 64]
        assert shape(layers["conv_pw_1"], "input") == [64, 64, 64]
        assert data["totals"]["params"] == 7_457_928  # keras.applications.MobileNet(depth_multiplier=2)
        assert data["model"]["depth_multiplier"] == 2

    def test_check_takes_the_shape(self):
        # v1 at 192x256: 557,154,304 MACs; at 224x224 568,740,352.
        run("check", "v1", "--resolution", "192x256", "--max-macs", "557154304")
        run("check", "v1", "--resolution", "192x256", "--max-macs", "557154303", code=1)
        data = json.loads(
            run("check", "v1", "--resolution", "192x256", "--input-channels", "1", "--max-params", "4.3M",
                "--format", "json").output
        )  # fmt: skip
        assert data["model"]["resolution"] == [192, 256] and data["model"]["input_channels"] == 1

    def test_a_table_can_give_its_shape(self, tmp_path):
        path = tmp_path / "net.toml"
        path.write_text(
            "resolution = [12, 20]\ninput_channels = 1\ndepth_multiplier = 2\nlayers = [\n"
            '  { operator = "separable", kernel = 3, c = 8, s = 2 },\n  { operator = "pool" },\n'
            '  { operator = "classifier" },\n]\n'
        )
        data = run_json("table", "--arch", str(path), "--classes", "5")
        assert (data["model"]["height"], data["model"]["width"], data["model"]["depth_multiplier"]) == (
            12,
            20,
            2,
        )
        # depthwise 3x3, 1 -> 2 channels at 6x10; pointwise 2 -> 8; classifier 8 -> 5 (with bias).
        assert data["totals"]["macs"] == 3 * 3 * 2 * 6 * 10 + 2 * 8 * 6 * 10 + 8 * 5
        # The options override the table's.
        data = run_json("table", "--arch", str(path), "--resolution", "9", "--depth-multiplier", "1")
        assert (data["model"]["resolution"], data["model"]["depth_multiplier"]) == (9, 1)
