"""mobicalc sweep: exact ranges, every cell as `table` gives it, budgets and the frontier, published
top-1 with its source, the plot (an optional extra), and output that fits 80 columns."""

import csv
import io
import json
import os
import random
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ElementTree
from fractions import Fraction

import pytest
from click.testing import CliRunner
from helpers import ANSI, environment, mobicalc_process, on_terminal, run, run_json
from test_engine import v1_by_hand

import mobicalc
from mobicalc.cli import main
from mobicalc.cli.exits import Exit
from mobicalc.count.accuracy import ACCURACY_FILE
from mobicalc.count.conventions import CONVENTIONS, describe
from mobicalc.count.costs import Cost
from mobicalc.count.frontier import frontier
from mobicalc.count.ranges import MAX_CONFIGURATIONS, RangeError, short_ranges, values
from mobicalc.numbers import human

NET = (
    'layers = [{ operator = "conv", c = 24, s = 2 }, { operator = "bottleneck", t = 4, c = 24, n = 2, s = 2 },'
    ' { operator = "pool" }, { operator = "classifier" }]\n'
)


def table_totals(*args: str) -> dict:
    return run_json("table", *args)["totals"]


class TestRanges:
    def test_a_range_of_fractions_is_exact_and_includes_its_stop(self):
        found = values("0.25:1.4:0.05")
        assert len(found) == 24
        assert found == [Fraction(25 + 5 * i, 100) for i in range(24)]
        assert found[1] == Fraction("0.30") and found[-1] == Fraction("1.4")

    def test_integer_ranges_lists_and_mixtures(self):
        assert values("96:320:16", integer=True) == list(range(96, 321, 16))
        assert values("128,160:224:32,96", integer=True) == [128, 160, 192, 224, 96]
        assert values("0.5,0.50,1") == [Fraction(1, 2), 1]  # a value given twice is kept once
        assert values("7:7:1") == [7]

    def test_a_step_that_misses_the_stop_ends_below_it_and_says_so(self):
        assert values("96:293:2", integer=True)[-1] == 292
        assert short_ranges("96:293:2", integer=True) == [
            "96:293:2 ends at 292: the step 2 does not reach 293 (ranges include the stop only when the step lands on it)"
        ]
        assert short_ranges("0.25:1.4:0.05,1,96:100:2") == []

    @pytest.mark.parametrize(
        ("text", "integer", "message"),
        [
            ("", False, "no values"),
            ("0.5,,1", False, "an empty item"),
            ("1:0.5:0.1", False, "is empty: the stop 0.5 is below the start 1"),
            ("0.5:1:0", False, "the step is zero"),
            ("0.5:1:-0.1", False, "negative"),
            ("-1", False, "negative"),
            ("0", False, "is not positive"),
            ("0:1:0.5", False, "is not positive"),
            ("abc", False, "is not a number"),
            ("1:2", False, "is not a range"),
            ("96:224:1.5", True, "is not a whole number"),
            ("1:2000000:1", True, "a sweep has at most 1,000,000"),
            ("1" * 101, True, "too long"),
        ],
    )
    def test_bad_values_are_refused(self, text, integer, message):
        with pytest.raises(RangeError, match=message):
            values(text, integer=integer)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--alpha", "1:0.5:0.1"], "is empty"),
            (["--alpha", "0.5:1:0"], "the step is zero"),
            (["--resolution", "96:-224:32"], "negative"),
            (["--resolution", "224.5"], "not a whole number"),
            (["--alpha", "0.01:20000:0.01"], "a sweep has at most 1,000,000"),
            (
                ["--alpha", "0.001:1:0.001", "--resolution", "1:2000:1"],
                "2,000,000 configurations: a sweep has at most 1,000,000",
            ),
            (["--alpha", "200"], "at most 100"),
            (["--alpha", "0.001"], "leaves 0 channels"),
            (["--resolution", "2"], "too small"),
        ],
    )
    def test_bad_sweeps_are_usage_errors(self, args, message):
        result = run("sweep", "v1", *args, code=Exit.USAGE)
        assert message in result.output
        assert "Traceback" not in result.output

    def test_the_limit_is_documented(self):
        assert MAX_CONFIGURATIONS == 1_000_000
        assert "1,000,000" in run("sweep", "--help").output


