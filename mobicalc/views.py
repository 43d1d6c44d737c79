"""What each command shows: one view per command, built from engine results.

A ``View`` is a list of column definitions and one row record per item (a
layer, a budget, a part of a comparison), each row a dict keyed by the column
keys. Every output format renders the same views (render.py): the JSON field
names and the CSV headers are the column keys; text and Rich show the columns'
headers, as many columns as the terminal fits, most important first.
A command's ``Report`` places its views in a JSON document and lists the ones a
person reads, in order.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from mobicalc import conventions
from mobicalc.costs import Cost
from mobicalc.design import Configuration, Published, most_accurate
from mobicalc.engine import BudgetVerdict, LayerComparison, LayerRecord, NetworkCost
from mobicalc.formats import exact_decimal, grouped, human, human_bytes, percent, share
from mobicalc.kinds import KINDS
from mobicalc.network import resolution_text
from mobicalc.rounding import Count, exact_count

if TYPE_CHECKING:  # the TensorFlow bridge's result types, named without importing it
    from mobicalc.crosscheck import ModelCheck, Verification


class Style(Enum):
    """How a column's values are written."""

    TEXT = "text"
    COUNT = "count"
    """An exact count: thousands separators for people, every digit for machines."""
    BYTES = "bytes"
    """A size in bytes: as a count, with a short form (``4.817 MB``) where a count has one."""
    NUMBER = "number"
    """A small exact integer (kernel, stride, layer number): no separators."""
    SHAPE = "shape"
    """(height, width, channels): ``112x112x32``; three numeric fields in JSON and CSV."""
    SHARE = "share"
    """A fraction of a whole: a percentage, with a bar on a terminal."""
    RATIO = "ratio"
    VERDICT = "verdict"
    """True or False: a word for people, a boolean for machines."""
    DECIMAL = "decimal"
    """An exact non-integer number (alpha, a published accuracy): every digit, no separators."""
    SHORT = "short"
    """A count in short form for people (149.5M); every digit for machines."""
    SIZE = "size"
    """An input size: a number (square) or [height, width], written ``192x256`` for people."""
    HEAT = "heat"
    """(count, mark) in a grid: the count in short form then the mark; on a colour terminal its
    background is scaled by the count among the view's."""


ALWAYS = 1
WIDE = 9
"""Priority of the columns only ``--wide`` shows."""


@dataclass(frozen=True)
class Column:
    key: str
    """The JSON field and the CSV header."""
    header: str
    """What a person reads above the column."""
    style: Style = Style.TEXT
    priority: int = ALWAYS
    """1 is always shown; the columns with the largest numbers go first when space is short."""
    words: tuple[str, str] = ("", "")
    """For a verdict: how True and False read."""
    note: str = ""
    """What a reader needs to know when this column is shown (a share: of what; a bar: against what)."""


class Layout(Enum):
    ROWS = "rows"
    """JSON: a list of row objects."""
    RECORD = "record"
    """One row: a JSON object; on a terminal, one line per column."""
    BY_FIRST = "by-first"
    """JSON: an object keyed by each row's first column."""
    GRID = "grid"
    """A grid read across: too wide for a terminal, it is cut into blocks of columns, each
    block repeating the always-shown columns (never dropping one)."""


@dataclass
class View:
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layout: Layout = Layout.ROWS


@dataclass
class Report:
    """A command's result: a JSON document (views in place), and the views a person reads."""

    document: dict[str | None, Any]
    """The JSON document; a view under the key None puts its entries at that level."""
    views: list[View]
    csv: View | None = None
    """The view --format csv prints, when it is not the first one a person reads."""


# --- shared pieces ---------------------------------------------------------------------

COUNT_COLUMNS = (
    Column("macs", "MACs (mult-adds)", Style.COUNT),
    Column("flops", "FLOPs (2 x MACs)", Style.COUNT),
    Column("params", "params", Style.COUNT),
    Column("trainable_params", "trainable params", Style.COUNT),
    Column("non_trainable_params", "non-trainable params", Style.COUNT),
    Column("weights", "kernel weights", Style.COUNT, WIDE),
    Column("bias", "bias", Style.COUNT, WIDE),
    Column("batch_norm_trainable", "batch-norm gamma, beta", Style.COUNT, WIDE),
    Column("batch_norm_non_trainable", "batch-norm mean, variance", Style.COUNT, WIDE),
)

