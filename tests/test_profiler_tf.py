"""--convention tf-profiler against TensorFlow's own profiler: the analytic FLOPs equal its total."""

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from mobicalc.cli import main
from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.tf.verify import verify_network

# Every test here runs TensorFlow (tests/conftest.py skips them where it is not installed).
pytestmark = pytest.mark.tensorflow

CONFIGS = [
    ("v1", "1", 224, None),  # docs/counting.md worked example: 1,147,687,920
    ("v1", "0.5", 160, 10),
    ("v1", "0.25", 97, None),  # odd size: explicit padding layers register no flops
    ("v2", "1", 224, None),
    ("v2", "0.35", 128, 7),
    ("v2", "1.4", 96, None),  # alpha above 1: the last conv grows
]


@pytest.mark.parametrize(("model", "alpha", "resolution", "classes"), CONFIGS)
def test_profiler_total_equals_the_analytic_flops(model, alpha, resolution, classes):
    network = network_cost(
        model,
        Settings(alpha=Fraction(alpha), resolution=resolution, classes=classes, convention="tf-profiler"),
    )
    verification = verify_network(network)
    for check in verification.checks:
        assert check.skipped is None
        assert check.profiler_flops == network.totals.flops, check.model
        assert check.engine_totals is not None and check.engine_totals["flops"] == check.profiler_flops
    assert verification.ok


V3_CONFIGS = [
    # model, alpha, resolution, classes, minimalistic
    ("v3-small", "1", 96, None, False),  # without its rescaling row the engine was 2 x 96 x 96 x 3 short
    ("v3-large", "0.75", 97, None, True),  # minimalistic, alpha 0.75, not a multiple of 32
    ("v3-small", "0.75", 100, 10, True),
    ("v3-large", "1", 64, None, False),
]


@pytest.mark.parametrize(("model", "alpha", "resolution", "classes", "minimalistic"), V3_CONFIGS)
def test_v3_profiler_total_equals_the_analytic_flops(model, alpha, resolution, classes, minimalistic):
    """keras.applications' MobileNetV3 starts with Rescaling (include_preprocessing): 2 FLOPs per input value."""
    from mobicalc.model.tables import load

    settings = Settings(
        alpha=Fraction(alpha), resolution=resolution, classes=classes, convention="tf-profiler"
    )
    network = network_cost(load(model, "minimalistic" if minimalistic else None), settings)
    rescaling = network.records[0]
    assert (rescaling.layer.name, rescaling.layer.kind) == ("rescaling", "rescale")
    assert rescaling.cost.flops == 2 * resolution * resolution * 3
    verification = verify_network(network)
    for check in verification.checks:
        assert check.skipped is None
        assert check.profiler_flops == network.totals.flops, check.model
        matched = next(layer for layer in check.layers if layer.name == "rescaling")
        assert matched.ok and matched.tf_shape == (resolution, resolution, 3), check.model
    assert verification.ok


def test_verify_cli_shows_the_flops_check():
    result = CliRunner().invoke(main, ["verify", "v1", "--convention", "tf-profiler", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for check in data["checks"]:
        # docs/counting.md: V1's profiler total is 1,147,687,920.
        assert check["tensorflow_totals"]["flops"] == check["engine_totals"]["flops"] == 1_147_687_920
