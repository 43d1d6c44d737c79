"""Budgets: limits on a network's counts and memory, and the verdict on them (inclusive)."""

from collections.abc import Mapping
from fractions import Fraction
from typing import NamedTuple

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


def validate(budgets: Mapping[str, Fraction]) -> None:
    """Every budget is on one of ``METRICS``."""
    for metric in budgets:
        if metric not in METRICS:
            raise NetworkError(f"unknown budget {metric!r}; expected one of: {', '.join(METRICS)}")


def check_budgets(
    totals: Cost, budgets: Mapping[str, Fraction], memory: Memory | None = None
) -> BudgetVerdict:
    """Each budget against the totals (or ``memory``, for bytes); inclusive: exactly at it is within."""
    validate(budgets)
    checks = []
    for metric, budget in budgets.items():
        if metric in MEMORY_METRICS and memory is None:
            raise ValueError(f"a budget on {metric} needs the network's memory figures")
        value = getattr(memory if metric in MEMORY_METRICS else totals, metric)
        checks.append(BudgetCheck(metric, value, budget, value <= budget))
    return BudgetVerdict(tuple(checks))
