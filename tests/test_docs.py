"""The docs stay true: the CLI reference is the commands' own --help."""

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    assert ci[-2:] == ["pip install -e '.[test,tf]'", "pytest"]
