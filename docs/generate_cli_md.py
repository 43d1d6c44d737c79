"""Write docs/cli.md from the commands' own --help, so the two never drift.

Run ``python docs/generate_cli_md.py`` after changing a command;
tests/test_docs.py fails while docs/cli.md is out of date.
"""

from pathlib import Path

from click.testing import CliRunner

from mobicalc.cli import main

TARGET = Path(__file__).with_name("cli.md")


def render() -> str:
    parts = ["# Command reference", "", "Generated from `--help` by `docs/generate_cli_md.py`.", ""]
    for args in [[], *([name] for name in sorted(main.commands))]:
        result = CliRunner().invoke(main, [*args, "--help"], prog_name="mobicalc", terminal_width=100)
        parts += [f"## `{' '.join(['mobicalc', *args])}`", "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
