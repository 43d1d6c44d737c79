"""``mobicalc bench MODEL``: each layer's measured time beside its MACs; by kind; the whole model."""

from typing import TYPE_CHECKING, Any

from mobicalc.count.roofline import roofline
from mobicalc.model.graph import RAW_KIND, GraphModel
from mobicalc.model.kinds import ALL_KINDS
from mobicalc.numbers import percent, quantity, share
from mobicalc.views.common import COUNT_MEANINGS, describe, title
from mobicalc.views.measured import environment_view, rate, samples_row
from mobicalc.views.model import WIDE, Column, Layout, Report, Style, View

if TYPE_CHECKING:  # the TensorFlow bridge's result type, named without importing it
    from mobicalc.tf.bench import ModelBench

SHARE_NOTE = (
    "shares: of the whole network's MACs, and of the time of every op traced (bars: against the largest)."
)

LAYER_COLUMNS = (
    Column("index", "#", Style.NUMBER, 6),
    Column("name", "layer", wraps=True),
    Column("kind", "kind", priority=5),
    Column("macs", "MACs", Style.SHORT),
    Column("macs_share", "MAC share", Style.SHARE, note=SHARE_NOTE),
    Column("time_s", "time", Style.SECONDS, 2),
    Column("time_share", "time share", Style.SHARE),
    Column("gmacs_per_s", "GMAC/s", Style.MEASURE, 3),
    Column("intensity", "MACs/byte", Style.MEASURE, 4),
    Column("ops_per_call", "ops", Style.MEASURE, WIDE),
)


TABLE_TIME = "a layer's ops per call (with its batch-norm, activation and padding)"
GRAPH_TIME = (
    "the ops of each layer call (a shared layer's each call on its own row; a nested model's layers as "
    "outer/inner)"
)


def layers_view(result: "ModelBench") -> View:
    network, attribution = result.network, result.attribution
    layers, costs = network.layers, [record.cost for record in network.records]
    total = network.macs
    counted = [record.counted is not False for record in network.records]
    rows = []
    for index, (layer, cost, estimate, known) in enumerate(
        zip(layers, costs, roofline(network), counted, strict=True), 1
    ):
        seconds = attribution.seconds(layer.name)
        rows.append(
            {
                "index": index,
                "name": layer.name,
                "kind": layer.kind,
                "macs": cost.macs if known else None,  # not counted: never shown as zero
                "macs_share": share(cost.macs, total) if known else None,
                "time_s": seconds,
                "time_share": attribution.share(layer.name),
                "gmacs_per_s": rate(cost.macs, seconds) if known else None,
                "intensity": estimate.intensity if known else None,
                "ops_per_call": attribution.ops[layer.name] / attribution.iterations,
            }
        )
    for name in result.raw:  # timed, never counted: no MACs, never zero
        rows.append(
            {
                "index": len(rows) + 1, "name": name, "kind": RAW_KIND, "macs": None, "macs_share": None,
                "time_s": attribution.seconds(name), "time_share": attribution.share(name),
                "gmacs_per_s": None, "intensity": None,
                "ops_per_call": attribution.ops[name] / attribution.iterations,
            }
        )  # fmt: skip
    graph = isinstance(network.architecture, GraphModel)
    view = View(f"Measured: {title(network)}", LAYER_COLUMNS, rows)
    view.notes.append(
        f"time: {GRAPH_TIME if graph else TABLE_TIME}, from TensorFlow's profiler over "
        f"{attribution.iterations} whole-model calls; GMAC/s: MACs / time; MACs/byte: MACs per byte of "
        f"weights, inputs and output at {network.settings.dtype}."
    )
    if result.raw:
        view.notes.append(
            f"{', '.join(result.raw)}: the ops a subclassed model's call() made outside any layer call "
            "(keras.ops, tf), each row that call()'s; timed, not counted by mobicalc, so no MACs or GMAC/s."
        )
    if not all(counted):
        uncounted = [layer.name for layer, known in zip(layers, counted, strict=True) if not known]
        more = ", ..." if len(uncounted) > 3 else ""
        view.notes.append(
            f"{quantity(len(uncounted), 'layer')} not counted ({', '.join(uncounted[:3])}{more}): no "
            f"formula for {_its(uncounted)} class, so no MACs, GMAC/s or MACs/byte; {_its(uncounted)} time "
            "is measured."
        )
    silent = [layer.name for layer in layers if not attribution.ops[layer.name] and layer.kind != "input"]
    silent += [name for name in result.raw if not attribution.ops[name]]
    if silent:
        more = ", ..." if len(silent) > 3 else ""
        view.notes.append(
            f"{quantity(len(silent), 'layer')} {_its(silent, 'shows', 'show')} no op ({', '.join(silent[:3])}"
            f"{more}): once warmed up, TensorFlow "
            "treats an op it has measured as cheap (a few µs) as inexpensive, and its profiler then leaves "
            "it out; the whole model's time includes it."
        )
    if attribution.fused:
        pairs = [f"{target} + {source}" for source, target in attribution.fused.items()]
        view.notes.append(
            f"TensorFlow fused {quantity(len(pairs), 'layer')} with the layer after "
            f"{_its(pairs, 'it', 'them')} into one op, named in the later layer's scope ("
            f"{', '.join(pairs[:3])}{', ...' if len(pairs) > 3 else ''}): each such "
            "op's time is on the row of the layer whose MACs it computes."
        )
    if attribution.unattributed:
        stray = attribution.unattributed_ops
        view.notes.append(
            f"{percent(attribution.unattributed_share)} of the traced time ran in ops of no layer "
            f"({', '.join(stray[:3])}{', ...' if len(stray) > 3 else ''})."
        )
    return view