class TestCells:
    @pytest.mark.parametrize(
        ("model", "options"),
        [
            ("v1", []),
            ("v2", []),
            ("v2", ["--classes", "10"]),
            ("v1", ["--no-top"]),
            ("v1", ["--rounding", "exact"]),
            ("v2", ["--rounding", "divisible-by-8"]),
        ],
    )
    def test_every_cell_is_what_table_gives(self, model, options):
        data = run_json(
            "sweep", model, "--alpha", "0.35,0.5:1.3:0.4", "--resolution", "33,97,224:226:1", *options
        )
        assert len(data["configurations"]) == 4 * 5  # 0.35, 0.5, 0.9, 1.3 x 33, 97, 224, 225, 226
        for row in data["configurations"]:
            totals = table_totals(
                model, "--alpha", str(row["alpha"]), "--resolution", str(row["resolution"]), *options
            )
            assert {key: row[key] for key in ("macs", "flops", "params")} == {
                key: totals[key] for key in ("macs", "flops", "params")
            }

    def test_a_user_table(self, tmp_path):
        path = tmp_path / "net.toml"
        path.write_text(NET)
        data = run_json("sweep", "--arch", str(path), "--alpha", "0.5,0.75", "--resolution", "31,64")
        assert data["model"]["table"] == str(path)
        for row in data["configurations"]:
            totals = table_totals(
                "--arch", str(path), "--alpha", str(row["alpha"]), "--resolution", str(row["resolution"])
            )
            assert (row["macs"], row["params"]) == (totals["macs"], totals["params"])
            assert row["top1"] is None

    def test_json_and_csv_have_the_same_keys_per_configuration(self):
        data = run_json("sweep", "v1", "--alpha", "0.25,1", "--resolution", "128,224")
        result = run("sweep", "v1", "--alpha", "0.25,1", "--resolution", "128,224", "--format", "csv")
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert list(rows[0]) == list(data["configurations"][0])
        for key in (
            "alpha",
            "resolution",
            "macs",
            "flops",
            "params",
            "top1",
            "frontier",
            "model",
            "rounding",
        ):
            assert key in rows[0]
        assert [(r["alpha"], r["resolution"], r["macs"], r["top1"]) for r in rows] == [
            (
                str(c["alpha"]),
                str(c["resolution"]),
                str(c["macs"]),
                "" if c["top1"] is None else str(c["top1"]),
            )
            for c in data["configurations"]
        ]
        assert (
            rows[-1]["top1"] == "70.9"
            and rows[-1]["model"] == "MobileNetV1"
            and rows[-1]["rounding"] == "keras"
        )

    def test_the_grid_is_alpha_major_in_the_order_given(self):
        data = run_json("sweep", "v1", "--alpha", "1,0.5", "--resolution", "224,128")
        assert [(c["alpha"], c["resolution"]) for c in data["configurations"]] == [
            (1, 224), (1, 128), (0.5, 224), (0.5, 128)
        ]  # fmt: skip
        assert data["alphas"] == [1, 0.5] and data["resolutions"] == [224, 128]

    def test_the_python_api_gives_the_same_numbers(self):
        points = mobicalc.sweep("v1", ["0.5", "1"], [128, 224])
        data = run_json("sweep", "v1", "--alpha", "0.5,1", "--resolution", "128,224")
        assert [p.totals.macs for p in points] == [c["macs"] for c in data["configurations"]]
        assert mobicalc.frontier(points) == [c["frontier"] for c in data["configurations"]]


