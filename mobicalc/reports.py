"""What each command shows: engine results as sheets (for table, Markdown, CSV)
and as JSON documents (the stable contract described in docs/json.md)."""

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from mobicalc.costs import Cost
from mobicalc.engine import LayerComparison, NetworkCost
from mobicalc.present import Column, Sheet, exact_decimal, grouped, human, percent, share
from mobicalc.rounding import exact_count

if TYPE_CHECKING:  # the TensorFlow bridge's result types, named without importing it
    from mobicalc.crosscheck import ModelCheck, Verification

CONVENTIONS = {
    "macs": "multiply-accumulates of conv, depthwise, pointwise and dense layers (the papers' mult-adds)",
    "flops": "2 x macs",
    "params": "every weight Keras counts: kernels, biases, batch-norm gamma/beta/moving mean/variance",
}


def _counts(cost: Cost) -> dict[str, Any]:
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


def _kernel(layer) -> str:
    if layer.kind in ("conv", "pointwise", "depthwise"):
        return f"{layer.kernel}x{layer.kernel}/s{layer.stride}"
    return ""


def _shape(shape: Any) -> str:
    return "" if shape is None else "x".join(exact_decimal(size) for size in shape)


def describe(network: NetworkCost) -> dict[str, Any]:
    settings, architecture = network.settings, network.architecture
    return {
        "name": architecture.name,
        "table": architecture.path,
        "source": architecture.source,
        "alpha": settings.alpha,
        "resolution": network.resolution,
        "classes": network.classes,
        "include_top": settings.include_top,
        "rounding": settings.rounding,
    }


def title(network: NetworkCost) -> str:
    model = describe(network)
    if not model["include_top"]:
        classes = "no top"
    elif model["classes"] is None:  # a table without a classifier row
        classes = "no classifier"
    else:
        classes = f"{model['classes']} classes"
    return (
        f"{model['name']} ({model['source']}): alpha {exact_decimal(model['alpha'])}, "
        f"{model['resolution']}x{model['resolution']}, {classes}, rounding {model['rounding']}"
    )


def table_document(network: NetworkCost) -> dict[str, Any]:
    totals, standard = network.totals, network.standard
    return {
        "model": describe(network),
        "conventions": CONVENTIONS,
        "totals": _counts(totals),
        "standard": {
            **_counts(standard),
            "macs_ratio": float(share(totals.macs, standard.macs)),
            "params_ratio": float(share(totals.params, standard.params)),
        },
        "breakdown": {
            kind: {
                **_counts(cost),
                "macs_share": float(share(cost.macs, totals.macs)),
                "params_share": float(share(cost.params, totals.params)),
            }
            for kind, cost in network.breakdown().items()
        },
        "layers": [
            {
                "name": record.layer.name,
                "kind": record.layer.kind,
                "input": list(record.layer.input),
                "output": list(record.layer.output),
                "kernel": record.layer.kernel,
                "stride": record.layer.stride,
                "padding": record.layer.padding
                if isinstance(record.layer.padding, str)
                else list(record.layer.padding),
                **_counts(record.cost),
                "macs_share": float(share(record.cost.macs, totals.macs)),
                "standard": {"macs": record.standard.macs, "params": record.standard.params},
            }
            for record in network.records
        ],
    }


def table_sheets(network: NetworkCost) -> list[Sheet]:
    totals, standard = network.totals, network.standard
    layers = Sheet(
        title(network),
        [
            Column("#"),
            Column("layer"),
            Column("kind"),
            Column("input -> output"),
            Column("kernel"),
            Column("MACs", "count"),
            Column("params", "count"),
            Column("share of MACs", "share"),
            Column("as standard conv: MACs", "count"),
            Column("std params", "count"),
        ],
    )
    for index, record in enumerate(network.records, start=1):
        layer = record.layer
        paired = layer.pair is not None
        layers.rows.append(
            [
                index,
                layer.name,
                layer.kind,
                f"{_shape(layer.input)} -> {_shape(layer.output)}",
                _kernel(layer),
                record.cost.macs,
                record.cost.params,
                share(record.cost.macs, totals.macs),
                None if paired else record.standard.macs,
                None if paired else record.standard.params,
            ]
        )
    layers.notes.append(
        "Standard columns: each depthwise + pointwise pair as one full convolution "
        "(shown on the depthwise row)."
    )
    summary = Sheet(
        "Totals",
        [Column("count"), Column("exact", "count"), Column("short"), Column("standard conv", "count")],
        rows=[
            ["MACs (mult-adds)", totals.macs, human(totals.macs), standard.macs],
            ["FLOPs (2 x MACs)", totals.flops, human(totals.flops), standard.flops],
            ["params", totals.params, human(totals.params), standard.params],
            ["trainable params", totals.trainable_params, human(totals.trainable_params), None],
            ["non-trainable params", totals.non_trainable_params, human(totals.non_trainable_params), None],
        ],
        notes=[
            f"Depthwise separable vs standard convolution: {percent(share(totals.macs, standard.macs))} "
            f"of the MACs ({human(totals.macs)} vs {human(standard.macs)}), "
            f"{percent(share(totals.params, standard.params))} of the params "
            f"({human(totals.params)} vs {human(standard.params)})."
        ],
    )
    breakdown = Sheet(
        "By layer kind",
        [
            Column("kind"),
            Column("layers", "count"),
            Column("MACs", "count"),
            Column("share of MACs", "share"),
            Column("params", "count"),
            Column("share of params", "share"),
        ],
    )
    for kind, cost in network.breakdown().items():
        count = sum(1 for record in network.records if record.layer.kind == kind)
        breakdown.rows.append(
            [
                kind,
                count,
                cost.macs,
                share(cost.macs, totals.macs),
                cost.params,
                share(cost.params, totals.params),
            ]
        )
    return [layers, summary, breakdown]


