"""Speed figures for mobicalc: run ``python benchmarks/bench.py`` (add ``--no-tf`` to skip TensorFlow).

Prints
1. the engine's time for one V1 and V2 table in-process: totals, and all per-layer records;
2. configurations per second of ``mobicalc.sweep`` over grids of alphas x resolutions;
3. the CLI's whole-process start-up, and a 9,900-configuration sweep as JSON, against
   ``python -c "import click, rich.console, rich.table"``
   (median wall time, runs interleaved, output piped as in a CI job);
4. the time TensorFlow needs to give the same totals for the same configurations
   (build the keras.applications model, count params, trace the graph for MACs),
   and the engine's speed-up over that route.

Engine timings are the best of several repeats (on a shared machine the fastest run is
the truest measure of the code's own cost); start-up times are medians, runs interleaved.
They are figures to read, not assertions.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
import timeit
from fractions import Fraction
from functools import partial

from mobicalc.count.network import network_cost
from mobicalc.count.settings import Settings
from mobicalc.count.sweep import sweep

ALPHAS = [Fraction(a) for a in ("0.25", "0.35", "0.5", "0.6", "0.75", "1", "1.3", "1.4")]
RESOLUTIONS = [96, 128, 160, 192, 224, 225, 256, 320]
BIG_ALPHAS = [Fraction(n, 100) for n in range(25, 141)]  # 0.25 to 1.4 in steps of 0.01
BIG_RESOLUTIONS = list(range(96, 321, 2))


def best_seconds(function, repeat: int, number: int) -> float:
    """The best over ``repeat`` runs of the mean time of ``number`` calls."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number


def table_totals(model: str, grid: list[Settings]) -> None:
    for settings in grid:
        network_cost(model, settings).totals  # noqa: B018 - computing is the point


def full_table(model: str, grid: list[Settings]) -> None:
    """Everything ``mobicalc table`` shows: totals, standard-conv side, every layer's row, breakdown."""
    for settings in grid:
        network = network_cost(model, settings)
        network.totals, network.standard, network.breakdown()


def engine_figures() -> None:
    settings = Settings(alpha=Fraction("0.75"), resolution=192)
    print("Engine, one table in-process (alpha 0.75, 192x192), from the loaded table, nothing cached:")
    # Many short repeats: on a shared machine the best of them is the one nothing else disturbed.
    for model in ("v1", "v2"):
        layers = len(network_cost(model, settings).records)
        totals = best_seconds(partial(table_totals, model, [settings]), repeat=30, number=30)
        full = best_seconds(partial(full_table, model, [settings]), repeat=30, number=30)
        print(
            f"  {model} ({layers} layers): totals {totals * 1e6:6.1f} us; the full table (every layer's row, "
            f"standard-conv side, breakdown) {full * 1e6:6.1f} us"
        )
    grids = [(ALPHAS, RESOLUTIONS), (BIG_ALPHAS, BIG_RESOLUTIONS)]
    for alphas, resolutions in grids:
        for model in ("v1", "v2"):
            seconds = best_seconds(partial(sweep, model, alphas, resolutions), repeat=15, number=2)
            print(
                f"  {model}: {len(alphas) * len(resolutions) / seconds:9,.0f} configurations per second, "
                f"mobicalc.sweep over {len(alphas)} alphas x {len(resolutions)} resolutions"
            )


def startup_figures(runs: int) -> None:
    mobicalc = shutil.which("mobicalc")
    entry = [mobicalc] if mobicalc else [sys.executable, "-m", "mobicalc"]
    commands = {
        "baseline: python -c 'import click, rich.console, rich.table'": [
            sys.executable,
            "-c",
            "import click, rich.console, rich.table",
        ],
        "mobicalc table v1": [*entry, "table", "v1"],
        "mobicalc ratio --N 512 --dk 3": [*entry, "ratio", "--N", "512", "--dk", "3"],
        "mobicalc sweep v2 (9,900 configurations) --format json": [
            *entry,
            "sweep",
            "v2",
            "--alpha",
            "0.35:1.34:0.01",
            "--resolution",
            "96:293:2",
            "--format",
            "json",
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so a busy moment hits every command alike
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.PIPE, check=True)
            times[name].append(time.perf_counter() - start)
    baseline = statistics.median(next(iter(times.values())))
    print(f"CLI start-up, whole process, median of {runs} runs, output piped:")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:60s} {median * 1000:6.0f} ms  {median / baseline:4.2f}x baseline")


def tensorflow_figures(configs: list[tuple[str, Fraction, int]]) -> None:
    from mobicalc.tf.runtime import TensorFlowMissing, import_tensorflow
    from mobicalc.tf.verify import tensorflow_totals

    start = time.perf_counter()
    try:
        import_tensorflow()
    except TensorFlowMissing as error:
        print(f"TensorFlow route skipped: {error}")
        return
    import_seconds = time.perf_counter() - start
    engine_seconds, tf_seconds = 0.0, 0.0
    print(
        f"TensorFlow route (keras.applications build + count_params + graph trace), {len(configs)} configs:"
    )
    for model, alpha, resolution in configs:
        settings = Settings(alpha=alpha, resolution=resolution)
        start = time.perf_counter()
        network = network_cost(model, settings)
        macs, params = network.macs, network.params
        engine_seconds += time.perf_counter() - start
        start = time.perf_counter()
        tf_macs, tf_params = tensorflow_totals(network)
        tf_seconds += time.perf_counter() - start
        agree = "agree" if (tf_macs, tf_params) == (macs, params) else "DIFFER"
        print(
            f"  {model} alpha {float(alpha):g} {resolution}: MACs {tf_macs:,} params {tf_params:,} ({agree})"
        )
    print(f"  TensorFlow import: {import_seconds:.1f} s")
    print(f"  TensorFlow: {tf_seconds / len(configs) * 1000:8.1f} ms per config (import excluded)")
    print(
        f"  engine:     {engine_seconds / len(configs) * 1000:8.3f} ms per config (first call at its width)"
    )
    print(f"  speed-up of the engine over the TensorFlow route: {tf_seconds / engine_seconds:,.0f}x")


def verify_figures(entry: list[str]) -> None:
    print("mobicalc verify, whole process (TensorFlow import, both models built, traced and compared):")
    for model in ("v1", "v2"):
        start = time.perf_counter()
        result = subprocess.run([*entry, "verify", model], stdout=subprocess.PIPE, check=False)
        outcome = "all agree" if result.returncode == 0 else f"exit {result.returncode}"
        print(f"  verify {model} (224): {time.perf_counter() - start:5.1f} s wall, {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tf", action="store_true", help="skip the TensorFlow comparison")
    parser.add_argument("--runs", type=int, default=15, help="start-up runs per command (default 15)")
    options = parser.parse_args()
    engine_figures()
    startup_figures(options.runs)
    if not options.no_tf:
        configs = [
            (model, Fraction(a), r) for model in ("v1", "v2") for a in ("0.5", "1") for r in (160, 224)
        ]
        tensorflow_figures(configs)
        mobicalc = shutil.which("mobicalc")
        verify_figures([mobicalc] if mobicalc else [sys.executable, "-m", "mobicalc"])


if __name__ == "__main__":
    main()
