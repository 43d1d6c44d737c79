"""``mobicalc table``: every layer, its share, its standard-convolution counterpart; totals; breakdown."""

from collections import Counter
from typing import Any

from mobicalc.count.network import LayerRecord, NetworkCost
from mobicalc.count.roofline import Machine, roofline
from mobicalc.model.kinds import KINDS
from mobicalc.model.rounding import Count
from mobicalc.numbers import duration, exact_decimal, human, human_bytes, percent, share
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
    Column("name", "layer"),
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


def _layer_row(index: int, record: LayerRecord, partner_macs: Count, total_macs: Count) -> dict[str, Any]:
    """One layer's row; ``partner_macs``: the MACs of the pointwise layer that completes it, if any."""
    layer, cost, standard = record.layer, record.cost, record.standard
    fills = KINDS[layer.kind].columns
    paired = layer.pair is not None  # a pair's pointwise half: the pair's standard is on the depthwise row
    # A layer that stands for a standard convolution other than itself has a ratio: separable / standard.
    stands_for_more = standard != cost and standard.macs
    return {
        "index": index,
        "name": layer.name,
        "kind": layer.kind,
        "input": tuple(layer.input),
        "output": tuple(layer.output),
        "kernel": layer.kernel if "kernel" in fills else None,
        "stride": layer.stride if "stride" in fills else None,
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
    for row, layer in zip(rows, layers, strict=True):
        row["intensity"] = layer.intensity
    columns = labelled(LAYER_COLUMNS, network.convention)
    if show_roofline:  # what was asked for first: every other column makes room
        columns = tuple(
            column._replace(priority=ALWAYS if column.key == "intensity" else _later(column.priority))
            for column in columns
        )
    notes = []
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
    rows = [
        {
            "kind": kind,
            "layers": layers[kind],
            **counts(cost),
            "macs_share": share(cost.macs, totals.macs),
            "params_share": share(cost.params, totals.params),
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
    if machine is not None:
        document["roofline"] = {
            "peak_gflops": machine.peak_gflops,
            "bandwidth_gbs": machine.bandwidth_gbs,
            "balance": float(machine.balance),
            "total_s": float(sum(row["roofline_s"] for row in layers.rows)),
            "note": ROOFLINE_NOTE,
        }
    return Report(document, [layers, summary, conventional, breakdown])
