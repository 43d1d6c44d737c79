"""The files options name: an architecture table to read, a plot to write."""

from pathlib import PurePath
from typing import Any

import click


class TablePath(click.Path):
    """A table file's path; a NUL byte in it is a usage error, not os.stat's ValueError."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except ValueError as error:
            self.fail(f"{value!r}: cannot read: {error}", param, ctx)


class PlotPath(click.Path):
    """A file to draw a plot to: its name ends in .svg or .png."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False, writable=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        if PurePath(str(path)).suffix.lower() not in (".svg", ".png"):  # ".svg" alone has no suffix
            self.fail(f"{str(value)!r}: give a .svg or .png file", param, ctx)
        return path
