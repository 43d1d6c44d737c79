"""What several test modules share: mobicalc through Click's CliRunner, and mobicalc as a real process.

Test modules import it as ``from helpers import run``: pytest puts tests/ (which
has no __init__.py) first on sys.path when it imports them.
"""

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from click.testing import CliRunner, Result

from mobicalc.cli import main

ROOT = Path(__file__).resolve().parent.parent  # the root of the checkout

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# A real process gets this long before the test fails instead of hanging the suite. It is a guard
# against a hang, not a speed check: generous, so that a loaded machine never trips it.
TIMEOUT = 120


def run(*args: str, code: int = 0) -> Result:
    """``mobicalc ARGS`` in this process, through CliRunner; asserts its exit code is ``code``."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result


def run_json(*args: str) -> dict:
    """``mobicalc ARGS --format json``, which must exit 0, parsed."""
    return json.loads(run(*args, "--format", "json").output)


def shape(layer: dict, which: str) -> list:
    """A layer's input or output shape, from its three JSON (and CSV) fields."""
    return [layer[f"{which}_{part}"] for part in ("height", "width", "channels")]


def mobicalc_process(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """``python -m mobicalc ARGS`` as a real process; ``kwargs`` go to subprocess.run."""
    return subprocess.run([sys.executable, "-m", "mobicalc", *args], **{"timeout": TIMEOUT, **kwargs})


def environment(**changes: str | None) -> dict[str, str]:
    """This process's environment without the variables that size or colour output, then ``changes``."""
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.pop("FORCE_COLOR", None)
    env.update({key: value for key, value in changes.items() if value is not None})
    return env


def _read_until_closed(master: int) -> list[bytes]:
    """Everything a pseudo-terminal's other end writes, until it closes (read as it comes: the child never
    blocks on a full terminal)."""
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not data:
            break
        chunks.append(data)
    return chunks


def on_terminal(args: list[str], columns: int = 80, **env: str) -> tuple[int, str, str]:
    """Run mobicalc with a pseudo-terminal of ``columns`` as its stdout; (exit code, screen text, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "mobicalc", *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=environment(**env),
    )
    os.close(slave)
    chunks = _read_until_closed(master)
    process.wait(timeout=TIMEOUT)
    os.close(master)
    stderr = process.stderr.read().decode() if process.stderr else ""
    return process.returncode, b"".join(chunks).decode("utf-8", "replace").replace("\r", ""), stderr


def stderr_on_terminal(args: list[str], columns: int = 80, **env: str) -> tuple[int, str, str]:
    """Run mobicalc with a pseudo-terminal as its stderr and stdout piped; (exit code, stdout, what the
    terminal got)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "mobicalc", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=environment(**{"TERM": "xterm", **env}),
    )
    os.close(slave)
    chunks = _read_until_closed(master)
    stdout, _ = process.communicate(timeout=TIMEOUT)
    os.close(master)
    return process.returncode, stdout.decode(), b"".join(chunks).decode("utf-8", "replace")
