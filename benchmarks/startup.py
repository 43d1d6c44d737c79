"""Start-up of ``mobicalc table v1`` against the floor ``python -c "import click, rich.console, rich.table"``.

Run ``python benchmarks/startup.py [--runs N]``. No CLI can start faster than it imports
click and Rich, so each figure is a ratio to that floor: the median, over interleaved
pairs (floor then mobicalc, after one warm-up pair), of mobicalc's wall time divided by
the floor's. Three settings, with the targets of the project's issue printed beside them:

1. piped, bytecode cached (as after ``pip install``): stdout to a pipe, as in a CI job;
   ``compileall`` runs on the package first and PYTHONDONTWRITEBYTECODE is dropped from
   the environment, so every module is read from its ``.pyc``.
2. piped, no bytecode (as an editable install where bytecode is not written): every run
   of both commands gets PYTHONDONTWRITEBYTECODE=1 and PYTHONPYCACHEPREFIX set to a fresh,
   empty temporary directory. Python then looks for ``.pyc`` files only under that prefix
   (never in the ``__pycache__`` beside the sources), finds none, compiles every module it
   imports from source (mobicalc's, click's, Rich's and the non-frozen standard library's
   alike) and writes nothing back. The floor pays the same compilation for what it
   imports, so the ratio stays fair; the milliseconds are higher than in a real editable
   install, where only mobicalc lacks bytecode. ``python -v`` confirms both settings: the
   script counts the modules read from a ``.pyc`` and those compiled from source.
3. terminal: under a pseudo-terminal of 80x50 (TIOCSWINSZ) with TERM=xterm-256color and
   COLUMNS=80, read until EOF so that the child never blocks, and checked to hold ANSI
   escapes (Rich drew the table); the floor runs the same way.

Last, an ``-X importtime`` top ten of mobicalc's own modules (cumulative microseconds),
piped and on the terminal, for whoever works on start-up. mobicalc is only ever run as a
subprocess. Figures to read, never assertions: the machine is shared.
"""

import argparse
import contextlib
import fcntl
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections import defaultdict

FLOOR = [sys.executable, "-c", "import click, rich.console, rich.table"]
TABLE = [sys.executable, "-m", "mobicalc", "table", "v1"]
# Settings of the caller's environment that would change what is measured.
DROPPED = {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"}
Ranking = list[tuple[str, float]]  # (module, cumulative microseconds), slowest first


def piped(command: list[str], env: dict[str, str], stderr=None) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, env=env, check=True)
    return time.perf_counter() - start, result.stdout


def on_terminal(command: list[str], env: dict[str, str], stderr=None) -> tuple[float, bytes]:
    """Run ``command`` on a fresh 80x50 pseudo-terminal and return its time and all it wrote."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "80"}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=stderr or slave, env=env, start_new_session=True
    )
    os.close(slave)  # the child holds the only copy: its exit is the master's EOF
    chunks = []
    with contextlib.suppress(OSError):  # Linux reports EOF on a pty master as EIO
        while chunk := os.read(master, 65536):
            chunks.append(chunk)
    process.wait()
    seconds = time.perf_counter() - start
    os.close(master)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return seconds, b"".join(chunks)


@contextlib.contextmanager
def cached():
    yield {k: v for k, v in os.environ.items() if k not in DROPPED}


@contextlib.contextmanager
def no_bytecode():
    with tempfile.TemporaryDirectory() as prefix, cached() as env:
        yield {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": prefix}
        if os.listdir(prefix):
            raise RuntimeError(f"bytecode was written under {prefix}")


def compare(run, environment, runs: int) -> tuple[list[float], list[float], bytes]:
    """Wall times of the floor and of ``mobicalc table v1``, interleaved; and mobicalc's output."""
    floor, table, output = [], [], b""
    for pair in range(runs + 1):  # pair 0 is the warm-up
        with environment() as env:
            floor_seconds, _ = run(FLOOR, env)
        with environment() as env:
            table_seconds, output = run(TABLE, env)
        if pair:
            floor.append(floor_seconds)
            table.append(table_seconds)
    return floor, table, output


