"""The published ImageNet top-1 of the released TF-slim checkpoints, with its source (data/accuracy.toml)."""

import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from mobicalc.data import DATA

ACCURACY_FILE = DATA / "accuracy.toml"


@dataclass(frozen=True)
class Published:
    """The released checkpoints of one built-in table: top-1 by (alpha, resolution), and the source."""

    model: str
    source: str
    url: str
    metric: str
    top1: dict[tuple[Fraction, int], Fraction]

    @property
    def citation(self) -> str:
        """The source and where it is, short enough for a terminal: repository@commit path."""
        match = re.fullmatch(r"https://github.com/([^/]+/[^/]+)/blob/([0-9a-f]{7})[0-9a-f]*/(.+)", self.url)
        return f"{self.source}, {match[1]}@{match[2]} {match[3]}" if match else f"{self.source}, {self.url}"


@cache
def published_top1(table: str) -> Published | None:
    """The published top-1 of the released checkpoints for built-in table ``table`` ("v1", "v2"), or None."""
    data = tomllib.loads(ACCURACY_FILE.read_text("utf-8"))
    entry = data.get(table)
    if entry is None:
        return None
    top1 = {
        (Fraction(row["alpha"]), int(row["resolution"])): Fraction(row["top1"])
        for row in entry["checkpoints"]
    }
    return Published(entry["model"], entry["source"], entry["url"], entry["metric"], top1)


def released(
    table: str, classes: int | None, include_top: bool, rounding: str
) -> tuple[Published | None, str]:
    """The published accuracy that applies to a sweep of ``table`` with these options, or why none does.

    The figures belong to the released checkpoints: a built-in table, with its
    classifier (1000 classes as keras.applications, or the checkpoints' own 1001)
    and keras.applications' channel rounding, the widths the checkpoints have.
    """
    published = published_top1(table) if table in ("v1", "v2") else None
    if published is None:
        return None, "no published accuracy: only the built-in v1 and v2 have released checkpoints"
    if not include_top or classes not in (None, 1000, 1001):
        return None, "no published accuracy: the released checkpoints have a 1000-class (1001) classifier"
    if rounding != "keras":
        return None, "no published accuracy: the released checkpoints' channels are those of --rounding keras"
    return published, ""
