"""``mobicalc bench``'s own figures, run as a user runs them: ``python benchmarks/latency.py [--runs N]``.

For each command of issue 18's "Must show" (``bench ratio`` for 512->512 Dk 3 Dp 14 and for
32->32 Dp 56, ``bench v1``, ``bench v1 --standard``) it starts ``python -m mobicalc ... --format
json`` as a process, ``--runs`` times (2 by default), and prints each run's wall time (TensorFlow's
import included) beside the figures the run measured, then the spread between runs: the largest
over the smallest. Measurements vary from run to run on a shared machine; that is what the
spread shows. Nothing here is a pass or a fail. ``--quick`` runs small cases with one round
(what the test suite runs, to see the script work).
"""

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

MOBICALC = [sys.executable, "-m", "mobicalc"]

Figures = Callable[[dict[str, Any]], dict[str, float]]


def ratio_figures(data: dict[str, Any]) -> dict[str, float]:
    return {
        "MACs sep/std": data["macs_ratio"],
        "time sep/std": data["time_ratio"],
        "kernels sep/std": data["kernel_ratio"],
        "std median ms": data["standard"]["time_s"] * 1e3,
    }


def model_figures(data: dict[str, Any]) -> dict[str, float]:
    kinds = {row["kind"]: row for row in data["breakdown"]}
    figures = {
        "median ms": data["timing"]["time_s"] * 1e3,
        "fastest ms": data["timing"]["time_min_s"] * 1e3,
        "depthwise MAC %": kinds["depthwise"]["macs_share"] * 100,
        "depthwise time %": kinds["depthwise"]["time_share"] * 100,
        "pointwise time %": kinds["pointwise"]["time_share"] * 100,
    }
    if data["standard"] is not None:
        figures["MACs sep/std"] = data["standard"]["macs_ratio"]
        figures["time sep/std"] = data["standard"]["time_ratio"]
        figures["std median ms"] = data["standard"]["time_s"] * 1e3
    return figures


CASES: list[tuple[list[str], Figures]] = [
    (["bench", "ratio", "--M", "512", "--N", "512", "--dk", "3", "--dp", "14"], ratio_figures),
    (["bench", "ratio", "--N", "32", "--dk", "3", "--dp", "56"], ratio_figures),
    (["bench", "v1"], model_figures),
    (["bench", "v1", "--standard"], model_figures),
]
QUICK: list[tuple[list[str], Figures]] = [
    (["bench", "ratio", "--N", "16", "--dk", "3", "--dp", "8", "--rounds", "1"], ratio_figures),
    (["bench", "v1", "--alpha", "0.25", "--resolution", "32", "--standard", "--rounds", "1"], model_figures),
]


def run(args: list[str]) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    result = subprocess.run(
        [*MOBICALC, *args, "--format", "json"], capture_output=True, text=True, check=True, timeout=600
    )
    return time.perf_counter() - start, json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each command (default 2)")
    parser.add_argument("--quick", action="store_true", help="small cases, one round: to see it work")
    options = parser.parse_args()
    for args, figures in QUICK if options.quick else CASES:
        print(f"mobicalc {' '.join(args)}")
        walls, readings = [], []
        for number in range(options.runs):
            wall, data = run(args)
            walls.append(wall)
            readings.append(figures(data))
            values = ", ".join(f"{name} {value:.4g}" for name, value in readings[-1].items())
            print(f"  run {number + 1}: {wall:5.1f} s wall (import included); {values}")
        if options.runs > 1:
            spreads = ", ".join(
                f"{name} {max(r[name] for r in readings) / min(r[name] for r in readings):.3f}x"
                for name in readings[0]
                if min(r[name] for r in readings) > 0
            )
            print(f"  spread (largest / smallest): wall {max(walls) / min(walls):.3f}x, {spreads}")
        print()


if __name__ == "__main__":
    main()
