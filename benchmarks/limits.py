"""Timings that tests used to assert, now figures to read: ``python benchmarks/limits.py [--runs N]``.

The project allows no test that asserts elapsed time (the machine is shared), so the time
limits some tests held moved here, each printed as the "target" beside the median of a few
runs. mobicalc runs only as a subprocess (``python -m mobicalc``), never imported, so
every figure is a whole process, start-up included:

1. Hostile and huge architecture tables are refused quickly (tests/test_architecture.py,
   ``test_nesting_and_digits_are_bounded_before_tomllib`` and
   ``test_layers_are_counted_before_anything_is_built``: ``parse()`` under 1 s each).
   Each table is written to a temporary directory and given to ``mobicalc table --arch``;
   "parse" is the process's time less that of a trivially refused table, an estimate of
   what the in-process limit measured (noise can make it slightly negative).
2. ``mobicalc reproduce`` at 80 columns without TensorFlow (tests/test_reproduce.py,
   ``test_fits_80_columns_without_tensorflow``: under 1.5 s, a process
   started with only COLUMNS=80 and an empty PATH).
3. ``mobicalc verify`` refusing models too large for TensorFlow before importing it
   (tests/test_verify_environment.py,
   ``test_too_large_for_tensorflow_is_refused_before_importing_it``: under 15 s), with the
   test's fake ``tensorflow`` package, which raises on import, first on PYTHONPATH.

4. ``mobicalc sweep`` at its documented limits (issue 19's targets, with ``--sweeps``: a few
   seconds a run): 1,000,000 configurations as CSV and as JSON (target 10 s; rows are
   written as they are made), a memory-budget sweep of 10,000 configurations (target 2 s;
   each width's peaks worked out once, then evaluated per size), and a request over the
   limit, refused before any range is expanded (target 0.5 s, always run). Each figure is
   printed beside the machine's load average, as other processes share its cores.

Each case also reports whether mobicalc answered as its test expects, so that a figure
is never the time of some other failure.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MOBICALC = [sys.executable, "-m", "mobicalc"]
MAX_BYTES = 1024 * 1024  # the most a table may hold, as mobicalc's architecture module says
POOL = "\nlayers = [{ operator = 'pool' }]\n"
CONV = "{ operator = 'conv', c = 8, n = "
DEEP = "nests too deep"
DOTTED = "a dotted key has more than 32 parts"
DIGITS = "a number has more than 1,000 digits"
PAST = "takes the table past 100,000 layers"
# The tests' cases: what the table is, its text, and what the error must say after "my.toml: ".
TABLES = [
    (
        "33 nested arrays",
        "x = " + "[" * 33 + "]" * 33 + POOL,
        f"{DEEP}: arrays and inline tables may nest at most 32 levels",
    ),
    ("100,000 open brackets", "x = " + "[" * 100_000, DEEP),
    ("1 MiB of open brackets", "x = " + "[" * (MAX_BYTES - 4), DEEP),
    ("33 nested inline tables", "x = " + "{ a = " * 33 + "1" + "}" * 33 + POOL, DEEP),
    ("34 levels, arrays and tables mixed", "x = " + "[{ a = " * 17 + "1" + "}]" * 17 + POOL, DEEP),
    ("dotted key of 33 parts", "a" + ".b" * 32 + " = 1" + POOL, DOTTED),
    ("1 MiB dotted key", "a" + ".b" * (MAX_BYTES // 3) + " = 1", DOTTED),
    ("quoted dotted key of 33 parts", '"a"' + ' . "b"' * 32 + " = 1" + POOL, DOTTED),
    ("table header of 33 parts", "[" + "a." * 32 + "a]" + POOL, DOTTED),
    ("inline-table key of 33 parts", "x = { " + "a." * 32 + "a = 1 }" + POOL, DOTTED),
    ("number of 1,001 digits", "resolution = " + "9" * 1001 + POOL, DIGITS),
    ("1 MiB number", "resolution = " + "9" * (MAX_BYTES - 20), DIGITS),
    ("1,001 digits with underscores", "resolution = " + "9_" * 1000 + "9" + POOL, DIGITS),
    (
        "hex of 1,000 digits",
        "resolution = 0x" + "f" * 1000 + POOL,
        "field 'resolution' has more than 1,000 digits",
    ),
    (
        "hex channel count",
        "layers = [{ operator = 'conv', c = 0x" + "f" * 900 + " }]",
        r"layer 1 \(conv\): field 'c' has more than 1,000 digits$",
    ),
    (
        "hex padding",
        "layers = [{ operator = 'conv', c = 8, padding = [0, 0x" + "f" * 900 + "] }]",
        r"layer 1 \(conv\): field 'padding' must be .* at most 1,000 digits\), "
        r"got \[0, a number of more than 1,000 digits\]$",
    ),
    (
        "n = 10**9 layers",
        f"layers = [{CONV}1000000000 }}]",
        rf"layer 1 \(conv\): n = 1000000000 {PAST}, the most a table may have$",
    ),
    ("n = 10**30 layers", f"layers = [{CONV}{10**30} }}]", f"layer 1 \\(conv\\): n = {10**30} {PAST}"),
    (
        "200 rows of 1,000 layers",
        "layers = [" + f"{CONV}1000 }}," * 200 + "]",
        rf"layer 101 \(conv\): n = 1000 {PAST}",
    ),
    ("100,001 convolutions", f"layers = [{CONV}100001 }}]", f"layer 1 .* {PAST}"),
    ("50,001 separables", "layers = [{ operator = 'separable', c = 8, n = 50001 }]", f"layer 1 .* {PAST}"),
    (
        "25,001 bottlenecks",
        "layers = [{ operator = 'bottleneck', t = 6, c = 8, n = 25001 }]",
        f"layer 1 .* {PAST}",
    ),
    (
        "99,999 + pool + classifier",
        f"layers = [{CONV}99999 }}, {{ operator = 'pool' }}, {{ operator = 'classifier' }}]",
        rf"layer 3 \(classifier\): n = 1 {PAST}",
    ),
]
# The test's cases: options to verify v1, and what its one-line "Error: ..." must say.
TOO_LARGE = [
    (["--classes", "10000000000000"], "TensorFlow cannot build this model for verify: its weights"),
    (["--resolution", "3000000000"], "TensorFlow cannot count this model: its flops statistics"),
    (["--alpha", "100"], "over verify's limit of 268,435,456 (1 GiB at float32"),
    (["--resolution", "1" + "0" * 400], "over verify's limit of 2**62"),
]


def timed(command: list[str], runs: int, **options) -> tuple[float, subprocess.CompletedProcess]:
    """The median wall time of ``runs`` runs of ``command``, and the last run's result."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **options}
        result = subprocess.run(command, text=True, **streams)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def architecture_figures(directory: Path, runs: int) -> None:
    (directory / "my.toml").write_text("x = 1" + POOL)
    reference, _ = timed([*MOBICALC, "table", "--arch", "my.toml"], runs, cwd=directory)
    print(f"Hostile architecture tables, mobicalc table --arch FILE, median of {runs} runs (target 1 s each")
    print(f"for parse() in-process; parse = process less a trivially refused table's {reference:.3f} s):")
    print(f"  {'table':36s} {'bytes':>9s} {'process':>8s} {'parse':>7s}  target  refused as the test expects")
    for name, text, message in TABLES:
        (directory / "my.toml").write_text(text, encoding="utf-8")
        seconds, result = timed([*MOBICALC, "table", "--arch", "my.toml"], runs, cwd=directory)
        expected = result.returncode == 2 and re.search(f"my.toml: {message}", result.stderr, re.M)
        outcome = "yes" if expected else f"NO: exit {result.returncode}, {result.stderr.strip()[-150:]!r}"
        size = len(text.encode())
        print(f"  {name:36s} {size:9,d} {seconds:7.3f}s {seconds - reference:6.3f}s  1 s     {outcome}")