def _its(items: list[str], one: str = "its", many: str = "their") -> str:
    """The word for ``items``: ``one`` for one (its, it, shows), ``many`` for more (their, them, show)."""
    return one if len(items) == 1 else many


BREAKDOWN_COLUMNS = (
    Column("kind", "kind"),
    Column("layers", "layers", Style.NUMBER, 3),
    Column("macs", "MACs", Style.SHORT, 2),
    Column("macs_share", "MAC share", Style.SHARE),
    Column("time_s", "time", Style.SECONDS, 2),
    Column("time_share", "time share", Style.SHARE),
    Column("gmacs_per_s", "GMAC/s", Style.MEASURE, 2),
)
NO_LAYER = "(no layer)"
"""The breakdown's row for the traced ops no layer made, so that its time shares add up to 1."""


def breakdown_view(result: "ModelBench") -> View:
    network, attribution = result.network, result.attribution
    kinds: dict[str, list[Any]] = {}
    for record in network.records:
        kinds.setdefault(record.layer.kind, []).append(record)
    rows = []
    for kind in (kind for kind in ALL_KINDS if kind in kinds):
        records = kinds[kind]
        known = all(record.counted is not False for record in records)
        macs = sum(record.cost.macs for record in records) if known else None
        seconds = sum(attribution.seconds(record.layer.name) for record in records)
        rows.append(
            {
                "kind": kind,
                "layers": len(records),
                "macs": macs,
                "macs_share": share(macs, network.macs) if macs is not None else None,
                "time_s": seconds,
                "time_share": sum(attribution.share(record.layer.name) for record in records),
                "gmacs_per_s": rate(macs, seconds),
            }
        )
    if result.raw:
        seconds = sum(attribution.seconds(name) for name in result.raw)
        rows.append(
            {
                "kind": RAW_KIND,
                "layers": len(result.raw),
                "macs": None,
                "macs_share": None,
                "time_s": seconds,
                "time_share": sum(attribution.share(name) for name in result.raw),
                "gmacs_per_s": None,
            }
        )
    if attribution.unattributed:
        rows.append(
            {
                "kind": NO_LAYER,
                "layers": 0,
                "macs": 0,
                "macs_share": 0,
                "time_s": attribution.unattributed_seconds,
                "time_share": attribution.unattributed_share,
            }
        )
    return View("By layer kind: MAC share against time share", BREAKDOWN_COLUMNS, rows)