def bytecode_counts(command: list[str], environment, package: str) -> str:
    """How many modules ``command`` read from a .pyc and how many it compiled, by ``python -v``."""
    with environment() as env:
        log = subprocess.run([sys.executable, "-v", *command[1:]], capture_output=True, text=True, env=env)
    lines = log.stderr.splitlines()
    from_pyc = [line for line in lines if line.startswith("# ") and " matches " in line]
    compiled = [line for line in lines if line.startswith("# code object from ") and line.endswith(".py")]
    own = f" (mobicalc's own {sum(package in x for x in from_pyc)} / {sum(package in x for x in compiled)})"
    return f"{len(from_pyc)} / {len(compiled)}" + (own if command is TABLE else "")


def importtime_top(run, runs: int = 5, top: int = 10) -> tuple[Ranking, Ranking]:
    """Median cumulative import times: mobicalc's own top ``top``; and what the command imports
    while it runs, once ``mobicalc.cli`` is loaded (top-level entries after it: Rich, on a terminal).
    """
    own: dict[str, list[int]] = defaultdict(list)
    lazy: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        with cached() as env, tempfile.TemporaryFile("w+") as log:
            run([sys.executable, "-X", "importtime", *TABLE[1:]], env, stderr=log)
            log.seek(0)
            running = False
            for line in log:  # "import time: self [us] | cumulative | imported package", nested ones indented
                _, cumulative, name = line.split("|") if line.count("|") == 2 else ("", "", "")
                module, top_level = name.strip(), not name.startswith("  ")
                if module == "mobicalc" or module.startswith("mobicalc."):
                    own[module].append(int(cumulative))
                elif running and top_level:
                    lazy[module].append(int(cumulative))
                running = running or (top_level and module == "mobicalc.cli")

    def medians(samples):
        return sorted(((k, statistics.median(v)) for k, v in samples.items()), key=lambda item: -item[1])

    return medians(own)[:top], medians(lazy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="interleaved pairs per setting (default 15)")
    runs = parser.parse_args().runs
    where = "import mobicalc, os; print(os.path.dirname(mobicalc.__file__))"
    package = subprocess.run([sys.executable, "-c", where], capture_output=True, text=True, check=True)
    package_dir = package.stdout.strip() + os.sep
    subprocess.run([sys.executable, "-m", "compileall", "-q", package_dir], check=True)

    print(f"mobicalc table v1 against the floor python -c {FLOOR[2]!r}:")
    print(f"median over {runs} interleaved pairs (after a warm-up pair) of mobicalc's time / the floor's:")
    settings = [
        ("piped, bytecode cached", 1.1, piped, cached),
        ("piped, no bytecode", 1.3, piped, no_bytecode),
        ("terminal (pty 80x50)", 1.5, on_terminal, cached),
    ]
    for name, target, run, environment in settings:
        floor, table, output = compare(run, environment, runs)
        ratio = statistics.median(t / f for t, f in zip(table, floor, strict=True))
        note = ""
        if b"conv1" not in output:
            note = "  (NOT the table: mobicalc printed no conv1 row)"
        elif run is on_terminal and b"\x1b[" not in output:
            note = "  (NOT Rich's output: no ANSI escapes)"
        table_ms, floor_ms = statistics.median(table) * 1e3, statistics.median(floor) * 1e3
        figures = (
            f"{ratio:5.2f}x  (target <= {target}x)  mobicalc {table_ms:4.0f} ms, floor {floor_ms:4.0f} ms"
        )
        print(f"  {name:24s} {figures}{note}")

    print("Bytecode check (python -v): modules read from a .pyc / compiled from source")
    for name, environment in [("cached", cached), ("no bytecode", no_bytecode)]:
        floor, table = (bytecode_counts(command, environment, package_dir) for command in (FLOOR, TABLE))
        print(f"  {name:12s} floor {floor}; mobicalc table v1 {table}")

    for name, run in [("piped", piped), ("terminal", on_terminal)]:
        own, lazy = importtime_top(run)
        print(f"-X importtime, table v1 {name}, bytecode cached, cumulative us (median of 5 runs):")
        for module, microseconds in own:
            print(f"  {module:28s} {microseconds:8,.0f}")
        imported = ", ".join(f"{module} {microseconds:,.0f}" for module, microseconds in lazy) or "nothing"
        print(f"  imported while running, after mobicalc.cli: {imported}")


if __name__ == "__main__":
    main()
