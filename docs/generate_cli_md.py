"""Write docs/cli.md from the commands themselves, so the two never drift.

Run ``python docs/generate_cli_md.py`` after changing a command; tests/test_docs.py
fails while docs/cli.md is out of date. The reference is built from each
command's own parameters and help texts, not from Click's rendering of
``--help``, so a new Click release that draws usage lines differently does not
make the docs stale.
"""

import argparse
import inspect
from pathlib import Path

import click

from mobicalc.cli import main
from mobicalc.cli.types import WholeNumber

TARGET = Path(__file__).with_name("cli.md")


def _text(help_text: str | None) -> str:
    """A docstring as Markdown: Click's ``\\b`` paragraphs (kept as typed) become code blocks."""
    paragraphs = inspect.cleandoc(help_text or "").split("\n\n")
    parts = []
    for paragraph in paragraphs:
        if paragraph.startswith("\b\n"):
            parts.append("```text\n" + paragraph[2:] + "\n```")
        else:
            parts.append(" ".join(paragraph.split()))
    return "\n\n".join(parts)


def _type(param: click.Parameter) -> str:
    if isinstance(param.type, click.Choice):
        return " \\| ".join(f"`{choice}`" for choice in param.type.choices)
    if isinstance(param, click.Option) and param.is_flag:
        return "flag"
    if isinstance(param.type, WholeNumber):
        if param.type.maximum is not None:
            return f"integer, {param.type.minimum} to {param.type.maximum}"
        return "positive integer" if param.type.minimum == 1 else "integer"
    return param.type.name


def _options(command: click.Command) -> list[str]:
    rows = ["| option | takes | default | what it does |", "| --- | --- | --- | --- |"]
    for param in command.params:
        if isinstance(param, click.Argument):
            name = f"`{param.human_readable_name}`" + (" (optional)" if not param.required else "")
            rows.append(f"| {name} | {_type(param)} | | the model |")
            continue
        assert isinstance(param, click.Option)
        names = ", ".join(f"`{opt}`" for opt in param.opts + param.secondary_opts)
        shown = not param.is_flag and isinstance(param.default, str | int | float)  # not None nor a sentinel
        default = f"`{param.default}`" if shown else ""
        if param.required:
            default = "required"
        help_text = " ".join((param.help or "").split()).replace("|", "\\|")
        rows.append(f"| {names} | {_type(param)} | {default} | {help_text} |")
    return rows


def render() -> str:
    parts = [
        "# Command reference",
        "",
        "Generated from the commands' own options and help texts by `docs/generate_cli_md.py`;",
        "`mobicalc COMMAND --help` shows the same on a terminal.",
        "",
        "**Numbers** are read one way by every option: ASCII digits with at most one decimal point",
        "(`224`, `0.75`, `.5`); an `integer` is digits only. No sign, exponent (`1e0`), digit",
        "separator (`1_28`), other script's digits or `128.0` for an integer: each is a usage error",
        "(exit 2) naming the rule it breaks. Counts take `K`/`M`/`G`/`T`, sizes byte units.",
        "",
    ]
    commands: list[tuple[str, click.Command]] = []

    def walk(title: str, command: click.Command) -> None:
        """The command, then each of a group's commands, by name."""
        commands.append((title, command))
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                walk(f"{title} {name}", command.commands[name])

    walk("mobicalc", main)
    for title, command in commands:
        parts += [f"## `{title}`", "", _text(command.help), ""]
        if isinstance(command, click.Group):
            parts += ["| command | what it does |", "| --- | --- |"]
            parts += [
                f"| `{name}` | {command.commands[name].get_short_help_str(200)} |"
                for name in sorted(command.commands)
            ]
            parts.append("")
        else:
            parts += [*_options(command), ""]
        if command.epilog:
            parts += [_text(command.epilog), ""]
    return "\n".join(parts)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    TARGET.write_text(render(), encoding="utf-8")
