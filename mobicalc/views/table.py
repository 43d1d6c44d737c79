"""``mobicalc table``: every layer, its share, its standard-convolution counterpart; totals; breakdown."""

from collections import Counter
from typing import Any

from mobicalc.count.costs import Cost
from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.count.roofline import Machine, roofline
from mobicalc.model.kinds import kind_of
from mobicalc.model.rounding import Count
from mobicalc.numbers import duration, exact_decimal, human, human_bytes, percent, quantity, share
from mobicalc.views.common import (
    COUNT_COLUMNS,
    convention_document,
    counting_conventions,
    counts,
    describe,
    labelled,
    network_totals,
    title,
    totals_view,
)
from mobicalc.views.model import ALWAYS, WIDE, Column, Layout, Report, Style, View

INTENSITY = "MACs per byte of the layer's weights, inputs and output at the dtype (arithmetic intensity)."
ROOFLINE_NOTE = (
    "roofline time: an estimate, not a measurement: the larger of 2 x MACs / peak and bytes / bandwidth. "
    "It ranks layers but misses what mobicalc bench exists to show: at batch 1 on a CPU, depthwise "
    "layers run several times (3-20x, measured on 2-core CPUs) slower than it predicts, bound by "
    "per-layer overhead and their kernels, not by bandwidth (docs/bench.md)."
)
STANDARD_NOTE = (
    "standard: each depthwise + pointwise pair as one full convolution, shown on the depthwise row."
)

LAYER_COLUMNS = (
    Column("index", "#", Style.NUMBER, 6),
    Column("name", "layer", wraps=True),
    Column("kind", "kind", priority=4),
    Column("input", "input", Style.SHAPE, 7),
    Column("output", "output", Style.SHAPE, 2),
    Column("kernel", "kernel", Style.NUMBER, 5),
    Column("stride", "stride", Style.NUMBER, 5),
    Column("padding", "padding", priority=WIDE),
    Column("macs", "MACs", Style.COUNT),
    Column(
        "macs_share",
        "share of MACs",
        Style.SHARE,
        4,
        note="share of MACs: of the whole network's (a bar: against the largest layer's).",
    ),
    Column("params", "params", Style.COUNT, 2),
    Column("standard_macs", "standard MACs", Style.COUNT, 2, note=STANDARD_NOTE),
    Column("standard_params", "standard params", Style.COUNT, 6, note=STANDARD_NOTE),
    Column(
        "standard_ratio",
        "sep/std",
        Style.RATIO,
        3,
        note="sep/std: the depthwise + pointwise pair's MACs over its standard convolution's.",
    ),
    *(Column(c.key, c.header, c.style, WIDE) for c in COUNT_COLUMNS if c.key not in ("macs", "params")),
    Column("activation_elements", "activation values", Style.COUNT, WIDE),
    Column("activation_bytes", "activation bytes", Style.BYTES, 5),
    Column("working_bytes", "working bytes", Style.BYTES, 6),
    Column("peak", "peak", Style.VERDICT, 5, words=("peak", "")),
    Column("intensity", "MACs/byte", Style.MEASURE, WIDE, note="MACs/byte: " + INTENSITY),
)
ROOFLINE_COLUMNS = (
    Column("roofline_s", "roofline time", Style.SECONDS),
    Column("roofline_share", "share of it", Style.SHARE, 2),
    Column("roofline_bound", "bound", priority=3),
)


def _later(priority: int) -> int:
    """A column's priority behind the roofline's (never beyond WIDE, never before the always-shown)."""
    return priority if priority in (ALWAYS, WIDE) else min(priority + 2, WIDE - 1)


GRAPH_COLUMNS = (
    Column("op", "Keras class", priority=WIDE),
    Column(
        "counted", "counted", Style.VERDICT, words=("", "not counted"),
        note="not counted: no formula for the layer's class, and its MACs and params are left out of the "
        "totals; or, under --convention tf-profiler, the profiler's flops of its ops are not known, and its "
        "FLOPs count only 2 x MACs.",
    ),
)  # fmt: skip
"""What the rows of a graph's layers (a Keras model's) show beside a table's: their class, and
whether a formula counts them."""