def reproduce_figures(runs: int) -> None:
    seconds, result = timed([*MOBICALC, "reproduce"], runs, env={"COLUMNS": "80", "PATH": ""})
    widest = max(map(len, result.stdout.splitlines()), default=0)
    check = [*MOBICALC[:1], "-X", "importtime", *MOBICALC[1:], "reproduce"]
    imports = subprocess.run(check, capture_output=True, text=True, env={"COLUMNS": "80", "PATH": ""}).stderr
    tensorflow = "yes" if re.search(r"\| +tensorflow$", imports, re.M) else "no"
    print(f"mobicalc reproduce at COLUMNS=80, PATH empty, median of {runs} runs:")
    print(
        f"  {seconds:.3f} s (target 1.5 s); exit {result.returncode}, widest line {widest} columns,"
        f" TensorFlow imported: {tensorflow}"
    )


def verify_figures(directory: Path, runs: int) -> None:
    fake = directory / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise RuntimeError("imported")\n')
    pythonpath = os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": pythonpath}
    print(f"mobicalc verify v1, too large for TensorFlow, a raising fake tensorflow first, median of {runs}:")
    for options, message in TOO_LARGE:
        seconds, result = timed([*MOBICALC, "verify", "v1", *options], runs, env=env, timeout=30)
        expected = result.returncode == 2 and "Error: " in result.stderr and message in result.stderr
        outcome = (
            "refused before TensorFlow" if expected else f"NO: exit {result.returncode}, {result.stderr!r}"
        )
        shown = " ".join(option if len(option) < 20 else f"<{len(option)} digits>" for option in options)
        print(f"  {shown:28s} {seconds:6.3f} s (target 15 s)  {outcome}")