class TestConventions:
    @pytest.mark.parametrize("convention", list(CONVENTIONS))
    @pytest.mark.parametrize(
        ("model", "options"),
        [("v1", []), ("v2", []), ("v3-small", []), ("v2", ["--rounding", "exact", "--no-top"])],
    )
    def test_every_cell_is_what_table_gives_under_each_convention(self, model, options, convention):
        args = [*options, "--convention", convention]
        data = run_json("sweep", model, "--alpha", "0.35,0.75,1.3", "--resolution", "33,97,224", *args)
        assert len(data["configurations"]) == 9
        for row in data["configurations"]:
            totals = table_totals(
                model, "--alpha", str(row["alpha"]), "--resolution", str(row["resolution"]), *args
            )
            assert {key: row[key] for key in ("macs", "flops", "params")} == {
                key: totals[key] for key in ("macs", "flops", "params")
            }

    def test_tf_profiler_flops_count_the_elementwise_ops(self):
        # docs/counting.md: V1 1.0-224's profiler total is 1,147,687,920 = 2 x 568,740,352 + 10,207,216.
        (row,) = run_json(
            "sweep", "v1", "--alpha", "1", "--resolution", "224", "--convention", "tf-profiler"
        )["configurations"]
        assert (row["macs"], row["flops"]) == (568_740_352, 1_147_687_920)
        points = mobicalc.sweep("v3-small", ["1"], [96], convention="tf-profiler")
        assert points[0].totals.flops == mobicalc.sweep("v3-small", ["1"], [96])[0].totals.flops + 1_187_768

    def test_a_first_layer_whose_flops_scale_with_the_input(self, tmp_path):
        path = tmp_path / "pooled.toml"  # a pool first: its Mean is one FLOP per input value
        path.write_text('layers = [{ operator = "pool" }, { operator = "classifier" }]\n')
        data = run_json("sweep", "--arch", str(path), "--resolution", "5,7", "--convention", "tf-profiler")
        for row in data["configurations"]:
            totals = table_totals("--arch", str(path), "--resolution", str(row["resolution"]),
                                  "--convention", "tf-profiler")  # fmt: skip
            assert row["flops"] == totals["flops"] == 2 * 3 * 1000 + row["resolution"] ** 2 * 3 + 6 * 1000

    @pytest.mark.parametrize("convention", list(CONVENTIONS))
    def test_json_names_the_convention_and_its_switches(self, convention):
        data = run_json("sweep", "v1", "--alpha", "0.5", "--resolution", "128", "--convention", convention)
        assert data["convention"] == json.loads(json.dumps(describe(CONVENTIONS[convention])))
        table = CliRunner().invoke(
            main, ["table", "v1", "--alpha", "0.5", "--resolution", "128", "--convention", convention,
                   "--format", "json"],
        )  # fmt: skip
        assert data["convention"] == json.loads(table.output)["convention"]
        assert data["conventions"] == json.loads(table.output)["conventions"]

    def test_the_flops_label_says_what_flops_are(self):
        keras = run("sweep", "v1", "--alpha", "1", "--resolution", "224")
        assert "FLOPs = 2 x MACs;" in keras.output and "convention" not in keras.output
        profiler = run("sweep", "v1", "--alpha", "1", "--resolution", "224", "--convention", "tf-profiler")
        assert "FLOPs = 2 x MACs + elementwise;" in " ".join(profiler.output.split())
        assert "convention tf-profiler" in profiler.output


# A hand-worked grid: MobileNetV1 at alphas 0.25, 0.5 and 0.5009 x 128, 160 and 224. Under keras
# rounding int(c x alpha), 0.5009 gives every layer the channels of 0.5 (1024 x 0.5009 = 512.9),
# so the 0.5 row costs exactly what the 0.5009 row costs: each 0.5 configuration is dominated.
ALPHAS = ["0.25", "0.5", "0.5009"]
SIZES = [128, 160, 224]
HAND = {(alpha, size): v1_by_hand(float(alpha), size) for alpha in ALPHAS for size in SIZES}