SEPARABLE_NOTE = (
    "separable: every standard convolution of more than one tap as a depthwise then a 1x1 pointwise."
)
SEPARABLE_COLUMNS = (
    Column("separable_macs", "separable MACs", Style.COUNT, 3, note=SEPARABLE_NOTE),
    Column("separable_params", "separable params", Style.COUNT, WIDE, note=SEPARABLE_NOTE),
)

UNKNOWN = {
    "macs": ("macs", "macs_share", "standard_macs", "standard_ratio", "separable_macs", "intensity"),
    "params": (
        "params", "params_share", "trainable_params", "non_trainable_params", "weights", "bias",
        "batch_norm_trainable", "batch_norm_non_trainable", "standard_params", "separable_params",
    ),
    "flops": ("flops",),
}  # fmt: skip
"""The values a count the totals leave out (``LayerRecord.left_out``) leaves unknown: null, never 0."""


def unknown(left_out: tuple[str, ...]) -> dict[str, None]:
    """What a row shows for the counts left out: nothing."""
    return dict.fromkeys(key for count in left_out for key in UNKNOWN[count])


SHAPES = {"input": "input_shape", "output": "output_shape"}
"""A row's shapes when some layer's are not (height, width, channels): a list of any rank each."""


def layer_columns(network: NetworkCost) -> tuple[Column, ...]:
    """The layer columns the records fill: a graph's class and count, separable costs, shapes of any rank."""
    columns = list(LAYER_COLUMNS)
    records = network.records
    if not all(len(record.layer.input) == 3 and len(record.layer.output) == 3 for record in records):
        columns = [
            column._replace(key=SHAPES[column.key], style=Style.SIZE) if column.key in SHAPES else column
            for column in columns
        ]
    if network.uncounted is not None:
        columns[3:3] = GRAPH_COLUMNS
    if network.separable is not None:
        at = next(place for place, column in enumerate(columns) if column.key == "standard_ratio") + 1
        columns[at:at] = SEPARABLE_COLUMNS
    return labelled(tuple(columns), network.convention)


def _layer_row(index: int, record: LayerRecord, partner_macs: Count, total_macs: Count) -> dict[str, Any]:
    """One layer's row; ``partner_macs``: the MACs of the pointwise layer that completes it, if any."""
    layer, cost, standard = record.layer, record.cost, record.standard
    fills = kind_of(layer.kind).columns
    paired = layer.pair is not None  # a pair's pointwise half: the pair's standard is on the depthwise row
    # A layer that stands for a standard convolution other than itself has a ratio: separable / standard.
    stands_for_more = standard != cost and standard.macs
    kernel, stride = (
        list(size) if isinstance(size, tuple) else size for size in (layer.kernel, layer.stride)
    )
    extra: dict[str, Any] = {}
    if record.counted is not None:
        extra = {"op": layer.op, "counted": record.counted}
    if record.separable is not None:
        extra.update(separable_macs=record.separable.macs, separable_params=record.separable.params)
    extra.update(input_shape=list(layer.input), output_shape=list(layer.output))  # shown where not 3 axes
    return {
        **extra,
        "index": index,
        "name": layer.name,
        "kind": layer.kind,
        "input": tuple(layer.input),
        "output": tuple(layer.output),
        "kernel": kernel if "kernel" in fills else None,
        "stride": stride if "stride" in fills else None,
        "padding": layer.padding if isinstance(layer.padding, str) else list(layer.padding),
        "macs": cost.macs,
        "macs_share": share(cost.macs, total_macs),
        "params": cost.params,
        "standard_macs": None if paired else standard.macs,
        "standard_params": None if paired else standard.params,
        "standard_ratio": share(cost.macs + partner_macs, standard.macs) if stands_for_more else None,
        **{key: value for key, value in counts(cost).items() if key not in ("macs", "params")},
    }


