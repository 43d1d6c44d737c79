"""``mobicalc ratio``: one layer as standard and as depthwise separable convolution (paper Table 3)."""

from typing import Any

from mobicalc.count.layer import LayerComparison
from mobicalc.numbers import exact_decimal, grouped, percent
from mobicalc.views.common import COUNT_MEANINGS
from mobicalc.views.model import WIDE, Column, Layout, Report, Style, View

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
            **COUNT_MEANINGS,
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
