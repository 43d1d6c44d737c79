"""Sweeps and measurements drawn with matplotlib (the optional extra ``mobicalc[plot]``), imported only here.

``draw`` writes a sweep as an SVG or PNG: MACs against resolution, a line per alpha,
or the released checkpoints' published top-1 against MACs with the accuracy frontier drawn.
``draw_model_bench`` and ``draw_ratio_bench`` draw what ``mobicalc bench`` measured:
each layer's MAC share against its time share, or standard against separable.
Every plot is a matplotlib figure of its own, never pyplot's.
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
    from mobicalc.tf.bench import ModelBench, RatioBench


class PlotMissing(MissingDependency):
    """matplotlib is missing or broken."""


class PlotError(MobicalcError):
    """A plot that cannot be drawn from this sweep."""


def require_matplotlib() -> Any:
    """matplotlib's Figure class, or PlotMissing: checked before long work whose result is to be drawn."""
    try:
        from matplotlib.figure import Figure
    except Exception as error:  # ImportError, or a broken install failing in its own way
        raise PlotMissing(
            f"--plot needs matplotlib, which cannot be imported ({type(error).__name__}: {error}); "
            "install it with: pip install 'mobicalc[plot]'"
        ) from None
    return Figure


def _figure(width: float = 8, height: float = 5) -> Any:
    """A matplotlib figure of its own: not pyplot's, whose backend and registry of figures are
    process-wide (a notebook that draws a sweep keeps its own backend)."""
    return require_matplotlib()(figsize=(width, height), dpi=100)


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
    _save(figure, path)


def draw_model_bench(path: str, result: "ModelBench") -> None:
    """Each layer's MAC share against its time share (log-log, the diagonal where time follows MACs),
    and the same by layer kind, side by side."""
    network, attribution = result.network, result.attribution
    figure = _figure(11, 5)
    layers, kinds = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for record in network.records:
        if record.cost.macs and attribution.picoseconds[record.layer.name]:
            point = (float(record.cost.macs / network.macs), float(attribution.share(record.layer.name)))
            by_kind.setdefault(record.layer.kind, []).append(point)
    for kind, points in by_kind.items():
        layers.scatter(*zip(*points, strict=True), s=18, label=kind, zorder=3)
    every = [value for points in by_kind.values() for point in points for value in point]
    if every:
        low, high = min(every) / 2, min(1.0, max(every) * 2)
        layers.plot([low, high], [low, high], color="grey", linewidth=0.8, label="time share = MAC share")
    layers.set_xscale("log")
    layers.set_yscale("log")
    layers.set_xlabel("share of the network's MACs")
    layers.set_ylabel("share of the measured time")
    layers.set_title("Each layer with MACs", fontsize="medium")
    layers.legend(fontsize="small")
    layers.grid(True, linewidth=0.3)
    totals: dict[str, list[float]] = {}
    for record in network.records:
        entry = totals.setdefault(record.layer.kind, [0.0, 0.0])
        # A layer no formula counts has no MAC bar (NaN draws none), never a bar of zero.
        entry[0] += float(record.cost.macs / network.macs) if record.counted is not False else float("nan")
        entry[1] += float(attribution.share(record.layer.name))
    names = list(totals)
    positions = range(len(names))
    kinds.bar([p - 0.2 for p in positions], [totals[n][0] * 100 for n in names], 0.4, label="MACs")
    kinds.bar([p + 0.2 for p in positions], [totals[n][1] * 100 for n in names], 0.4, label="time")
    kinds.set_xticks(list(positions), names, rotation=30, fontsize="small")
    kinds.set_ylabel("share (%)")
    kinds.set_title("By layer kind", fontsize="medium")
    kinds.legend(fontsize="small")
    environment = result.environment
    figure.suptitle(
        f"{network.architecture.name}: MACs are not time (median call {result.model.median * 1e3:.3g} ms; "
        f"{environment.cpu}, TensorFlow {environment.tensorflow}, batch 1)",
        fontsize="medium",
    )
    _save(figure, path)


def draw_ratio_bench(path: str, result: "RatioBench") -> None:
    """Standard against separable, each relative to standard: MACs, a call's time, and the kernels' time
    (the separable pair's bars split into depthwise and pointwise where their parts add up)."""
    comparison, parts, kernels = result.comparison, result.parts, result.kernels
    figure = _figure(8, 5)
    axes = figure.subplots()
    standard_macs = float(comparison.standard.macs)
    groups = ["MACs", "call time (median)", "kernel time (profiler)"]
    axes.bar([g - 0.2 for g in range(3)], [1, 1, 1], 0.4, label="standard", color="tab:grey")
    depthwise = [
        float(comparison.depthwise.macs) / standard_macs,
        0.0,
        kernels["depthwise"] / kernels["standard"],
    ]
    pointwise = [
        float(comparison.pointwise.macs) / standard_macs,
        0.0,
        kernels["pointwise"] / kernels["standard"],
    ]
    axes.bar([g + 0.2 for g in range(3)], depthwise, 0.4, label="depthwise", color="tab:orange")
    axes.bar(
        [g + 0.2 for g in range(3)], pointwise, 0.4, bottom=depthwise, label="pointwise", color="tab:blue"
    )
    axes.bar([1.2], [result.time_ratio], 0.4, label="separable (one call)", color="tab:green")
    separable = [float(comparison.ratio), result.time_ratio, result.kernel_ratio]
    for group, value in enumerate(separable):
        axes.annotate(
            f"{value:.3f}", (group + 0.2, value), ha="center", xytext=(0, 3), textcoords="offset points"
        )
    axes.set_xticks(range(3), groups)
    axes.set_ylabel("relative to standard convolution")
    axes.set_title(
        f"M={comparison.M}, N={comparison.N}, Dk={comparison.dk}, Dp={comparison.dp}: separable / standard "
        f"(time: median of {len(parts['standard'].seconds)} paired rounds)",
        fontsize="medium",
    )
    axes.legend(fontsize="small")
    axes.grid(True, axis="y", linewidth=0.3)
    _save(figure, path)


FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)
"""Errors of a device that took the file but cannot hold it: the output's fault, not the request's."""


def _save(figure: Any, path: str) -> None:
    """Write the figure to a temporary file beside ``path``, then rename it over ``path``: a failed
    write never leaves a partial file, and a FIFO or a device is refused, never opened (it could block)."""
    figure.tight_layout()
    target = Path(path)
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