def _formula_parts(comparison: LayerComparison) -> list[tuple[str, str, str, Cost]]:
    M, N, k, p = (
        exact_decimal(value) for value in (comparison.M, comparison.N, comparison.dk, comparison.dp)
    )
    return [
        (
            "standard",
            f"Dk·Dk·M·N·Dp·Dp = {k}·{k}·{M}·{N}·{p}·{p}",
            f"Dk·Dk·M·N = {k}·{k}·{M}·{N}",
            comparison.standard,
        ),
        ("depthwise", f"Dk·Dk·M·Dp·Dp = {k}·{k}·{M}·{p}·{p}", f"Dk·Dk·M = {k}·{k}·{M}", comparison.depthwise),
        ("pointwise", f"M·N·Dp·Dp = {M}·{N}·{p}·{p}", f"M·N = {M}·{N}", comparison.pointwise),
        ("separable", "depthwise + pointwise", "depthwise + pointwise", comparison.separable),
    ]


def ratio_document(comparison: LayerComparison, inputs: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "inputs": {**inputs, "M": comparison.M, "N": comparison.N, "dk": comparison.dk, "dp": comparison.dp},
        "conventions": {
            **CONVENTIONS,
            "params": "kernel weights only (no bias, no batch-norm), as paper Table 3",
        },
    }
    for part, macs_formula, params_formula, cost in _formula_parts(comparison):
        document[part] = {
            "macs": cost.macs,
            "flops": cost.flops,
            "params": cost.params,
            "macs_formula": macs_formula,
            "params_formula": params_formula,
        }
    document.update(
        ratio=float(comparison.ratio),
        ratio_exact=str(comparison.ratio),
        params_ratio=float(comparison.params_ratio),
        closed_form=float(comparison.closed_form),
        closed_form_exact=str(comparison.closed_form),
    )
    return document


def ratio_sheets(comparison: LayerComparison, inputs: dict[str, Any], given: dict[str, int]) -> list[Sheet]:
    """``inputs``: alpha, rho and rounding; ``given``: M, N and Dp before the multipliers."""
    sheet = Sheet(
        f"Standard vs depthwise separable convolution: M={exact_decimal(comparison.M)}, "
        f"N={exact_decimal(comparison.N)}, Dk={comparison.dk}, Dp={comparison.dp}",
        [
            Column("part"),
            Column("MACs formula"),
            Column("MACs", "count"),
            Column("params formula"),
            Column("params", "count"),
        ],
    )
    for part, macs_formula, params_formula, cost in _formula_parts(comparison):
        sheet.rows.append([part, macs_formula, cost.macs, params_formula, cost.params])
    ratio, closed = comparison.ratio, comparison.closed_form
    sheet.notes += [
        f"ratio separable / standard = {grouped(comparison.separable.macs)} / "
        f"{grouped(comparison.standard.macs)} = {float(ratio):.3f} ({percent(ratio)}; exactly {ratio})",
        f"closed form 1/N + 1/Dk² = 1/{exact_decimal(comparison.N)} + 1/{comparison.dk * comparison.dk} "
        f"= {float(closed):.3f} (exactly {closed})",
        f"params ratio = {float(comparison.params_ratio):.3f} "
        "(params are kernel weights only, as in paper Table 3)",
    ]
    alpha, rho = inputs["alpha"], inputs["rho"]
    if alpha != 1:
        sheet.notes.append(
            f"alpha {exact_decimal(alpha)}: M {given['M']} -> {exact_decimal(comparison.M)}, "
            f"N {given['N']} -> {exact_decimal(comparison.N)} (rounding {inputs['rounding']})"
        )
    if rho != 1:
        sheet.notes.append(
            f"rho {exact_decimal(rho)}: Dp {given['dp']} x {exact_decimal(rho)} = "
            f"{exact_decimal(rho * given['dp'])} -> {comparison.dp} (nearest integer)"
        )
    if comparison.dp == 1:
        sheet.notes.append("Dp = 1: MACs are per output pixel; give --dp for a whole layer.")
    return [sheet]


