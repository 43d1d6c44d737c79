"""``mobicalc bench ratio``: one layer as standard and as separable convolution, measured."""

from typing import TYPE_CHECKING, Any

from mobicalc.count.roofline import intensity, moved_values
from mobicalc.count.settings import bytes_per_value
from mobicalc.count.timing import paired_ratio
from mobicalc.numbers import grouped, share
from mobicalc.views.measured import environment_view, rate, samples_row
from mobicalc.views.model import WIDE, Column, Layout, Report, Style, View

if TYPE_CHECKING:  # the TensorFlow bridge's result type, named without importing it
    from mobicalc.tf.bench import RatioBench

PART_COLUMNS = (
    Column("part", "part"),
    Column("macs", "MACs", Style.SHORT),
    Column("macs_ratio", "MACs / std", Style.RATIO, 2),
    Column("time_s", "median", Style.SECONDS),
    Column("time_min_s", "fastest", Style.SECONDS, 3),
    Column("time_ratio", "time / std", Style.RATIO),
    Column("kernel_s", "kernel", Style.SECONDS, 2),
    Column("gmacs_per_s", "GMAC/s", Style.MEASURE, 2),
    Column("intensity", "MACs/byte", Style.MEASURE, 4),
    Column("calls_per_round", "calls per round", Style.NUMBER, WIDE),
)


def ratio_bench_report(result: "RatioBench", inputs: dict[str, Any]) -> Report:
    """``inputs``: alpha, rho and rounding, as ``mobicalc ratio`` takes them."""
    comparison, parts, kernels = result.comparison, result.parts, result.kernels
    standard, depthwise, pointwise = comparison.layers()
    costs = {
        "standard": comparison.standard,
        "depthwise": comparison.depthwise,
        "pointwise": comparison.pointwise,
    }
    moved = dict(
        zip(costs, moved_values((standard, depthwise, pointwise), list(costs.values())), strict=True)
    )
    moved["separable"] = moved["depthwise"] + moved["pointwise"]  # the map between them: written, read back
    costs["separable"] = comparison.separable
    rows = []
    for part in parts:
        macs = costs[part].macs
        rows.append(
            {
                "part": part,
                "macs": macs,
                "macs_ratio": share(macs, comparison.standard.macs),
                **samples_row(parts[part]),
                "time_ratio": paired_ratio(parts[part], parts["standard"]),
                "kernel_s": kernels[part],
                "gmacs_per_s": rate(macs, kernels[part]),
                "intensity": intensity(macs, moved[part] * bytes_per_value("float32")),  # as timed
            }
        )
    M, N, k, p = comparison.M, comparison.N, comparison.dk, comparison.dp
    heading = f"Measured: standard vs depthwise separable, M={M}, N={N}, Dk={k}, Dp={p}"
    view = View(heading, PART_COLUMNS, rows)
    rounds = len(parts["standard"].seconds)
    view.notes += [
        f"time: separable / standard = {result.time_ratio:.3f} (median of {rounds} paired rounds; fastest / "
        f"fastest {parts['separable'].least / parts['standard'].least:.3f}); kernels alone "
        f"{result.kernel_ratio:.3f}",
        f"MACs: separable / standard = {grouped(comparison.separable.macs)} / "
        f"{grouped(comparison.standard.macs)} = {float(comparison.ratio):.3f}; "
        f"closed form 1/N + 1/Dk² = {float(comparison.closed_form):.3f}",
        "Each part is one compiled call at batch 1, float32, stride 1, 'same' padding, no bias, batch-norm "
        f"or activation. kernel: its ops alone in the median of {result.iterations} calls TensorFlow's "
        "profiler traced (a call's fixed cost left out); GMAC/s: MACs / kernel; MACs/byte: per byte of "
        "weights, input and output (float32).",
        "median, fastest: a call's time in the median and the fastest round; time / std: the median of "
        "each round's ratio to the standard layer's.",
    ]
    if p == 1:
        view.notes.append("Dp = 1: a single output pixel; give --dp for a whole layer.")
    document: dict[str | None, Any] = {
        "inputs": {**inputs, "M": M, "N": N, "dk": k, "dp": p},
        "environment": environment_view(result.environment),
        None: View(heading, PART_COLUMNS, rows, layout=Layout.BY_FIRST),
        "macs_ratio": float(comparison.ratio),
        "macs_ratio_exact": str(comparison.ratio),
        "closed_form": float(comparison.closed_form),
        "time_ratio": result.time_ratio,
        "time_ratio_min": parts["separable"].least / parts["standard"].least,
        "kernel_ratio": result.kernel_ratio,
        "rounds": rounds,
        "samples": {part: list(samples.seconds) for part, samples in parts.items()},
    }
    return Report(document, [view, document["environment"]], csv=view)
