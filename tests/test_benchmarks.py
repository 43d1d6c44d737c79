"""The benchmark script runs and prints its figures (the figures themselves are not asserted)."""

import subprocess
import sys

import pytest
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


def test_startup_benchmark_prints_the_three_ratios():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "startup.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    for setting in ("piped, bytecode cached", "piped, no bytecode", "terminal (pty 80x50)"):
        assert setting in result.stdout
    assert result.stdout.count("target <=") == 3


def test_limits_benchmark_times_what_tests_no_longer_time():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "limits.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Hostile architecture tables" in result.stdout
    assert "mobicalc reproduce" in result.stdout and "mobicalc verify v1" in result.stdout
    assert "over the limit" in result.stdout


@pytest.mark.tensorflow
def test_latency_benchmark_runs_bench_and_prints_the_spread():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latency.py"), "--quick", "--runs", "2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.count("wall (import included)") == 4
    assert "mobicalc bench ratio" in result.stdout and "mobicalc bench v1" in result.stdout
    assert result.stdout.count("spread (largest / smallest)") == 2


@pytest.mark.tensorflow
def test_subclassed_benchmark_compares_bench_with_model_of_x():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "subclassed.py"), "--rounds", "1", "--resolution", "16"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "compiled / model(x)" in result.stdout and "model(x): median" in result.stdout
    difference = result.stdout.split("largest difference between their outputs:")[1].split()[0]
    assert float(difference) < 1e-5  # the same ops, in two traces of one model
