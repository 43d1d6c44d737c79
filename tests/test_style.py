"""The code stays ruff-clean (lint and format) and type-checks with mypy, as the project asks.

ruff and mypy run from the interpreter running the tests (``python -m ruff``), not
from whatever PATH finds. Where mobicalc is installed with its test extra
(``pip install -e '.[test]'``), which brings them, a missing or failing tool is a
failure; elsewhere these tests are skipped, saying what is missing.
"""

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, requires, version

import pytest
from helpers import ROOT
from packaging.requirements import Requirement


def missing_from_test_extra() -> list[str]:
    """What ``pip install -e '.[test]'`` would install that is not installed here (all of it without mobicalc)."""
    try:
        requirements = [Requirement(line) for line in requires("mobicalc") or []]
    except PackageNotFoundError:
        return ["mobicalc itself"]
    missing = []
    for requirement in requirements:
        marker = requirement.marker
        # In the test extra: required with extra "test", and not without it (not a plain dependency).
        if marker is not None and marker.evaluate({"extra": "test"}) and not marker.evaluate({"extra": ""}):
            try:
                version(requirement.name)
            except PackageNotFoundError:
                missing.append(requirement.name)
    return missing


MISSING = missing_from_test_extra()
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"mobicalc's test extra is not installed ({', '.join(MISSING)} missing): pip install -e '.[test]'",
)


def run_tool(*command: str) -> None:
    result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff(command):
    run_tool("ruff", *command)


def test_mypy():
    run_tool("mypy")
