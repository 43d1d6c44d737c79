"""``--keras`` where TensorFlow cannot help (a broken install), for every command: the message names the
command that runs, and the exit is 3; the user's own module failing to import is theirs (exit 2).

No TensorFlow needed: a fake package on PYTHONPATH shadows the installed one, in a subprocess
(as tests/test_verify_environment.py does).
"""

import pytest
from test_verify_environment import INSTALL, assert_one_line, package, run

from mobicalc.cli.exits import Exit


def main(*args: str) -> str:
    return f"from mobicalc.cli import main\nmain({list(args)!r}, prog_name='mobicalc')"


BROKEN = 'raise ImportError("fake broken TF")'


@pytest.mark.parametrize(
    ("command", "extra"),
    [("table", []), ("check", ["--max-macs", "1G"]), ("sweep", []), ("verify", []), ("bench", [])],
)
def test_a_broken_tensorflow_names_the_command_running(tmp_path, command, extra):
    root = package(tmp_path, "tensorflow", BROKEN)
    result = run(main(command, "--keras", "somewhere:build", *extra), root)
    assert result.returncode == Exit.MISSING_DEPENDENCY, result.stderr
    assert_one_line(result.stderr, f"Error: {command} needs TensorFlow, which fails to import", INSTALL)


def test_custom_objects_with_a_broken_tensorflow_is_a_missing_dependency(tmp_path):
    root = package(tmp_path, "tensorflow", BROKEN)
    (root / "mine.py").write_text("import tensorflow\n")  # the user's module imports TensorFlow first
    (root / "model.keras").write_bytes(b"")
    result = run(main("table", "--keras", str(root / "model.keras"), "--custom-objects", "mine"), root)
    assert result.returncode == Exit.MISSING_DEPENDENCY, result.stderr
    assert_one_line(result.stderr, "table needs TensorFlow, which fails to import", "fake broken TF")


def test_a_tensorflow_that_exits_on_import_is_a_missing_dependency(tmp_path):
    root = package(tmp_path, "tensorflow", "import sys; sys.exit(9)")
    result = run(main("table", "--keras", "somewhere:build"), root)
    assert result.returncode == Exit.MISSING_DEPENDENCY, result.stderr
    assert_one_line(result.stderr, "table needs TensorFlow, which fails to import (SystemExit: 9)")