def _budget_rows(network: NetworkCost, budgets: dict[str, Fraction]) -> list[dict[str, Any]]:
    totals = network.totals
    values = {"macs": totals.macs, "flops": totals.flops, "params": totals.params}
    return [
        {
            "metric": metric,
            "value": values[metric],
            "budget": exact_count(limit),
            "ok": values[metric] <= limit,
        }
        for metric, limit in budgets.items()
    ]


def budget_document(network: NetworkCost, budgets: dict[str, Fraction]) -> dict[str, Any]:
    checks = _budget_rows(network, budgets)
    return {
        "model": describe(network),
        "ok": all(check["ok"] for check in checks),
        "checks": checks,
        "totals": _counts(network.totals),
    }


def budget_sheets(network: NetworkCost, budgets: dict[str, Fraction]) -> list[Sheet]:
    checks = _budget_rows(network, budgets)
    sheet = Sheet(
        f"Budget: {title(network)}",
        [Column("metric"), Column("value", "count"), Column("budget", "count"), Column("use", "percent"),
         Column("verdict")],
    )  # fmt: skip
    for check in checks:
        verdict = "within budget" if check["ok"] else "OVER BUDGET"
        sheet.rows.append(
            [
                check["metric"],
                check["value"],
                check["budget"],
                share(check["value"], check["budget"]),
                verdict,
            ]
        )
    over = [check["metric"] for check in checks if not check["ok"]]
    sheet.notes.append(f"over budget: {', '.join(over)}" if over else "all within budget")
    return [sheet]


def _verification_note(check: "ModelCheck") -> str:
    """One line relating the TF profiler's total to MACs, because users compare against it."""
    if check.profiler_flops is None:
        return ""
    flops = 2 * check.tf_totals["macs"]
    return (
        f"TF profiler float_operation(): {grouped(check.profiler_flops)} = 2 x MACs ({grouped(flops)}) "
        f"+ {grouped(check.profiler_flops - flops)} elementwise ops "
        "(batch-norm, pooling, softmax, bias adds)"
    )


def verify_document(verification: "Verification") -> dict[str, Any]:
    return {
        "model": describe(verification.network),
        "ok": verification.ok,
        "checks": [
            {
                "model": check.model,
                "ok": check.ok,
                "skipped": check.skipped,
                "engine_totals": check.engine_totals,
                "tensorflow_totals": check.tf_totals,
                "profiler_flops": check.profiler_flops,
                "profiler_note": _verification_note(check),
                "layers": [
                    {
                        "name": layer.name,
                        "kind": layer.kind,
                        "ok": layer.ok,
                        "engine": {
                            "macs": layer.engine_macs,
                            "params": layer.engine_params,
                            "shape": layer.engine_shape,
                        },
                        "tensorflow": {
                            "macs": layer.tf_macs,
                            "params": layer.tf_params,
                            "shape": layer.tf_shape,
                        },
                    }
                    for layer in check.layers
                ],
            }
            for check in verification.checks
        ],
    }


def verify_sheets(verification: "Verification") -> list[Sheet]:
    sheets = []
    for check in verification.checks:
        sheet = Sheet(
            f"{check.model}: {title(verification.network)}",
            [Column("layer"), Column("kind"), Column("shape"), Column("TF shape"), Column("MACs", "count"),
             Column("TF MACs", "count"), Column("params", "count"), Column("TF params", "count"), Column("")],
        )  # fmt: skip
        if check.skipped:
            sheet.notes.append(f"skipped: {check.skipped}")
            sheets.append(sheet)
            continue
        for layer in check.layers:
            sheet.rows.append(
                [layer.name, layer.kind, _shape(layer.engine_shape), _shape(layer.tf_shape),
                 layer.engine_macs, layer.tf_macs, layer.engine_params, layer.tf_params,
                 "✓" if layer.ok else "✗"]
            )  # fmt: skip
        for key in ("macs", "params", "trainable_params", "non_trainable_params"):
            engine, tensorflow = check.engine_totals[key], check.tf_totals[key]
            mark = "✓" if engine == tensorflow else "✗"
            sheet.notes.append(f"{mark} {key}: engine {grouped(engine)}, TensorFlow {grouped(tensorflow)}")
        differing = [layer.name for layer in check.layers if not layer.ok]
        sheet.notes.append(
            f"✗ differs: {', '.join(differing)}"
            if differing
            else f"{'✓ all agree' if check.ok else '✗ totals differ'}"
        )
        if note := _verification_note(check):
            sheet.notes.append(note)
        sheets.append(sheet)
    return sheets
