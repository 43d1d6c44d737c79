"""The benchmark script runs and prints its figures (the figures themselves are not asserted)."""

import subprocess
import sys

from helpers import ROOT


def test_benchmark_script_prints_its_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--no-tf", "--runs", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "totals" in result.stdout and "the full table" in result.stdout
    assert "mobicalc.sweep" in result.stdout
    assert "configurations per second" in result.stdout
    assert "x baseline" in result.stdout