def layers_view(network: NetworkCost, show_roofline: bool = False, machine: Machine | None = None) -> View:
    """Every layer's row; ``roofline``: its intensity shown, and with a ``machine`` its roofline time."""
    records, total_macs = network.records, network.totals.macs
    partner = {record.layer.pair: record.cost.macs for record in records if record.layer.pair}
    rows = [
        _layer_row(index, record, partner.get(record.layer.name, 0), total_macs)
        for index, record in enumerate(records, start=1)
    ]
    memory = network.memory
    for position, (row, values, size, working) in enumerate(
        zip(rows, memory.activation_elements, memory.activation_bytes, memory.working_bytes, strict=True)
    ):
        row.update(
            activation_elements=values,
            activation_bytes=size,
            working_bytes=working,
            peak=position == memory.peak_index,
        )
    layers = roofline(network, *(machine or (None, None)))
    for row, layer, record in zip(rows, layers, records, strict=True):
        row["intensity"] = layer.intensity
        row.update(unknown(record.left_out))  # what the totals leave out is not shown as a count
    columns = layer_columns(network)
    if show_roofline:  # what was asked for first: every other column makes room
        columns = tuple(
            column._replace(priority=ALWAYS if column.key == "intensity" else _later(column.priority))
            for column in columns
        )
    notes = []
    if network.uncounted:
        reasons = [record.note for record in records if record.counted is False]
        notes.append(
            f"incomplete: {quantity(len(network.uncounted), 'layer')} not counted ("
            + "; ".join(f"{name}: {note}" for name, note in zip(network.uncounted[:5], reasons, strict=False))
            + ("; ..." if len(reasons) > 5 else "")
            + ")."
        )
    if show_roofline and machine is None:
        notes.append("Give --peak-gflops and --bandwidth-gbs for each layer's roofline time on that machine.")
    if machine is not None:
        estimates = [layer.estimate for layer in layers if layer.estimate is not None]
        total = sum(guess.seconds for guess in estimates)
        for row, guess in zip(rows, estimates, strict=True):
            row.update(
                roofline_s=guess.seconds,
                roofline_share=share(guess.seconds, total),
                roofline_bound=guess.bound,
            )
        columns += ROOFLINE_COLUMNS
        notes += [ROOFLINE_NOTE, _roofline_summary(network, machine, estimates, total)]
    view = View(title(network), columns, rows, notes)
    view.notes.append(
        f"Peak activations ({memory.dtype}, batch 1, one layer at a time): "
        f"{human_bytes(memory.peak_activation_bytes)} while {memory.peak_layer} runs."
    )
    return view


def _roofline_summary(network: NetworkCost, machine: Machine, estimates: list[Any], total: Any) -> str:
    """The estimate's total, and each kind's share of it beside its share of the MACs."""
    by_kind: dict[str, list[Any]] = {}
    for record, guess in zip(network.records, estimates, strict=True):
        entry = by_kind.setdefault(record.layer.kind, [0, 0])
        entry[0] += guess.seconds
        entry[1] += record.cost.macs
    kinds = ", ".join(
        f"{kind} {percent(share(seconds, total))} (of MACs {percent(share(macs, network.macs))})"
        for kind, (seconds, macs) in by_kind.items()
        if macs
    )
    return (
        f"Roofline at {exact_decimal(machine.peak_gflops)} GFLOP/s and "
        f"{exact_decimal(machine.bandwidth_gbs)} GB/s (compute-bound above {float(machine.balance):.3g} "
        f"MACs/byte): {duration(float(total))} in all; by kind: {kinds}."
    )


KIND_SHARES = "shares: of the whole network's (a bar: against the largest kind's)."

BREAKDOWN_COLUMNS = (
    Column("kind", "kind"),
    Column("layers", "layers", Style.NUMBER),
    Column("macs", "MACs", Style.COUNT),
    Column("macs_share", "share of MACs", Style.SHARE, 2, note=KIND_SHARES),
    Column("params", "params", Style.COUNT),
    Column("params_share", "share of params", Style.SHARE, 2, note=KIND_SHARES),
    *(Column(c.key, c.header, c.style, WIDE) for c in COUNT_COLUMNS if c.key not in ("macs", "params")),
)


