"""What users see, whole: any change to the printed text of these commands is a visible diff.

The files under tests/golden/ are the plain-text output (what a pipe, a file or
a plain terminal gets) at 80 and 120 columns; mobicalc draws it itself, so no
dependency's release can change it. Rich's drawing on a colour terminal is
tested by its properties instead (tests/test_output.py). After an intended
change, rewrite the files with ``MOBICALC_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and read the diff.
"""

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mobicalc.cli import main

GOLDEN = Path(__file__).parent / "golden"
COMMANDS = {
    "table-v1-alpha-0.5": ["table", "v1", "--alpha", "0.5"],
    "table-v2": ["table", "v2"],
    "ratio-512-3": ["ratio", "--N", "512", "--dk", "3"],
    "check-v2": ["check", "v2", "--alpha", "0.75", "--max-macs", "300M", "--max-params", "4.3M"],
    "sweep-v2-300M": ["sweep", "v2", "--max-macs", "300M"],
    "sweep-v1-grid": ["sweep", "v1", "--alpha", "0.25:1:0.25", "--resolution", "96:320:16"],
}


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_output_is_as_recorded(name, width):
    result = CliRunner().invoke(main, COMMANDS[name], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= width
    path = GOLDEN / f"{name}-{width}.txt"
    if os.environ.get("MOBICALC_UPDATE_GOLDEN"):
        path.write_text(result.output, encoding="utf-8")
    assert result.output == path.read_text(encoding="utf-8"), f"{path.name} differs: see the diff above"