class TestBudgetsAndFrontier:
    def test_the_hand_worked_grid(self):
        assert (
            HAND["0.5", 160] == HAND["0.5009", 160] == (76_525_312 - 512, 1_342_536)
        )  # 1001 -> 1000 classes
        data = run_json("sweep", "v1", "--alpha", ",".join(ALPHAS), "--resolution", ",".join(map(str, SIZES)))
        got = {(str(c["alpha"]), c["resolution"]): (c["macs"], c["params"]) for c in data["configurations"]}
        assert got == HAND
        dominated = {(str(c["alpha"]), c["resolution"]) for c in data["configurations"] if not c["frontier"]}
        assert dominated == {("0.5", 128), ("0.5", 160), ("0.5", 224)}

    def test_a_budget_keeps_what_is_within_it_and_the_frontier_among_them(self):
        budget = HAND["0.5", 160][0]  # inclusive: 0.5 and 0.5009 at 160 are exactly at it
        data = run_json("sweep", "v1", "--alpha", ",".join(ALPHAS), "--resolution", ",".join(map(str, SIZES)),
                        "--max-macs", str(budget))  # fmt: skip
        kept = {(str(c["alpha"]), c["resolution"]): c["frontier"] for c in data["configurations"]}
        expected = {key for key, (macs, _) in HAND.items() if macs <= budget}
        assert set(kept) == expected == {
            ("0.25", 128), ("0.25", 160), ("0.25", 224), ("0.5", 128), ("0.5", 160), ("0.5009", 128), ("0.5009", 160)
        }  # fmt: skip
        assert {key for key, on in kept.items() if not on} == {("0.5", 128), ("0.5", 160)}
        assert data["ok"] is True and data["swept"] == 9 and data["within_budget"] == 7
        assert data["budgets"] == {"macs": budget}

    def test_params_and_flops_budgets(self):
        params = HAND["0.25", 128][1]
        data = run_json("sweep", "v1", "--alpha", ",".join(ALPHAS), "--resolution", "128,160,224",
                        "--max-params", str(params), "--max-flops", str(2 * HAND["0.25", 160][0]))  # fmt: skip
        assert {(str(c["alpha"]), c["resolution"]) for c in data["configurations"]} == {
            ("0.25", 128),
            ("0.25", 160),
        }

    @pytest.mark.parametrize("output_format", ["json", "table", "csv", "markdown"])
    def test_nothing_within_budget_exits_1(self, output_format):
        result = run("sweep", "v1", "--alpha", "0.25,1", "--max-macs", "1M", "--format", output_format,
                     code=Exit.FAILED)  # fmt: skip
        if output_format == "json":
            data = json.loads(result.output)
            assert data["ok"] is False and data["configurations"] == [] and data["best_published"] is None
        if output_format == "table":
            assert "No configuration is within budget" in result.output

    @pytest.mark.parametrize(
        ("seed", "sizes"),
        [
            (11, [1, 2, 3, 4, 5]),  # square sizes only
            # A HEIGHTxWIDTH among them: a size is at least another when its height and width both are.
            # Normal sizes, as sweep makes them: no square given as a pair.
            (12, [3, (2, 4), (4, 2), (3, 4), (4, 4), 1, (1, 5)]),
        ],
    )
    def test_frontier_against_brute_force(self, seed, sizes):
        generator = random.Random(seed)

        for _ in range(300):
            points = [
                (Fraction(generator.randint(1, 5), 4), generator.choice(sizes),
                 Cost(macs=generator.randint(0, 6), weights=generator.randint(0, 6)))
                for _ in range(generator.randint(0, 14))
            ]  # fmt: skip
            assert_frontier_is_brute_force(points)

    @pytest.mark.parametrize("sizes", [[1, 2, 3, 4, 5], [3, (2, 4), (4, 2), (3, 4), 1]])
    def test_frontier_against_brute_force_when_params_follow_alpha(self, sizes):
        """As in any sweep of a table: params depend on alpha alone and never fall as it grows (equal
        params at several alphas, as widths that round to the same channels); MACs anything."""
        generator = random.Random(13)

        for _ in range(300):
            params = sorted(generator.randint(0, 4) for _ in range(5))  # by alpha 1/4 .. 5/4, never falling
            points = []
            for _ in range(generator.randint(0, 16)):
                step = generator.randint(1, 5)
                points.append((Fraction(step, 4), generator.choice(sizes),
                               Cost(macs=generator.randint(0, 6), weights=params[step - 1])))  # fmt: skip
            assert_frontier_is_brute_force(points)

    def test_configurations_are_a_sequence_made_from_columns(self):
        """design_space holds its configurations by width (count/grid.py); each one made when asked for is
        what cost() gives for it alone, with the frontier frontier() gives and the published top-1."""
        alphas, sizes = (
            [Fraction(7, 20), Fraction(1, 2), Fraction(1, 2), Fraction(7, 5)],
            [96, (128, 160), 96, 224],
        )
        space = mobicalc.design_space("v2", alphas, sizes, budgets={"macs": 300_000_000})
        listed = list(space.configurations)
        expected = [
            (alpha, network.resolution, network.totals)
            for alpha in alphas
            for size in sizes
            if (network := mobicalc.cost("v2", alpha=alpha, resolution=size)).macs <= 300_000_000
        ]
        assert [(c.alpha, c.resolution, c.totals) for c in listed] == expected
        assert [c.frontier for c in listed] == frontier(expected)
        top1 = space.published.top1
        assert [c.top1 for c in listed] == [
            top1.get((a, r)) if isinstance(r, int) else None for a, r, _ in expected
        ]
        assert any(c.top1 is not None for c in listed) and any(c.top1 is None for c in listed)
        configurations = space.configurations
        assert len(configurations) == len(listed) == 15  # of 16: only 1.4 at 224 (582M MACs) is over
        assert configurations == listed and configurations[1:4] == listed[1:4]
        assert configurations[0] == listed[0] and configurations[-1] == listed[-1]
        assert configurations.rated() == [c for c in listed if c.top1 is not None]
        with pytest.raises(IndexError):
            configurations[len(listed)]