def breakdown_view(network: NetworkCost) -> View:
    totals = network.totals
    layers = Counter(record.layer.kind for record in network.records)
    left_out: dict[str, set[str]] = {}
    for record in network.records:
        left_out.setdefault(record.layer.kind, set()).update(record.left_out)
    rows = [
        {
            "kind": kind,
            "layers": layers[kind],
            **counts(cost),
            "macs_share": share(cost.macs, totals.macs),
            "params_share": share(cost.params, totals.params),
            **unknown(tuple(left_out[kind])),  # a kind with a layer no formula counts: no count of it
        }
        for kind, cost in network.breakdown().items()
    ]
    columns = labelled(BREAKDOWN_COLUMNS, network.convention)
    return View("By layer kind", columns, rows, layout=Layout.BY_FIRST)


RATIO_COLUMNS = (
    Column("macs_ratio", "MACs: separable / standard", Style.RATIO),
    Column("params_ratio", "params: separable / standard", Style.RATIO),
)


def table_report(network: NetworkCost, show_roofline: bool = False, machine: Machine | None = None) -> Report:
    """``show_roofline``: each layer's arithmetic intensity shown; with a ``machine``, its roofline time."""
    totals, standard = network.totals, network.standard
    layers = layers_view(network, show_roofline or machine is not None, machine)
    summary = network_totals(network)
    conventional = totals_view(
        "As standard convolution (each depthwise + pointwise pair one full convolution)",
        standard,
        RATIO_COLUMNS,
        network.convention,
        macs_ratio=share(totals.macs, standard.macs),
        params_ratio=share(totals.params, standard.params),
    )
    conventional.notes.append(
        f"Depthwise separable vs standard convolution: {percent(share(totals.macs, standard.macs))} "
        f"of the MACs ({human(totals.macs)} vs {human(standard.macs)}), "
        f"{percent(share(totals.params, standard.params))} of the params "
        f"({human(totals.params)} vs {human(standard.params)})."
    )
    breakdown = breakdown_view(network)
    document: dict[str | None, Any] = {
        "model": describe(network),
        "conventions": counting_conventions(network),
        "convention": convention_document(network),
        "totals": summary,
        "standard": conventional,
        "breakdown": breakdown,
        "layers": layers,
    }
    shown = [layers, summary, conventional, breakdown]
    if network.separable is not None:
        document["separable"] = separable = separable_view(network, network.separable)
        shown.insert(3, separable)
    if machine is not None:
        document["roofline"] = {
            "peak_gflops": machine.peak_gflops,
            "bandwidth_gbs": machine.bandwidth_gbs,
            "balance": float(machine.balance),
            "total_s": float(sum(row["roofline_s"] for row in layers.rows)),
            "note": ROOFLINE_NOTE,
        }
    return Report(document, shown)


SEPARABLE_RATIOS = (
    Column("macs_ratio", "MACs: as it is / separable", Style.RATIO),
    Column("params_ratio", "params: as it is / separable", Style.RATIO),
)


def separable_view(network: NetworkCost, separable: Cost) -> View:
    """The network with every standard convolution of more than one tap made depthwise separable."""
    totals = network.totals
    view = totals_view(
        "As depthwise separable (each standard convolution of more than one tap a depthwise + pointwise)",
        separable, SEPARABLE_RATIOS, network.convention,
        macs_ratio=share(totals.macs, separable.macs), params_ratio=share(totals.params, separable.params),
    )  # fmt: skip
    view.notes.append(
        f"As depthwise separable: {percent(share(separable.macs, totals.macs))} of the MACs "
        f"({human(separable.macs)} vs {human(totals.macs)}), "
        f"{percent(share(separable.params, totals.params))} of the params "
        f"({human(separable.params)} vs {human(totals.params)}). The depthwise has no bias; the "
        "pointwise keeps the convolution's; batch-norm and activations after it are unchanged."
    )
    return view
