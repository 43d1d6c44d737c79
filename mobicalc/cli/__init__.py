"""The command line: parse, call the library, render. Nothing else happens here.

Each command lives in its own module, imported only when it runs (``COMMANDS``),
so ``mobicalc table`` never loads the code of ``sweep``, ``reproduce`` or ``verify``.
"""

import contextlib
import io
import sys
from typing import TextIO

import click

from mobicalc.cli.base import InterruptibleGroup, LazyCommands, drop_stdout, show_version
from mobicalc.cli.exits import Exit
from mobicalc.cli.options import EPILOG

__all__ = ["main", "run"]

COMMANDS = {
    "ratio": "mobicalc.cli.layer:ratio",
    "table": "mobicalc.cli.network:table",
    "check": "mobicalc.cli.network:check",
    "verify": "mobicalc.cli.verify:verify",
    "bench": "mobicalc.cli.bench:bench",
    "sweep": "mobicalc.cli.sweep:sweep",
    "reproduce": "mobicalc.cli.reproduce:reproduce",
}
"""Each command's ``module:function``."""


@click.group(
    cls=InterruptibleGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EPILOG,
    commands=LazyCommands(COMMANDS),
)
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=show_version,
    help="Show the version and exit.",
)  # fmt: skip
def main() -> None:
    """Exact MACs and parameters of MobileNet-style networks, standard vs separable.

    \b
    Examples:
      mobicalc ratio --N 512 --dk 3          separable costs 0.113 of standard
      mobicalc ratio --M 512 --N 512 --dk 3 --dp 14
                                             the MobileNetV1 paper's Table 3
      mobicalc table v1 --alpha 0.5          MobileNetV1 0.5, layer by layer
      mobicalc table v2 --format json        totals for a CI pipeline
      mobicalc table --arch my_net.toml      your own architecture table
      mobicalc check v2 --max-macs 300M      a budget in CI: exit 1 when over
      mobicalc bench v1                      measured time beside every count
    """


def run() -> None:
    """The ``mobicalc`` command: ``main``, with a stderr that cannot be written to ending quietly.

    (A usage error is told on stderr; if even that fails, the exit code is all that is left.)
    """
    sys.stderr = QuietStream(sys.stderr)
    try:
        main(prog_name="mobicalc")
    except OSError:
        drop_stdout()
        raise SystemExit(Exit.OUTPUT_ERROR) from None


class QuietStream(io.TextIOBase):
    """stderr that cannot fail: a message that cannot be written (stderr closed, a full device) is
    dropped, so the exit code stays the one for what happened (a usage error is 2), and nothing meant
    for stderr ever goes to stdout."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.stream.write(text)  # type: ignore[union-attr]  # None: AttributeError, dropped
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.stream.flush()  # type: ignore[union-attr]

    def fileno(self) -> int:
        if self.stream is None:
            raise io.UnsupportedOperation("standard error is closed")
        return self.stream.fileno()

    def isatty(self) -> bool:
        try:
            return bool(self.stream is not None and self.stream.isatty())
        except (OSError, ValueError):
            return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"