TIMING_COLUMNS = (
    Column("time_s", "whole model, median round", Style.SECONDS),
    Column("time_min_s", "whole model, fastest round", Style.SECONDS),
    Column("spread", "slowest round / fastest", Style.MEASURE),
    Column("rounds", "rounds", Style.NUMBER),
    Column("calls_per_round", "calls per round", Style.NUMBER),
    Column("batch", "batch", Style.NUMBER, WIDE),
    Column("timed_dtype", "timed at", priority=WIDE),
    Column("profiled_calls", "profiled calls", Style.NUMBER, WIDE),
    Column("profiled_s", "profiled ops per call", Style.SECONDS),
    Column("unattributed_share", "of which in no layer", Style.SHARE, WIDE),
)


def timing_view(result: "ModelBench") -> View:
    attribution = result.attribution
    row = {
        **samples_row(result.model),
        "batch": 1,
        "timed_dtype": "float32",
        "profiled_calls": attribution.iterations,
        "profiled_s": attribution.seconds_per_iteration,
        "unattributed_share": attribution.unattributed_share,
    }
    view = View("Whole model", TIMING_COLUMNS, [row], layout=Layout.RECORD)
    view.notes.append(
        "One compiled tf.function call at batch 1, float32; a sample per round is the mean of its calls."
    )
    if result.network.settings.dtype != "float32":
        view.notes.append(f"Times are at float32; MACs/byte is at {result.network.settings.dtype}.")
    return view


STANDARD_COLUMNS = (
    Column("macs_ratio", "MACs: separable / standard", Style.RATIO),
    Column("time_ratio", "time: separable / standard", Style.RATIO),
    Column("time_ratio_min", "fastest / fastest", Style.RATIO),
    Column("macs", "standard MACs", Style.COUNT),
    Column("time_s", "standard, median round", Style.SECONDS),
    Column("time_min_s", "standard, fastest round", Style.SECONDS),
    Column("spread", "slowest round / fastest", Style.MEASURE, WIDE),
    Column("rounds", "rounds", Style.NUMBER, WIDE),
    Column("calls_per_round", "calls per round", Style.NUMBER, WIDE),
)


def standard_view(result: "ModelBench") -> View | None:
    if result.standard is None or result.time_ratio is None:
        return None
    network, standard = result.network, result.standard
    row = {
        **samples_row(standard),
        "macs": network.standard.macs,
        "macs_ratio": share(network.macs, network.standard.macs),
        "time_ratio": result.time_ratio,
        "time_ratio_min": result.model.least / standard.least,
    }
    view = View(
        "As standard convolution (each depthwise + pointwise pair one full convolution), same rounds",
        STANDARD_COLUMNS,
        [row],
        layout=Layout.RECORD,
    )
    view.notes.append(
        f"The separable network takes {result.time_ratio:.3f} of the standard network's time "
        f"(median of {len(standard.seconds)} paired rounds) for {float(row['macs_ratio']):.3f} of its MACs."
    )
    return view


def bench_report(result: "ModelBench") -> Report:
    environment = environment_view(result.environment)
    layers, breakdown, timing = layers_view(result), breakdown_view(result), timing_view(result)
    standard = standard_view(result)
    samples = {"model": list(result.model.seconds)}
    if result.standard is not None:
        samples["standard"] = list(result.standard.seconds)
    document: dict[str | None, Any] = {
        "model": describe(result.network),
        "conventions": {"macs": COUNT_MEANINGS["macs"], "time_s": "seconds per call, batch 1, float32"},
        "environment": environment,
        "timing": timing,
        "standard": standard,
        "breakdown": breakdown,
        "layers": layers,
        "samples": samples,
    }
    views = [layers, breakdown, timing] + ([standard] if standard is not None else []) + [environment]
    return Report(document, views, csv=layers)