CONVENTIONS = {
    "macs": "multiply-accumulates of conv, depthwise, pointwise and dense layers (the papers' mult-adds)",
    "flops": "2 x MACs",
    "params": "every weight Keras counts (model.count_params()): kernels, biases, batch-norm "
    "gamma and beta (trainable) and moving mean and variance (non-trainable)",
}
"""What each count counts: the one copy, for JSON, --help and the docs."""


def labelled(columns: tuple[Column, ...], convention: conventions.Convention) -> tuple[Column, ...]:
    """``columns`` with their FLOPs header saying what FLOPs are under ``convention``.

    Under the default (2 x MACs) the columns are returned as they are, so the usual output is unchanged.
    """
    if convention.flops == conventions.DEFAULT_FLOPS:
        return columns
    header = f"FLOPs ({convention.flops_label})"
    return tuple(replace(column, header=header) if column.key == "flops" else column for column in columns)


def counts(cost: Cost) -> dict[str, Any]:
    return {
        "macs": cost.macs,
        "flops": cost.flops,
        "params": cost.params,
        "trainable_params": cost.trainable_params,
        "non_trainable_params": cost.non_trainable_params,
        "weights": cost.weights,
        "bias": cost.bias,
        "batch_norm_trainable": cost.batch_norm_trainable,
        "batch_norm_non_trainable": cost.batch_norm_non_trainable,
    }


def describe(network: NetworkCost) -> dict[str, Any]:
    settings, architecture, resolution = network.settings, network.architecture, network.resolution
    return {
        "name": architecture.name,
        "table": architecture.path,
        "source": architecture.source,
        "alpha": settings.alpha,
        "resolution": list(resolution) if isinstance(resolution, tuple) else resolution,  # [height, width]
        "height": network.height,
        "width": network.width,
        "input_channels": network.input_channels,
        "depth_multiplier": network.depth_multiplier,
        "classes": network.classes,
        "include_top": settings.include_top,
        "rounding": settings.rounding,
        "dtype": settings.dtype,
    }


def title(network: NetworkCost) -> str:
    model = describe(network)
    if not model["include_top"]:
        top = "no top"
    elif model["classes"] is None:
        top = "no classifier"
    else:
        top = f"{model['classes']} classes"
    convention = network.settings.convention
    channels = model["input_channels"]
    return (
        f"{model['name']} ({model['source']}): alpha {exact_decimal(model['alpha'])}, "
        f"{model['height']}x{model['width']}"
        + (f"x{channels}" if channels != 3 else "")
        + (f", depth multiplier {model['depth_multiplier']}" if model["depth_multiplier"] != 1 else "")
        + f", {top}, rounding {model['rounding']}"
        + (f", convention {convention}" if convention != conventions.DEFAULT else "")
    )


def convention_document(network: NetworkCost) -> dict[str, Any]:
    """The JSON 'convention': the preset's name and every switch it sets, with what each means."""
    return conventions.describe(network.plan.convention)


def counting_conventions(network: NetworkCost) -> dict[str, str]:
    """What each count counts under the network's convention (``CONVENTIONS`` under keras)."""
    return counted(network.plan.convention)


def counted(convention: conventions.Convention) -> dict[str, str]:
    """What each count counts under ``convention`` (``CONVENTIONS`` under keras)."""
    if convention.name == conventions.DEFAULT:
        return CONVENTIONS
    switches = ", ".join(f"{name} {value}" for name, value in convention.switches.items())
    return {
        "macs": CONVENTIONS["macs"],
        "flops": CONVENTIONS["flops"]
        if convention.flops == conventions.DEFAULT_FLOPS
        else convention.flops_meaning,
        "params": f"{convention.name}: {convention.summary} ({switches})",
    }


def totals_view(
    name: str,
    cost: Cost,
    extra: tuple[Column, ...] = (),
    convention: conventions.Convention = conventions.CONVENTIONS[conventions.DEFAULT],
    **values: Any,
) -> View:
    columns = labelled(COUNT_COLUMNS, convention) + extra
    return View(name, columns, [{**counts(cost), **values}], layout=Layout.RECORD)