SWEEPS = [
    # (what, arguments, target seconds, the exit code mobicalc must answer with)
    ("over the limit: 10**6 alphas x 2,000 sizes", ["v1", "--alpha", "0.000001:1:0.000001",
                                                    "--resolution", "1:2000:1"], 0.5, 2),
    ("1,000,000 configurations as CSV", ["v1", "--alpha", "0.3:1.299:0.001", "--resolution", "96:2094:2",
                                         "--format", "csv"], 10, 0),
    ("1,000,000 configurations as JSON", ["v1", "--alpha", "0.3:1.299:0.001", "--resolution", "96:2094:2",
                                          "--format", "json"], 10, 0),
    ("10,000 configurations, a memory budget", ["v2", "--alpha", "0.35:1.34:0.01", "--resolution", "96:294:2",
                                                "--max-peak-memory", "8MB", "--format", "csv"], 2, 0),
]  # fmt: skip


def sweep_figures(runs: int, all_sweeps: bool) -> None:
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"mobicalc sweep at its documented limits, median of {runs} runs (output to /dev/null),")
    print(f"load average {load} (1 / 5 / 15 minutes) on {os.cpu_count()} cores before the runs:")
    for what, arguments, target, code in SWEEPS if all_sweeps else SWEEPS[:1]:
        seconds, result = timed([*MOBICALC, "sweep", *arguments], runs, stdout=subprocess.DEVNULL)
        answered = "yes" if result.returncode == code else f"NO (exit {result.returncode})"
        print(f"  {what:42s} {seconds:7.2f} s (target {target} s)  exit {code} as expected: {answered}")
    if not all_sweeps:
        print("  (--sweeps times the sweeps of 1,000,000 and of 10,000 configurations too)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (default 3)")
    parser.add_argument("--sweeps", action="store_true", help="also time the sweeps at their limits")
    options = parser.parse_args()
    runs = options.runs
    with tempfile.TemporaryDirectory() as directory:
        architecture_figures(Path(directory), runs)
        reproduce_figures(runs)
        verify_figures(Path(directory), runs)
    sweep_figures(runs, options.sweeps)


if __name__ == "__main__":
    main()
