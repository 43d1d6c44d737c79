"""What a long command is doing, on stderr while it works: on a terminal only, never in a pipe or a file.

``bench`` and ``verify`` spend seconds importing TensorFlow, building, tracing and
timing before their first line; on a terminal a Rich status line says which, and
how far along (``timing: round 3 of 15``), then disappears. Rich is imported only
then.
"""

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TextIO

from mobicalc.render.target import detect
from mobicalc.tf.runtime import Progress, silent


def on_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line (not a pipe, a file, or TERM=dumb)."""
    if stream is None:
        return False
    try:
        tty = stream.isatty()
    except (ValueError, OSError):
        return False
    return tty and os.environ.get("TERM", "") not in ("dumb", "unknown")


@contextlib.contextmanager
def shown(first: str = "starting") -> Iterator[Progress]:
    """A ``Progress`` that shows each step on stderr's terminal while the block runs; ``silent`` off one."""
    stream = sys.stderr
    if not on_terminal(stream):
        yield silent
        return
    from rich.console import Console
    from rich.live import Live
    from rich.spinner import Spinner

    target = detect(stream)
    # A copy of the descriptor: TensorFlow's noise is silenced by pointing descriptor 2 at /dev/null
    # while it loads (tf.runtime.quiet_stderr), and the status must go on showing meanwhile.
    copy = os.fdopen(os.dup(stream.fileno()), "w", encoding=stream.encoding or "utf-8", errors="replace")
    try:
        console = Console(
            file=copy,
            force_terminal=True,
            width=target.width,
            color_system="standard" if target.color else None,
            no_color=not target.color,
            emoji=False,
            highlight=False,
        )
        spinner = Spinner("dots" if target.unicode else "line", first)
        # Not Rich's status: it would take over sys.stdout and sys.stderr, whose writes then reach the
        # terminal through it even while TensorFlow's are being silenced.
        with Live(
            spinner, console=console, transient=True, redirect_stdout=False, redirect_stderr=False
        ) as live:

            def update(step: str) -> None:
                spinner.update(text=step)
                live.refresh()

            yield update
    finally:
        copy.close()
