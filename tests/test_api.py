"""The Python API gives the CLI's numbers."""

import json
from fractions import Fraction

from click.testing import CliRunner

import mobicalc
from mobicalc.cli import main


def test_cost_matches_the_cli():
    network = mobicalc.cost("v2", alpha=0.75)
    result = CliRunner().invoke(main, ["table", "v2", "--alpha", "0.75", "--format", "json"])
    totals = json.loads(result.output)["totals"]
    assert (network.macs, network.params) == (totals["macs"], totals["params"])


def test_cost_takes_alpha_as_written():
    assert mobicalc.cost("v1", alpha=0.6).settings.alpha == Fraction(3, 5)
    # MobileNetV1 0.5 at 224: what TensorFlow counts for keras.applications.MobileNet(alpha=0.5).
    assert mobicalc.cost("v1", alpha="0.5").macs == 149_497_088


def test_cost_knobs():
    network = mobicalc.cost("v1", resolution=128, classes=10, include_top=True)
    assert network.resolution == 128
    assert network.classes == 10
    assert mobicalc.cost("v1", include_top=False).classes is None


def test_cost_takes_any_input_shape():
    import mobicalc

    network = mobicalc.cost("v1", resolution=(192, 256), input_channels=1, depth_multiplier=2)
    assert network.layers[0].input == (192, 256, 1)
    assert network.resolution == (192, 256) and network.depth_multiplier == 2
