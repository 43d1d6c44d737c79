"""A sweep drawn with matplotlib (the optional extra ``mobicalc[plot]``), imported only here.

``draw`` writes an SVG or PNG: MACs against resolution, a line per alpha, or the
released checkpoints' published top-1 against MACs with the accuracy frontier drawn.
"""

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobicalc.errors import MissingDependency, MobicalcError, OutputError
from mobicalc.numbers import exact_decimal

if TYPE_CHECKING:
    from mobicalc.count.sweep import DesignSpace


class PlotMissing(MissingDependency):
    """matplotlib is missing or broken."""


class PlotError(MobicalcError):
    """A plot that cannot be drawn from this sweep."""


def _figure() -> Any:
    """A matplotlib figure of its own: not pyplot's, whose backend and registry of figures are
    process-wide (a notebook that draws a sweep keeps its own backend)."""
    try:
        from matplotlib.figure import Figure
    except Exception as error:  # ImportError, or a broken install failing in its own way
        raise PlotMissing(
            f"--plot needs matplotlib, which cannot be imported ({type(error).__name__}: {error}); "
            "install it with: pip install 'mobicalc[plot]'"
        ) from None
    return Figure(figsize=(8, 5), dpi=100)


def draw(path: str, kind: str, summary: "DesignSpace") -> None:
    """Draw ``summary`` as ``kind`` ("macs" or "accuracy") to ``path`` (.svg or .png)."""
    configurations = summary.configurations
    if not configurations:
        raise PlotError("--plot: no configuration is within budget, so there is nothing to draw")
    if kind == "macs" and any(not isinstance(c.resolution, int) for c in configurations):
        raise PlotError("--plot-kind macs draws square sizes against their side: give square sizes")
    rated = [c for c in configurations if c.top1 is not None]
    if kind == "accuracy" and not rated:
        raise PlotError(
            "--plot-kind accuracy: no released checkpoint among these configurations"
            + (f" ({summary.no_accuracy})" if summary.no_accuracy else "")
        )
    figure = _figure()
    axes = figure.subplots()
    name = summary.network.architecture.name
    if kind == "macs":
        for alpha in summary.alphas:
            line = sorted((c.resolution, c.totals.macs / 1e6) for c in configurations if c.alpha == alpha)
            if line:
                axes.plot(
                    *zip(*line, strict=True), marker="o", markersize=3, label=f"alpha {exact_decimal(alpha)}"
                )
        axes.set_xlabel("resolution (pixels)")
        axes.set_ylabel("MACs (millions)")
        axes.set_title(f"{name}: MACs against resolution, per alpha")
        if len(summary.alphas) <= 12:
            axes.legend(fontsize="small")
    else:
        # The accuracy frontier: no other release has at least its top-1 for no more MACs.
        frontier = sorted((c for c in rated if c.accuracy_frontier), key=lambda c: c.totals.macs)
        others = [c for c in rated if not c.accuracy_frontier]
        axes.scatter([c.totals.macs / 1e6 for c in frontier], [float(c.top1 or 0) for c in frontier],
                     label="on the frontier (accuracy frontier)", zorder=3)  # fmt: skip
        if others:
            axes.scatter([c.totals.macs / 1e6 for c in others], [float(c.top1 or 0) for c in others],
                         marker="x", label="beaten: another has at least its top-1 for no more MACs",
                         zorder=3)  # fmt: skip
        for c in rated:
            where = (c.totals.macs / 1e6, float(c.top1 or 0))
            label = f"{exact_decimal(c.alpha)}-{c.resolution}"
            axes.annotate(label, where, fontsize=7, xytext=(3, 3), textcoords="offset points")
        # The most accurate release within each MACs: a staircase through the accuracy frontier.
        steps = ([c.totals.macs / 1e6 for c in frontier], [float(c.top1 or 0) for c in frontier])
        axes.step(*steps, where="post", linewidth=1, label="accuracy frontier: most accurate within MACs")
        axes.set_xlabel("MACs (millions)")
        axes.set_ylabel("published ImageNet top-1 (%)")
        axes.set_title(f"{name}: published top-1 against MACs")
        axes.legend(fontsize="small")
        if summary.published is not None:
            figure.text(0.01, 0.01, f"top-1: {summary.published.source}", fontsize=6)
    axes.grid(True, linewidth=0.3)
    figure.tight_layout()
    _save(figure, Path(path))


FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
"""Errors of a device that took the file but cannot hold it: the output's fault, not the request's."""


def _save(figure: Any, target: Path) -> None:
    """Write the figure to a temporary file beside ``target``, then rename it over ``target``: a failed
    write never leaves a partial file, and a FIFO or a device is refused, never opened (it could block)."""
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise PlotError(f"--plot: cannot write {target}: {error.strerror or error}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise PlotError(f"--plot: {target} is not a regular file: give a .svg or .png file to write")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise PlotError(f"--plot: cannot write {target}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            figure.savefig(stream, format=target.suffix.lower().lstrip("."))
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            reason = f"--plot: cannot write {target}: {error.strerror or error}"
            raise (OutputError if error.errno in FULL else PlotError)(reason) from None
        raise
