"""What every view of measured time shares: where it was measured, samples, rates, intensities."""

from typing import TYPE_CHECKING, Any

from mobicalc.count.timing import Samples
from mobicalc.views.model import WIDE, Column, Layout, Style, View

if TYPE_CHECKING:  # the TensorFlow bridge's result type, named without importing it
    from mobicalc.tf.environment import Environment
NOISE = (
    "Times vary from run to run: by up to 2x on a shared machine, ratios of one run by up to about 20%. "
    "Compare medians and ratios, and run twice before trusting a difference (docs/bench.md)."
)

ENVIRONMENT_COLUMNS = (
    Column("cpu", "CPU"),
    Column("cpus", "logical CPUs", Style.NUMBER),
    Column("threads", "threads"),
    Column("intra_op_threads", "threads per op (0: default)", Style.NUMBER, WIDE),
    Column("inter_op_threads", "ops at once (0: default)", Style.NUMBER, WIDE),
    Column("tensorflow", "TensorFlow"),
    Column("keras", "Keras", priority=WIDE),
    Column("onednn", "oneDNN", Style.VERDICT, words=("on", "off")),
    Column("python", "Python"),
    Column("platform", "platform", priority=WIDE),
    Column("load_average", "load average (1 min)", Style.MEASURE),
)


def environment_view(environment: "Environment") -> View:
    row: dict[str, Any] = environment._asdict()
    intra, inter, cpus = environment.intra_op_threads, environment.inter_op_threads, environment.cpus
    row["threads"] = (
        f"{intra} thread{'s' * (intra != 1)} per op, "
        + (f"{inter} op{'s' * (inter != 1)} at a time" if inter else "ops in parallel (default)")
        if intra
        else f"TensorFlow's default (one per logical CPU: {cpus})"
    )
    return View("Measured on", ENVIRONMENT_COLUMNS, [row], [NOISE], Layout.RECORD)


def rate(macs: Any, seconds: float) -> float | None:
    """GMAC/s: billions of MACs a second; None for a layer without MACs or time."""
    return float(macs) / seconds / 1e9 if macs and seconds > 0 else None


def samples_row(samples: Samples) -> dict[str, Any]:
    """The columns every timed thing has: its median and fastest round, their spread, rounds and calls."""
    return {
        "time_s": samples.median,
        "time_min_s": samples.least,
        "spread": samples.spread,
        "rounds": len(samples.seconds),
        "calls_per_round": samples.calls,
    }