class TestPublishedAccuracy:
    def test_the_data_cites_its_sources(self):
        data = tomllib.loads(ACCURACY_FILE.read_text("utf-8"))
        assert data["v1"]["url"].endswith(
            "tensorflow/models/blob/02c04f49a188ba9a515100a3375a6359f3fffef1/research/slim/nets/mobilenet_v1.md"
        )
        assert data["v2"]["url"].endswith(
            "tensorflow/models/blob/0ba83cf0211401a8505505276c59418f15338d31/research/slim/nets/mobilenet/README.md"
        )
        assert len(data["v1"]["checkpoints"]) == 16 and len(data["v2"]["checkpoints"]) == 22
        # A few rows as the READMEs print them.
        v1 = {(row["alpha"], row["resolution"]): row["top1"] for row in data["v1"]["checkpoints"]}
        v2 = {(row["alpha"], row["resolution"]): row["top1"] for row in data["v2"]["checkpoints"]}
        assert v1["1.0", 224] == "70.9" and v1["0.25", 128] == "41.5" and v1["0.50", 160] == "59.1"
        assert v2["1.4", 224] == "75.0" and v2["1.0", 224] == "71.8" and v2["0.35", 96] == "45.5"

    def test_the_default_grid_is_the_released_checkpoints(self):
        data = run_json("sweep", "v2")
        rated = {
            (Fraction(str(c["alpha"])), c["resolution"]): c["top1"]
            for c in data["configurations"]
            if c["top1"] is not None
        }
        published = tomllib.loads(ACCURACY_FILE.read_text("utf-8"))["v2"]["checkpoints"]
        assert rated == {(Fraction(row["alpha"]), row["resolution"]): float(row["top1"]) for row in published}
        assert data["accuracy_source"]["url"] == tomllib.loads(ACCURACY_FILE.read_text("utf-8"))["v2"]["url"]
        assert len(run_json("sweep", "v1")["configurations"]) == 16

    def test_most_accurate_release_within_300m_macs(self):
        # MobileNetV2 1.0-224 is 300,774,272 MACs exactly (the README's "300" is a floor), so it is out.
        data = run_json("sweep", "v2", "--max-macs", "300M")
        assert data["best_published"] == {
            "alpha": 1,
            "resolution": 192,
            "macs": 221_316_608,
            "params": 3_538_984,
            "top1": 70.7,
        }
        text = run("sweep", "v2", "--max-macs", "300M").output
        assert (
            "Most accurate released configuration within budget: MobileNetV2 alpha 1, 192x192, top-1 70.7%"
            in " ".join(text.split())
        )
        assert "tensorflow/models@0ba83cf research/slim/nets/mobilenet/README.md" in " ".join(text.split())

    @pytest.mark.parametrize(
        ("args", "why"),
        [
            (["v1", "--rounding", "exact"], "--rounding keras"),
            (["v1", "--classes", "10"], "1000-class"),
            (["v2", "--no-top"], "1000-class"),
        ],
    )
    def test_no_accuracy_where_the_released_models_are_not_these(self, args, why):
        data = run_json("sweep", *args, "--alpha", "0.5,1", "--resolution", "224")
        assert all(c["top1"] is None for c in data["configurations"])
        assert data["accuracy_source"] is None and data["best_published"] is None
        assert why in " ".join(run("sweep", *args, "--alpha", "0.5,1", "--resolution", "224").output.split())


