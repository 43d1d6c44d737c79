"""The docs stay true: the CLI reference is the commands' own --help."""

import runpy
import subprocess
import sys

from helpers import ROOT


def test_cli_reference_is_up_to_date():
    generator = runpy.run_path(str(ROOT / "docs" / "generate_cli_md.py"))
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == generator["render"](), "docs/cli.md is stale: run python docs/generate_cli_md.py"


def test_readme_opens_with_install_and_test_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert commands[0].startswith("pip install . && mobicalc ")
    assert commands[1] == "pip install -e '.[test,tf]' && pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == commands[1], "CI must run the README's test command"
    assert any(line.startswith("python3 -m venv ") for line in ci), "CI must make a fresh virtual environment"


def test_cli_reference_generator_has_help_that_writes_nothing(tmp_path):
    before = (ROOT / "docs" / "cli.md").stat().st_mtime_ns
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "generate_cli_md.py"), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "usage:" in result.stdout
    assert (ROOT / "docs" / "cli.md").stat().st_mtime_ns == before


def test_readme_lists_every_exit_code_as_the_cli_does():
    from mobicalc.cli.exits import MEANINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in MEANINGS.items():
        assert f"| {int(code)} | {meaning} |" in readme