MEMORY_COLUMNS = (
    Column("dtype", "dtype (bytes per value)"),
    Column("params_bytes", "model size (params x bytes)", Style.BYTES),
    Column("peak_activation_bytes", "peak activations, sequential", Style.BYTES),
    Column("peak_layer", "  at layer"),
    Column("peak_streamed_bytes", "peak activations, streamed", Style.BYTES),
    Column("peak_streamed_layer", "  at", priority=WIDE),
    Column("forward_pass_bytes", "forward/backward pass size", Style.BYTES, WIDE),
    Column("input_bytes", "input image", Style.BYTES, WIDE),
)
"""The memory totals (memory.py), at the settings' dtype and batch 1."""


def memory_totals(network: NetworkCost) -> dict[str, Any]:
    memory = network.memory
    return {
        "dtype": f"{memory.dtype} ({memory.bytes_per_element})",
        "params_bytes": memory.params_bytes,
        "peak_activation_bytes": memory.peak_activation_bytes,
        "peak_layer": memory.peak_layer,
        "peak_streamed_bytes": memory.peak_streamed_bytes,
        "peak_streamed_layer": memory.peak_streamed_layer,
        "forward_pass_bytes": memory.forward_pass_bytes,
        "input_bytes": memory.input_bytes,
    }


def network_totals(network: NetworkCost) -> View:
    """The totals of a network: its counts, then its memory."""
    return totals_view(
        "Totals", network.totals, MEMORY_COLUMNS, network.plan.convention, **memory_totals(network)
    )


# --- table -----------------------------------------------------------------------------

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
)


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


def layers_view(network: NetworkCost) -> View:
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
    view = View(title(network), labelled(LAYER_COLUMNS, network.plan.convention), rows)
    view.notes.append(
        f"Peak activations ({memory.dtype}, batch 1, one layer at a time): "
        f"{human_bytes(memory.peak_activation_bytes)} while {memory.peak_layer} runs."
    )
    return view


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
    columns = labelled(BREAKDOWN_COLUMNS, network.plan.convention)
    return View("By layer kind", columns, rows, layout=Layout.BY_FIRST)


RATIO_COLUMNS = (
    Column("macs_ratio", "MACs: separable / standard", Style.RATIO),
    Column("params_ratio", "params: separable / standard", Style.RATIO),
)


