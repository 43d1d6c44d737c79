"""Budgets: limits on a network's counts and memory, and the verdict on them (inclusive)."""

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, NamedTuple

from mobicalc.count import arguments
from mobicalc.count.costs import Cost
from mobicalc.count.memory import Memory
from mobicalc.errors import NetworkError
from mobicalc.model.rounding import Count

MEMORY_METRICS = ("params_bytes", "peak_activation_bytes", "peak_streamed_bytes")
"""What a budget can limit in bytes: attributes of a Memory."""

METRICS = ("macs", "flops", "params", *MEMORY_METRICS)
"""What a budget can limit: attributes of a Cost, or of a Memory."""


class BudgetCheck(NamedTuple):
    metric: str
    value: Count
    budget: Fraction
    ok: bool


class BudgetVerdict(NamedTuple):
    checks: tuple[BudgetCheck, ...]
    uncounted: tuple[str, ...] = ()
    """Layers no formula counts, when they fail the verdict (an incomplete count proves no budget)."""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks) and not self.uncounted

    @property
    def over(self) -> tuple[str, ...]:
        return tuple(check.metric for check in self.checks if not check.ok)


def validate(budgets: Mapping[str, Any]) -> None:
    """Every budget is on one of ``METRICS``."""
    if not isinstance(budgets, Mapping):
        raise NetworkError(
            f"budgets must be a mapping of metric to limit, such as {{'macs': '300M'}}, not {budgets!r}"
        )
    for metric in budgets:
        if metric not in METRICS:
            raise NetworkError(f"unknown budget {metric!r}; expected one of: {', '.join(METRICS)}")


def limits(budgets: Mapping[str, Any] | None) -> dict[str, Fraction]:
    """Budgets as given (``{"macs": "300M", "peak_activation_bytes": "8MB", "params": 4_300_000}``), each
    on one of ``METRICS`` and a positive limit, read as ``check``'s options read them (a count's K/M/G/T,
    a size's byte units): ``arguments.budget``."""
    if budgets is None:
        return {}
    validate(budgets)
    return {
        metric: arguments.budget(metric, limit, in_bytes=metric in MEMORY_METRICS)
        for metric, limit in budgets.items()
    }


def check_budgets(totals: Cost, budgets: Mapping[str, Any], memory: Memory | None = None) -> BudgetVerdict:
    """Each budget against the totals (or ``memory``, for bytes); inclusive: exactly at it is within."""
    checks = []
    for metric, budget in limits(budgets).items():
        if metric in MEMORY_METRICS and memory is None:
            raise ValueError(f"a budget on {metric} needs the network's memory figures")
        value = getattr(memory if metric in MEMORY_METRICS else totals, metric)
        checks.append(BudgetCheck(metric, value, budget, value <= budget))
    return BudgetVerdict(tuple(checks))
