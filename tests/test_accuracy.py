"""Published top-1: only for the released network, with the source's digits, and the accuracy frontier
(what a budget of MACs buys in accuracy) beside the cost frontier."""

import json
from fractions import Fraction

import pytest
from helpers import ROOT, run, run_json

from mobicalc.count.accuracy import published_top1, released
from mobicalc.count.frontier import accuracy_frontier
from mobicalc.numbers import Printed, exact_decimal


class TestAccuracyFrontier:
    def test_by_hand(self):
        # (MACs, top-1): 50 at 61.0 beats 56 and 59 at 60.3; 60 at 61.0 is beaten by 50 at 61.0 (the same
        # top-1 for fewer MACs); two at 70 with 65.0 both stand; 99 at 65.0 is beaten by them.
        points = [
            (50, Fraction("61.0")),
            (56, Fraction("60.3")),
            (59, Fraction("60.3")),
            (60, Fraction("61.0")),
            (70, Fraction(65)),
            (70, Fraction(65)),
            (99, Fraction(65)),
            (30, None),
            (10, Fraction(40)),
        ]
        assert accuracy_frontier(points) == [True, False, False, False, True, True, False, None, True]

    def test_at_the_same_macs_only_the_best_stands(self):
        assert accuracy_frontier([(5, Fraction(70)), (5, Fraction(71))]) == [False, True]
        assert accuracy_frontier([]) == []

    def test_v2_within_300m(self):
        """The issue's case: every release within 300M MACs was marked "frontier" (the cost frontier)."""
        data = run_json("sweep", "v2", "--max-macs", "300M")
        rows = {(str(c["alpha"]), c["resolution"]): c for c in data["configurations"]}
        beaten = {key for key, c in rows.items() if c["accuracy_frontier"] is False}
        # Each beaten by a release with at least its top-1 at fewer MACs (the README's MACs, 1001 classes):
        # 1.0-96 (56M, 60.3) and 0.35-224 (59M, 60.3) by 0.5-160 (50M, 61.0); 1.0-128 (99M, 65.3) by
        # 0.5-224 (97M, 65.4); 0.35-192 (43M, 58.2) by 0.75-96 (39M, 58.8); 0.35-128 (20M, 50.8) by
        # 0.5-96 (18M, 51.2).
        assert beaten == {("1", 96), ("0.35", 224), ("1", 128), ("0.35", 192), ("0.35", 128)}
        assert all(rows[key]["frontier"] for key in beaten)  # all on the cost frontier still
        assert rows["0.5", 160]["accuracy_frontier"] is True
        # Without a published top-1 (1.3, 1.4 have no release under 300M MACs) there is no verdict.
        assert rows["1.3", 96]["top1"] is None and rows["1.3", 96]["accuracy_frontier"] is None

    def test_text_shows_both_frontiers_and_the_published_digits(self):
        text = run("sweep", "v2", "--max-macs", "300M").output
        assert "accuracy frontier" in text and "cost frontier" in text
        line = next(line for line in text.splitlines() if "50,184,000" in line)
        assert line.split()[4] == "61.0"  # as the README prints it, not 61


class TestPublishedDigits:
    def test_printed(self):
        assert Printed("61.0") == 61 and exact_decimal(Printed("61.0")) == "61.0"
        assert exact_decimal(Printed("70.9")) == "70.9" and Printed("70.9") == Fraction(709, 10)

    def test_json_and_csv_keep_them(self):
        output = run("sweep", "v2", "--alpha", "0.5", "--resolution", "160", "--format", "json").output
        assert '"top1": 61.0' in output and json.loads(output)["configurations"][0]["top1"] == 61
        csv = run("sweep", "v2", "--alpha", "0.5", "--resolution", "160", "--format", "csv").output
        assert ",61.0," in csv


class TestOnlyTheReleasedNetwork:
    @pytest.mark.parametrize(
        ("args", "why"),
        [
            (["v1", "--input-channels", "1"], "3-channel"),
            (["v1", "--depth-multiplier", "2"], "depth multiplier 1"),
            (["v1", "--rounding", "exact"], "--rounding keras"),
            (["v1", "--classes", "10"], "1000-class"),
            (["v2", "--no-top"], "1000-class"),
            (["--arch", str(ROOT / "mobicalc" / "tables" / "v1.toml")], "built-in"),
        ],
    )
    def test_no_top1_and_no_source(self, args, why):
        data = run_json("sweep", *args, "--alpha", "1", "--resolution", "224")
        assert [c["top1"] for c in data["configurations"]] == [None]
        assert data["accuracy_source"] is None and data["best_published"] is None
        assert why in " ".join(run("sweep", *args, "--alpha", "1", "--resolution", "224").output.split())

    def test_the_released_network_has_it(self):
        # TF-slim's mobilenet_v1.md: MobileNet_v1_1.0_224, top-1 70.9; 3 input channels is the released one.
        for extra in ([], ["--input-channels", "3"], ["--depth-multiplier", "1"], ["--classes", "1001"]):
            data = run_json("sweep", "v1", "--alpha", "1", "--resolution", "224", *extra)
            assert data["configurations"][0]["top1"] == 70.9

    def test_released_names_its_reasons(self):
        assert released("v1", None, True, "keras", input_channels=1)[0] is None
        assert released("v1", None, True, "keras", depth_multiplier=2)[0] is None
        assert released("my.toml", None, True, "keras")[0] is None
        assert released("v1", None, True, "keras")[0] is not None


class TestMobileNetV3:
    """TF-slim's Mobilenet V3 checkpoint table (research/slim/nets/mobilenet/README.md @ 0ba83cf):
    Large 1.0 75.2, Large 0.75 73.3, Large minimalistic 72.3, Small 1.0 67.5, Small 0.75 65.4, Small
    minimalistic 61.9 (float checkpoints, 224x224)."""

    def test_the_data(self):
        large, small = published_top1("v3-large"), published_top1("v3-small")
        assert large is not None and small is not None
        assert large.top1 == {(Fraction(1), 224): Fraction("75.2"), (Fraction(3, 4), 224): Fraction("73.3")}
        assert small.top1 == {(Fraction(1), 224): Fraction("67.5"), (Fraction(3, 4), 224): Fraction("65.4")}
        assert published_top1("v3-large", "minimalistic").top1 == {(Fraction(1), 224): Fraction("72.3")}
        assert published_top1("v3-small", "minimalistic").top1 == {(Fraction(1), 224): Fraction("61.9")}

    def test_sweep_answers_the_budget_question(self):
        data = run_json("sweep", "v3-large")
        assert {(str(c["alpha"]), c["resolution"]): c["top1"] for c in data["configurations"]} == {
            ("0.75", 224): 73.3,
            ("1", 224): 75.2,
        }
        assert data["best_published"]["top1"] == 75.2
        # Keras's Large 0.75 is 154,560,624 MACs (docs/counting.md, verified against TensorFlow): within 160M.
        within = run_json("sweep", "v3-large", "--max-macs", "160M")
        assert within["best_published"]["alpha"] == 0.75 and within["best_published"]["top1"] == 73.3
        assert run("sweep", "v3-large", "--max-macs", "100M", code=1).output.count("No released checkpoint")

    def test_minimalistic_and_small(self):
        assert run_json("sweep", "v3-large", "--minimalistic")["best_published"]["top1"] == 72.3
        small = run_json("sweep", "v3-small")
        assert sorted(c["top1"] for c in small["configurations"]) == [65.4, 67.5]
        assert run_json("sweep", "v3-small", "--minimalistic")["best_published"]["top1"] == 61.9
