"""Shared test set-up."""

import pytest

from mobicalc.engine import plan


@pytest.fixture(autouse=True)
def fresh_plans():
    """The engine caches per-width plans; tests that patch a formula must not leak into others."""
    plan.cache_clear()
    yield
    plan.cache_clear()