def table_report(network: NetworkCost) -> Report:
    totals, standard = network.totals, network.standard
    layers = layers_view(network)
    summary = network_totals(network)
    conventional = totals_view(
        "As standard convolution (each depthwise + pointwise pair one full convolution)",
        standard,
        RATIO_COLUMNS,
        network.plan.convention,
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
    return Report(document, [layers, summary, conventional, breakdown])


# --- ratio -----------------------------------------------------------------------------

PART_COLUMNS = (
    Column("part", "part"),
    Column("macs_formula", "MACs formula", priority=3),
    Column("macs", "MACs", Style.COUNT),
    Column("flops", "FLOPs", Style.COUNT, WIDE),
    Column("params_formula", "params formula", priority=4),
    Column("params", "params", Style.COUNT, 2),
)


def ratio_report(comparison: LayerComparison, inputs: dict[str, Any], given: dict[str, int]) -> Report:
    """``inputs``: alpha, rho and rounding; ``given``: M, N and Dp before the multipliers."""
    M, N, k, p = (
        exact_decimal(value) for value in (comparison.M, comparison.N, comparison.dk, comparison.dp)
    )
    parts = [
        ("standard", f"Dk·Dk·M·N·Dp·Dp = {k}·{k}·{M}·{N}·{p}·{p}", f"Dk·Dk·M·N = {k}·{k}·{M}·{N}",
         comparison.standard),
        ("depthwise", f"Dk·Dk·M·Dp·Dp = {k}·{k}·{M}·{p}·{p}", f"Dk·Dk·M = {k}·{k}·{M}", comparison.depthwise),
        ("pointwise", f"M·N·Dp·Dp = {M}·{N}·{p}·{p}", f"M·N = {M}·{N}", comparison.pointwise),
        ("separable", "depthwise + pointwise", "depthwise + pointwise", comparison.separable),
    ]  # fmt: skip
    view = View(
        f"Standard vs depthwise separable convolution: M={M}, N={N}, Dk={k}, Dp={p}",
        PART_COLUMNS,
        [
            {
                "part": part,
                "macs_formula": macs_formula,
                "macs": cost.macs,
                "flops": cost.flops,
                "params_formula": params_formula,
                "params": cost.params,
            }
            for part, macs_formula, params_formula, cost in parts
        ],
        layout=Layout.BY_FIRST,
    )
    ratio, closed = comparison.ratio, comparison.closed_form
    view.notes += [
        f"ratio separable / standard = {grouped(comparison.separable.macs)} / "
        f"{grouped(comparison.standard.macs)} = {float(ratio):.3f} ({percent(ratio)}; exactly {ratio})",
        f"closed form 1/N + 1/Dk² = 1/{N} + 1/{comparison.dk * comparison.dk} "
        f"= {float(closed):.3f} (exactly {closed})",
        f"params ratio = {float(comparison.params_ratio):.3f} "
        "(params are kernel weights only, as in paper Table 3)",
    ]
    alpha, rho = inputs["alpha"], inputs["rho"]
    if alpha != 1:
        view.notes.append(
            f"alpha {exact_decimal(alpha)}: M {given['M']} -> {M}, N {given['N']} -> {N} "
            f"(rounding {inputs['rounding']})"
        )
    if rho != 1:
        view.notes.append(
            f"rho {exact_decimal(rho)}: Dp {given['dp']} x {exact_decimal(rho)} = "
            f"{exact_decimal(rho * given['dp'])} -> {comparison.dp} (nearest integer)"
        )
    if comparison.dp == 1:
        view.notes.append("Dp = 1: MACs are per output pixel; give --dp for a whole layer.")
    document: dict[str | None, Any] = {
        "inputs": {**inputs, "M": comparison.M, "N": comparison.N, "dk": comparison.dk, "dp": comparison.dp},
        "conventions": {
            **CONVENTIONS,
            "params": "kernel weights only (no bias, no batch-norm), as paper Table 3",
        },
        None: view,  # each part at the top level: "standard", "depthwise", ...
        "ratio": float(ratio),
        "ratio_exact": str(ratio),
        "params_ratio": float(comparison.params_ratio),
        "closed_form": float(closed),
        "closed_form_exact": str(closed),
    }
    return Report(document, [view])


# --- check -----------------------------------------------------------------------------

BUDGET_COLUMNS = (
    Column("metric", "metric"),
    Column("value", "value", Style.COUNT),
    Column("budget", "budget", Style.COUNT),
    Column("use", "use", Style.SHARE, 2, note="use: the value as a share of its budget."),
    Column("ok", "verdict", Style.VERDICT, words=("within budget", "OVER BUDGET")),
)


def check_report(network: NetworkCost, verdict: BudgetVerdict) -> Report:
    view = View(
        f"Budget: {title(network)}",
        BUDGET_COLUMNS,
        [
            {
                "metric": check.metric,
                "value": check.value,
                "budget": exact_count(check.budget),
                "use": share(check.value, check.budget),
                "ok": check.ok,
            }
            for check in verdict.checks
        ],
        notes=[f"over budget: {', '.join(verdict.over)}" if verdict.over else "all within budget"],
    )
    summary = network_totals(network)
    document: dict[str | None, Any] = {
        "model": describe(network),
        "convention": convention_document(network),
        "ok": verdict.ok,
        "checks": view,
        "totals": summary,
    }
    return Report(document, [view, summary])


# --- verify ----------------------------------------------------------------------------

VERIFY_COLUMNS = (
    Column("name", "layer"),
    Column("kind", "kind", priority=4),
    Column("shape", "shape", Style.SHAPE, 3),
    Column("tf_shape", "TF shape", Style.SHAPE, 3),
    Column("macs", "MACs", Style.COUNT),
    Column("tf_macs", "TF MACs", Style.COUNT),
    Column("params", "params", Style.COUNT, 2),
    Column("tf_params", "TF params", Style.COUNT, 2),
    Column("elements", "activation values", Style.COUNT, 5),
    Column("tf_elements", "TF values", Style.COUNT, 5),
    Column("ok", "", Style.VERDICT, words=("✓", "✗")),
)


def _profiler_note(check: "ModelCheck") -> str:
    """One line relating the TF profiler's total to MACs, because users compare against it."""
    if check.profiler_flops is None or check.tf_totals is None:
        return ""
    flops = 2 * check.tf_totals["macs"]
    return (
        f"TF profiler float_operation(): {grouped(check.profiler_flops)} = 2 x MACs ({grouped(flops)}) "
        f"+ {grouped(check.profiler_flops - flops)} elementwise ops "
        "(batch-norm, pooling, softmax, bias adds)"
    )


SKIPPED_COLUMNS = (Column("check", "check"), Column("result", "result"))


def verify_summary(verification: "Verification") -> str:
    """The verdict in one line, naming every check that did not run and why."""
    skipped = verification.skipped
    ran = len(verification.checks) - len(skipped)
    parts = [f"{ran} of {len(verification.checks)} checks ran"]
    parts += [f"{check.model} skipped: {check.skipped}" for check in skipped]
    return f"{'ok' if verification.ok else 'DIFFERS'} ({'; '.join(parts)})"


def _check_view(check: "ModelCheck", heading: str) -> View:
    view = View(
        f"{check.model}: {heading}",
        VERIFY_COLUMNS,
        [
            {
                "name": layer.name,
                "kind": layer.kind,
                "shape": layer.engine_shape,
                "tf_shape": layer.tf_shape,
                "macs": layer.engine_macs,
                "tf_macs": layer.tf_macs,
                "params": layer.engine_params,
                "tf_params": layer.tf_params,
                "elements": layer.engine_elements,
                "tf_elements": layer.tf_elements,
                "ok": layer.ok,
            }
            for layer in check.layers
        ],
    )
    if check.skipped:
        return View(
            view.title, SKIPPED_COLUMNS, [{"check": check.model, "result": f"skipped: {check.skipped}"}]
        )
    assert check.engine_totals is not None and check.tf_totals is not None
    for key in ("macs", "params", "trainable_params", "non_trainable_params", "flops"):
        if key not in check.engine_totals:
            continue
        engine, tensorflow = check.engine_totals[key], check.tf_totals[key]
        mark = "✓" if engine == tensorflow else "✗"
        view.notes.append(f"{mark} {key}: engine {grouped(engine)}, TensorFlow {grouped(tensorflow)}")
    sized = [layer for layer in check.layers if layer.tf_elements is not None]
    same_size = all(layer.engine_elements == layer.tf_elements for layer in sized)
    view.notes.append(
        f"{'✓' if same_size else '✗'} activation values (the memory figures' unit): "
        f"{sum(layer.engine_elements == layer.tf_elements for layer in sized)} of {len(sized)} layers "
        "as TensorFlow's output tensors"
    )
    differing = [layer.name for layer in check.layers if not layer.ok]
    view.notes.append(
        f"✗ differs: {', '.join(differing)}"
        if differing
        else ("✓ all agree" if check.ok else "✗ totals differ")
    )
    if note := _profiler_note(check):
        view.notes.append(note)
    return view


def verify_report(verification: "Verification") -> Report:
    heading = title(verification.network)
    views = [_check_view(check, heading) for check in verification.checks]
    checks: list[Mapping[str, Any]] = [
        {
            "model": check.model,
            "ok": check.ok,
            "skipped": check.skipped,
            "engine_totals": check.engine_totals,
            "tensorflow_totals": check.tf_totals,
            "profiler_flops": check.profiler_flops,
            "profiler_note": _profiler_note(check),
            "layers": [] if check.skipped else view,
        }
        for check, view in zip(verification.checks, views, strict=True)
    ]
    summary = verify_summary(verification)
    views[-1].notes += [""] * bool(views[-1].notes) + [summary]
    document: dict[str | None, Any] = {
        "model": describe(verification.network),
        "convention": convention_document(verification.network),
        "ok": verification.ok,
        "summary": summary,
        "skipped": [{"model": check.model, "reason": check.skipped} for check in verification.skipped],
        "checks": checks,
    }
    return Report(document, views)


# --- sweep -----------------------------------------------------------------------------

SWEEP_COLUMNS = (
    Column("alpha", "alpha", Style.DECIMAL),
    Column("resolution", "resolution", Style.SIZE),
    Column("height", "height", Style.NUMBER, WIDE),
    Column("width", "width", Style.NUMBER, WIDE),
    Column("macs", "MACs", Style.COUNT),
    Column("flops", "FLOPs", Style.COUNT, 3),
    Column("params", "params", Style.COUNT),
    Column("top1", "top-1 %", Style.DECIMAL, 2),
    Column("frontier", "frontier", Style.VERDICT, 2, words=("yes", "no")),
    Column("model", "model", priority=WIDE),
    Column("classes", "classes", Style.NUMBER, WIDE),
    Column("include_top", "top", Style.VERDICT, WIDE, words=("yes", "no")),
    Column("rounding", "rounding", priority=WIDE),
)

FRONTIER_NOTE = (
    "frontier: within budget, and no other configuration within budget has at least as much alpha "
    "and resolution for no more MACs and no more params."
)


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep asked and found, for its views: the model, the grid, the budgets, the verdicts."""

    model: dict[str, Any]
    """``name``, ``table``, ``source``, ``classes``, ``include_top``, ``rounding``."""
    alphas: list[Any]
    resolutions: list[Any]
    """Numbers (square) or (height, width) pairs."""
    budgets: dict[str, Any]
    configurations: list[Configuration]
    """Those within budget (all, without budgets), in sweep order."""
    swept: int
    """How many configurations were costed."""
    published: Published | None
    no_accuracy: str
    """Why no published accuracy applies, when none does."""
    notes: list[str] = field(default_factory=list)
    """What a reader should know about the values swept (a range that stops short of its stop)."""
    convention: conventions.Convention = conventions.CONVENTIONS[conventions.DEFAULT]
    """How params and FLOPs were counted."""


def _best(summary: SweepSummary) -> dict[str, Any] | None:
    best = most_accurate(summary.configurations)
    if best is None:
        return None
    return {
        "alpha": best.alpha,
        "resolution": best.resolution,
        "macs": best.totals.macs,
        "params": best.totals.params,
        "top1": best.top1,
    }


def _sweep_title(summary: SweepSummary) -> str:
    model = summary.model
    top = (
        "no top"
        if not model["include_top"]
        else ("no classifier" if model["classes"] is None else f"{model['classes']} classes")
    )
    convention = summary.convention.name
    return f"{model['name']} ({model['source']}): {top}, rounding {model['rounding']}" + (
        f", convention {convention}" if convention != conventions.DEFAULT else ""
    )


def _budget_text(budgets: dict[str, Any]) -> str:
    names = {
        "macs": "MACs",
        "flops": "FLOPs",
        "params": "params",
        "peak_activation_bytes": "peak memory (bytes)",
        "peak_streamed_bytes": "streamed peak memory (bytes)",
        "params_bytes": "model size (bytes)",
    }
    return ", ".join(f"{names[metric]} <= {grouped(limit)}" for metric, limit in budgets.items())


def _size_text(size: Any) -> str:
    """A square size as its number, another as HEIGHTxWIDTH."""
    return str(size) if isinstance(size, int) else resolution_text(size)


def _size_fields(size: Any) -> dict[str, Any]:
    """A configuration's size for its row: as given (a number, or [height, width]) and per side."""
    height, width = (size, size) if isinstance(size, int) else size
    given = size if isinstance(size, int) else [height, width]
    return {"resolution": given, "height": height, "width": width}


def sweep_grid_view(summary: SweepSummary) -> View:
    """MACs as a grid, alphas down and resolutions across, for people; only what is within budget."""
    # Cells by position: a Fraction hashes slowly, and a grid may have a million cells.
    alpha_at = {alpha: index for index, alpha in enumerate(summary.alphas)}
    resolution_at = {resolution: index for index, resolution in enumerate(summary.resolutions)}
    released = summary.published.top1 if summary.published is not None else {}
    cells: dict[tuple[int, int], Configuration] = {
        (alpha_at[c.alpha], resolution_at[c.resolution]): c for c in summary.configurations
    }

    def key(resolution: Any) -> str:
        return f"r{resolution_text(resolution)}"

    rows_used = sorted({a for a, _ in cells})
    columns_used = sorted({r for _, r in cells})
    columns = (
        Column("alpha", "alpha", Style.DECIMAL),
        Column("params", "params", Style.SHORT, 2),
        *(
            Column(key(summary.resolutions[r]), _size_text(summary.resolutions[r]), Style.HEAT, 2)
            for r in columns_used
        ),
    )
    rows = []
    for a in rows_used:
        alpha = summary.alphas[a]
        row: dict[str, Any] = {"alpha": alpha}
        for r in columns_used:
            configuration = cells.get((a, r))
            if configuration is None:
                continue
            resolution = summary.resolutions[r]
            row["params"] = configuration.totals.params
            mark = ("*" if (alpha, resolution) in released else "") + ("" if configuration.frontier else "~")
            row[key(resolution)] = (configuration.totals.macs, mark)
        rows.append(row)
    title = f"MACs, alpha x resolution: {_sweep_title(summary)}"
    view = View(title, columns, rows, notes=list(summary.notes), layout=Layout.GRID)
    kept, swept = len(summary.configurations), summary.swept
    if summary.budgets:
        view.notes.append(
            f"{kept:,} of {swept:,} configurations within budget ({_budget_text(summary.budgets)}); "
            "the others are left out."
        )
    else:
        view.notes.append(
            f"{swept:,} configurations. FLOPs = {summary.convention.flops_label}; "
            "params do not depend on resolution."
        )
    if any(not c.frontier for c in summary.configurations):
        view.notes.append(
            "~: not on the frontier (a configuration with at least as much alpha and resolution "
            "costs no more MACs and params)."
        )
    if released and any(c.top1 is not None for c in summary.configurations):
        view.notes.append("*: a released checkpoint (its top-1 is listed below).")
    if not summary.configurations:
        view.notes.append("No configuration is within budget.")
    return view


RELEASED_COLUMNS = (
    Column("alpha", "alpha", Style.DECIMAL),
    Column("resolution", "resolution", Style.NUMBER),
    Column("macs", "MACs", Style.COUNT),
    Column("params", "params", Style.COUNT, 2),
    Column("top1", "top-1 %", Style.DECIMAL),
    Column("frontier", "frontier", Style.VERDICT, 3, words=("yes", "no")),
)


def _released_view(summary: SweepSummary) -> View | None:
    """The released checkpoints among the configurations within budget, most accurate first."""
    published = summary.published
    if published is None:
        return None
    rated = sorted(
        (c for c in summary.configurations if c.top1 is not None),
        key=lambda c: (-(c.top1 or 0), c.totals.macs),
    )
    rows = [
        {
            "alpha": c.alpha,
            "resolution": c.resolution,
            "macs": c.totals.macs,
            "params": c.totals.params,
            "top1": c.top1,
            "frontier": c.frontier,
        }
        for c in rated
    ]
    within = " within budget" if summary.budgets else ""
    view = View(f"Released {published.model} checkpoints{within}, by published top-1", RELEASED_COLUMNS, rows)
    if rated:
        best = rated[0]
        view.notes.append(
            f"Most accurate released configuration{within}: {published.model} alpha "
            f"{exact_decimal(best.alpha)}, {best.resolution}x{best.resolution}, top-1 "
            f"{exact_decimal(best.top1 or 0)}% at {human(best.totals.macs)} MACs, "
            f"{human(best.totals.params)} params."
        )
    else:
        view.notes.append(f"No released checkpoint among these configurations{within}.")
    view.notes.append(f"top-1: {published.metric}; source: {published.citation}.")
    view.notes.append(
        "MACs and params here are mobicalc's (keras.applications' layers, 1000 classes unless --classes); "
        "the checkpoints' READMEs count 1001 classes."
        if summary.convention.name == conventions.DEFAULT
        else f"MACs and params here are mobicalc's, counted under convention {summary.convention.name}: "
        f"{summary.convention.summary}."
    )
    return view


def _configuration_row(configuration: Configuration, model: dict[str, Any]) -> dict[str, Any]:
    totals = configuration.totals
    return {
        "alpha": configuration.alpha,
        **_size_fields(configuration.resolution),
        "macs": totals.macs,
        "flops": totals.flops,
        "params": totals.params,
        "top1": configuration.top1,
        "frontier": configuration.frontier,
        "model": model["name"],
        "classes": model["classes"],
        "include_top": model["include_top"],
        "rounding": model["rounding"],
    }


def sweep_report(summary: SweepSummary) -> Report:
    """A sweep: every configuration within budget for machines; a heat map and the releases for people."""
    configurations = View(
        f"Configurations: {_sweep_title(summary)}",
        labelled(SWEEP_COLUMNS, summary.convention),
        [_configuration_row(configuration, summary.model) for configuration in summary.configurations],
        notes=[FRONTIER_NOTE],
    )
    published = summary.published
    grid = sweep_grid_view(summary)
    if published is None:
        grid.notes.append(summary.no_accuracy + ".")
    views = [grid]
    if (released := _released_view(summary)) is not None:
        views.append(released)
    document: dict[str | None, Any] = {
        "model": summary.model,
        "conventions": counted(summary.convention),
        "convention": conventions.describe(summary.convention),
        "alphas": summary.alphas,
        "resolutions": [_size_fields(size)["resolution"] for size in summary.resolutions],
        "notes": summary.notes,
        "budgets": {metric: exact_count(limit) for metric, limit in summary.budgets.items()},
        "ok": bool(summary.configurations),
        "swept": summary.swept,
        "within_budget": len(summary.configurations),
        "best_published": _best(summary),
        "accuracy_source": None
        if published is None
        else {"model": published.model, "source": published.source, "url": published.url,
              "metric": published.metric},
        "configurations": configurations,
    }  # fmt: skip
    return Report(document, views, csv=configurations)


# --- reproduce -------------------------------------------------------------------------

FIGURE_COLUMNS = (
    Column("source", "source", priority=WIDE),
    Column("table", "table", priority=2),
    Column("row", "figure"),
    Column("metric", "metric", priority=5),
    Column("published", "published"),
    Column("mobicalc", "mobicalc"),
    Column("mobicalc_exact", "mobicalc exact", priority=WIDE),
    Column("verdict", "verdict"),
    Column("convention", "convention", priority=3),
    Column("rounding", "source's rounding", priority=4),
    Column("command", "command", priority=WIDE),
    Column("ok", "ok", Style.VERDICT, WIDE, words=("✓", "✗")),
    Column("why", "why", priority=WIDE),
    Column("checked", "checked against", priority=WIDE),
)


def reproduce_report(results: list[Any], documents: Mapping[str, str]) -> Report:
    """``results``: figures.Result, one per published figure; ``documents``: each source's citation."""
    from mobicalc.figures import shown

    rows_by_source: dict[str, list[dict[str, Any]]] = {}
    notes_by_source: dict[str, list[str]] = {}
    for result in results:
        figure = result.figure
        unit = "" if figure.unit == 1 else figure.unit
        value = None if result.value is None else shown(result.value, figure)
        verdict = result.verdict if result.ok else f"{result.verdict} (UNEXPECTED)"
        rows_by_source.setdefault(figure.source, []).append(
            {
                "source": figure.source,
                "table": figure.table,
                "row": figure.row,
                "metric": figure.metric,
                "published": f"{figure.value}{unit}",
                "mobicalc": "-" if result.rounded is None else f"{exact_decimal(result.rounded)}{unit}",
                "mobicalc_exact": value,
                "verdict": verdict,
                "convention": figure.convention if figure.command != "ratio" else "paper",
                "rounding": figure.rounding_text,
                "command": None if figure.expect == "out of scope" else figure.cli(),
                "ok": result.ok,
                "why": figure.why or None,
                "checked": figure.checked or None,
            }
        )
        if figure.why or not result.ok:
            exact = f" (mobicalc: {value})" if value is not None else ""
            notes_by_source.setdefault(figure.source, []).append(
                f"{figure.table}, {figure.row}: {verdict}{exact}. {figure.why}".rstrip()
            )
    views = [
        View(f"{source}: {documents[source]}", FIGURE_COLUMNS, rows, notes_by_source.get(source, []))
        for source, rows in rows_by_source.items()
    ]
    counts = Counter(result.verdict for result in results)
    failed = [result for result in results if not result.ok]
    summary = {
        "figures": len(results),
        "reproduced": counts["exact"] + counts["within rounding"],
        "exact": counts["exact"],
        "within_rounding": counts["within rounding"],
        "explained": counts["explained"],
        "not_reproducible": counts["not reproducible"],
        "out_of_scope": counts["out of scope"],
        "unexpected": len(failed),
    }
    line = (
        f"{summary['figures']} figures: {summary['reproduced']} reproduced ({summary['exact']} exact, "
        f"{summary['within_rounding']} within the source's rounding), {summary['explained']} explained, "
        f"{summary['not_reproducible']} not reproducible, "
        f"{summary['out_of_scope']} out of scope" + (f"; {len(failed)} UNEXPECTED" if failed else "")
    )
    if views:
        views[-1].notes += [""] * bool(views[-1].notes) + [line]
    document: dict[str | None, Any] = {
        "ok": not failed,
        "summary": summary,
        "sources": dict(documents),
        "figures": View("figures", FIGURE_COLUMNS, [row for view in views for row in view.rows]),
    }
    return Report(document, views)
