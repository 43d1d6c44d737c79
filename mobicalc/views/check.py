"""``mobicalc check``: each budget, its use and its verdict; then the totals."""

from typing import Any

from mobicalc.count.budgets import BudgetVerdict
from mobicalc.count.network import NetworkCost
from mobicalc.model.rounding import exact_count
from mobicalc.numbers import share
from mobicalc.views.common import convention_document, describe, network_totals, title
from mobicalc.views.model import Column, Report, Style, View

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
        notes=[f"over budget: {', '.join(verdict.over)}"] if verdict.over else [],
    )
    if verdict.uncounted:  # the rows say what is counted; the verdict cannot say more
        view.notes.append(
            f"incomplete: not counted: {', '.join(verdict.uncounted[:5])}"
            + (", ..." if len(verdict.uncounted) > 5 else "")
            + "; so no budget is proved "
            "(--allow-uncounted checks the counted layers alone)"
        )
    elif not verdict.over:
        view.notes.append("all within budget")
    summary = network_totals(network)
    document: dict[str | None, Any] = {
        "model": describe(network),
        "convention": convention_document(network),
        "ok": verdict.ok,
        "checks": view,
        "totals": summary,
    }
    return Report(document, [view, summary])
