"""Tests marked ``tensorflow`` load TensorFlow; they are skipped where it is not installed.

The check is made when such a test runs, not when its module is collected, so that
``pytest -m "not tensorflow"`` never imports TensorFlow (seconds, and a broken
installation would otherwise fail the collection of everything).
"""

import pytest


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("tensorflow") is not None:
        pytest.importorskip("tensorflow")