class TestPlot:
    def test_a_plain_sweep_does_not_import_matplotlib(self):
        code = (
            "import sys; from click.testing import CliRunner; from mobicalc.cli import main; "
            "r = CliRunner().invoke(main, ['sweep', 'v2', '--max-macs', '300M']); assert r.exit_code == 0; "
            "print('matplotlib' in sys.modules)"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert result.stdout.strip() == "False"

    def test_without_matplotlib_exit_3_in_one_line(self, tmp_path):
        fake = tmp_path / "fake" / "matplotlib"
        fake.mkdir(parents=True)
        (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")]),
        }
        result = mobicalc_process(
            "sweep", "v1", "--plot", str(tmp_path / "out.svg"), capture_output=True, text=True, env=env
        )
        assert result.returncode == Exit.MISSING_DEPENDENCY == 3
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "pip install 'mobicalc[plot]'" in result.stderr
        assert result.stdout == "" and not (tmp_path / "out.svg").exists()

    def test_only_svg_and_png(self, tmp_path):
        result = run("sweep", "v1", "--plot", str(tmp_path / "out.pdf"), code=Exit.USAGE)
        assert ".svg or .png" in result.output

    @pytest.mark.parametrize("kind", ["macs", "accuracy"])
    def test_svg(self, tmp_path, kind):
        pytest.importorskip("matplotlib")
        path = tmp_path / "sweep.svg"
        result = mobicalc_process("sweep", "v2", "--max-macs", "300M", "--plot", str(path), "--plot-kind", kind,
                                  capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        root = ElementTree.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        # matplotlib writes text as paths, each labelled with its text in a comment or a title.
        raw = path.read_text()
        if kind == "macs":
            for text in ("MACs against resolution", "resolution (pixels)", "MACs (millions)", "alpha 0.35"):
                assert text in raw
        else:
            for text in ("published top-1 against MACs", "published ImageNet top-1 (%)", "on the frontier"):
                assert text in raw

    def test_png(self, tmp_path):
        pytest.importorskip("matplotlib")
        path = tmp_path / "sweep.png"
        result = mobicalc_process("sweep", "v1", "--alpha", "0.25:1:0.25", "--resolution", "96:320:32", "--plot",
                                  str(path), capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, result.stderr
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000

    def test_accuracy_plot_needs_released_checkpoints(self, tmp_path):
        pytest.importorskip("matplotlib")
        result = run("sweep", "v1", "--alpha", "0.3", "--plot", str(tmp_path / "a.svg"), "--plot-kind", "accuracy",
                     code=Exit.USAGE)  # fmt: skip
        assert "no released checkpoint" in result.output


SWEEPS = [
    ["sweep", "v1", "--alpha", "0.25,0.5,0.75,1", "--resolution", "128,160,192,224"],
    ["sweep", "v2", "--max-macs", "300M"],
    ["sweep", "v2", "--alpha", "0.35:1.4:0.05", "--resolution", "96:320:16", "--max-params", "4M"],
]


def _short_forms(args: list[str]) -> set[str]:
    data = run_json("sweep", *args[1:])
    return {human(c["macs"]) for c in data["configurations"]}


class TestTerminals:
    @pytest.mark.parametrize("term", ["dumb", "xterm-256color"])
    @pytest.mark.parametrize("args", SWEEPS)
    def test_80_columns_and_every_number_whole(self, term, args):
        code, screen, stderr = on_terminal(args, 80, TERM=term)
        assert code == 0, stderr
        text = ANSI.sub("", screen)
        assert max(len(line) for line in text.splitlines()) <= 80
        assert "…" not in text
        cells = set(text.replace("*", " ").replace("~", " ").split())
        assert _short_forms(args) - cells == set()

    def test_a_colour_terminal_gets_a_heat_map(self):
        code, screen, _ = on_terminal(SWEEPS[0], 80, TERM="xterm-256color")
        assert code == 0
        assert "\x1b[30;41m" in screen or "\x1b[30;41" in screen  # the largest MACs on red
        assert "\x1b[37;44m" in screen or "\x1b[37;44" in screen  # the least on blue

    @pytest.mark.parametrize("env", [{"LC_ALL": "C"}, {"PYTHONIOENCODING": "ascii", "FORCE_COLOR": "1"}])
    def test_ascii_fallback(self, env):
        result = mobicalc_process(*SWEEPS[1], capture_output=True, env=environment(**env, COLUMNS="80"))
        assert result.returncode == 0 and result.stderr == b""
        text = ANSI.sub("", result.stdout.decode("ascii"))
        assert max(len(line) for line in text.splitlines()) <= 80

    def test_a_wide_grid_is_cut_into_blocks_that_repeat_alpha(self):
        result = CliRunner().invoke(main, SWEEPS[2], env={"COLUMNS": "80"})
        assert result.exit_code == 0
        assert max(len(line) for line in result.output.splitlines()) <= 80
        blocks = result.output.count("(continued)") + 1
        assert blocks >= 2 and result.output.count("alpha  params") == 1
        assert result.output.count("\nalpha  ") == blocks + 1  # each block repeats alpha; then the releases
        data = run_json("sweep", *SWEEPS[2][1:])
        for size in {c["resolution"] for c in data["configurations"]}:
            assert f" {size}" in result.output


class TestShapeOptions:
    """sweep takes the input-shape options table takes; each cell is still what table gives."""

    @pytest.mark.parametrize(
        "options",
        [
            ["v3-small", "--minimalistic"],
            ["v1", "--depth-multiplier", "2"],
            ["v2", "--input-channels", "1"],
            ["v1", "--input-channels", "4", "--depth-multiplier", "3"],
        ],
    )
    def test_every_cell_equals_the_table(self, options):
        data = run_json("sweep", *options, "--alpha", "0.5,1", "--resolution", "97,160")
        assert len(data["configurations"]) == 4
        for cell in data["configurations"]:
            table = table_totals(
                *options, "--alpha", str(cell["alpha"]), "--resolution", str(cell["resolution"])
            )
            assert (cell["macs"], cell["flops"], cell["params"]) == (
                table["macs"],
                table["flops"],
                table["params"],
            )

    @pytest.mark.parametrize(
        ("model", "options"), [("v1", []), ("v2", ["--input-channels", "1"]), ("v3-small", [])]
    )
    def test_non_square_cells_equal_the_table(self, model, options):
        data = run_json("sweep", model, *options, "--alpha", "0.5,1", "--resolution", "192x256,97x161,160")
        assert data["resolutions"] == [[192, 256], [97, 161], 160]
        for cell in data["configurations"]:
            size = cell["resolution"]
            given = f"{size[0]}x{size[1]}" if isinstance(size, list) else str(size)
            assert (cell["height"], cell["width"]) == (
                tuple(size) if isinstance(size, list) else (size, size)
            )
            table = table_totals(model, *options, "--alpha", str(cell["alpha"]), "--resolution", given)
            assert (cell["macs"], cell["flops"], cell["params"]) == (
                table["macs"],
                table["flops"],
                table["params"],
            )

    def test_a_size_that_covers_another_on_both_sides_dominates_it_only_at_no_more_cost(self):
        # alpha 0.5009 rounds MobileNetV1 to alpha 0.5's channels (int(32 x 0.5009) = 16): the same costs.
        data = run_json("sweep", "v1", "--alpha", "0.5,0.5009", "--resolution", "192x256,224")
        marks = {(c["alpha"], tuple(c["resolution"]) if isinstance(c["resolution"], list) else c["resolution"]):
                 c["frontier"] for c in data["configurations"]}  # fmt: skip
        # 192x256 and 224 cover each other on neither side: each keeps its own wider alpha on the frontier.
        assert marks == {
            (0.5, (192, 256)): False,
            (0.5009, (192, 256)): True,
            (0.5, 224): False,
            (0.5009, 224): True,
        }

    @pytest.mark.parametrize("bad", ["192x", "x256", "0x5", "12x1.5", "1x2x3", "96:128x2"])
    def test_bad_sizes_are_usage_errors(self, bad):
        result = CliRunner().invoke(main, ["sweep", "v1", "--resolution", bad])
        assert result.exit_code == 2, result.output

    def test_the_macs_plot_needs_square_sizes(self, tmp_path):
        pytest.importorskip("matplotlib")
        result = CliRunner().invoke(
            main, ["sweep", "v1", "--resolution", "192x256", "--plot", str(tmp_path / "p.svg")]
        )
        assert result.exit_code == 2
        assert "square sizes" in result.output


class TestMemoryBudgets:
    """sweep keeps what check would pass: memory budgets in bytes, at --dtype, batch 1."""

    def test_a_configuration_is_kept_exactly_when_check_passes_it(self):
        # MobileNetV2 1.0 at 224, float16: the peak is block_1_depthwise's input and output,
        # (112*112*96 + 56*56*96) * 2 bytes = 3,010,560: just over 3MB.
        assert (112 * 112 * 96 + 56 * 56 * 96) * 2 == 3_010_560
        budget = ["--max-peak-memory", "3MB", "--dtype", "float16"]
        data = run_json("sweep", "v2", "--alpha", "0.5,1", "--resolution", "128,224", *budget)
        kept = {(c["alpha"], c["resolution"]) for c in data["configurations"]}
        assert kept == {(0.5, 128), (0.5, 224), (1, 128)}
        for alpha, resolution in [(0.5, 128), (0.5, 224), (1, 128), (1, 224)]:
            result = CliRunner().invoke(
                main, ["check", "v2", "--alpha", str(alpha), "--resolution", str(resolution), *budget]
            )
            assert (result.exit_code == 0) == ((alpha, resolution) in kept)

    def test_model_size_budget_and_dtype(self):
        # MobileNetV2 1.0: 3,538,984 params; at int8 one byte each.
        int8 = ["sweep", "v2", "--alpha", "1", "--resolution", "96", "--dtype", "int8"]
        run(*int8, "--max-model-size", "3538984B")
        run(*int8, "--max-model-size", "3538983B", code=Exit.FAILED)

    def test_a_memory_budget_bounds_the_sweep(self):
        result = run("sweep", "v2", "--alpha", "0.1:1:0.001", "--resolution", "96:320:16", "--max-model-size", "1MB",
                     code=Exit.USAGE)  # fmt: skip
        assert "at most 10,000 configurations" in result.output


def _sides(size):
    return (size, size) if isinstance(size, int) else size


def _dominates(a, b):
    """At least as much alpha, height and width for no more MACs and params, and not the same one."""
    (ha, wa), (hb, wb) = _sides(a[1]), _sides(b[1])
    return (a[0], a[1]) != (b[0], b[1]) and a[0] >= b[0] and ha >= hb and wa >= wb and \
        a[2].macs <= b[2].macs and a[2].params <= b[2].params  # fmt: skip


def assert_frontier_is_brute_force(points):
    """frontier() of the points (each configuration once) against every pair compared by hand."""
    unique = {}
    for point in points:
        unique.setdefault((point[0], point[1]), point)
    marks = frontier(list(unique.values()))
    expected = [not any(_dominates(a, b) for a in unique.values()) for b in unique.values()]
    assert marks == expected, points


def test_a_configuration_given_twice_is_swept_once_where_it_first_appears():
    """As the help says: 1 and 1.0 are one alpha, 224 and 224x224 one size."""
    document = run_json("sweep", "v1", "--alpha", "0.5,1,1.0", "--resolution", "224,160,224x224")
    pairs = [(row["alpha"], row["resolution"]) for row in document["configurations"]]
    assert len(pairs) == len(set(map(str, pairs))) == 4  # 2 alphas x 2 sizes
