"""The published ImageNet top-1 of the released TF-slim checkpoints, with its source (data/accuracy.toml)."""

import re
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from mobicalc.data import DATA
from mobicalc.numbers import Printed

ACCURACY_FILE = DATA / "accuracy.toml"


@dataclass(frozen=True)
class Published:
    """The released checkpoints of one built-in table: top-1 by (alpha, resolution), and the source."""

    model: str
    source: str
    url: str
    metric: str
    top1: dict[tuple[Fraction, int], Fraction]
    """Each a ``Printed`` number: it shows the digits the source printed (61.0, not 61)."""

    @property
    def citation(self) -> str:
        """The source and where it is, short enough for a terminal: repository@commit path."""
        match = re.fullmatch(r"https://github.com/([^/]+/[^/]+)/blob/([0-9a-f]{7})[0-9a-f]*/(.+)", self.url)
        return f"{self.source}, {match[1]}@{match[2]} {match[3]}" if match else f"{self.source}, {self.url}"


@cache
def published_top1(table: str, variant: str | None = None) -> Published | None:
    """The published top-1 of the released checkpoints of built-in table ``table`` ("v1", "v3-large", ...)
    and its ``variant`` (None: the table itself), or None when none is published."""
    data = tomllib.loads(ACCURACY_FILE.read_text("utf-8"))
    entry = data.get(table)
    if entry is None:
        return None
    top1: dict[tuple[Fraction, int], Fraction] = {
        (Fraction(row["alpha"]), int(row["resolution"])): Printed(row["top1"])
        for row in entry["checkpoints"]
        if row.get("variant") == variant
    }
    if not top1:
        return None
    model = entry["model"] + (f" {variant}" if variant else "")
    return Published(model, entry["source"], entry["url"], entry["metric"], top1)


def released(
    table: str,
    classes: int | None,
    include_top: bool,
    rounding: str,
    *,
    variant: str | None = None,
    input_channels: int | None = None,
    depth_multiplier: int | None = None,
) -> tuple[Published | None, str]:
    """The published accuracy that applies to a sweep of ``table`` with these options, or why none does.

    A published top-1 belongs to the released network only: a built-in table (not a file, even a
    copy of one), with its classifier (1000 classes as keras.applications, or the checkpoints' own
    1001), its RGB input, no depth multiplier, and keras.applications' channel rounding, the widths
    the checkpoints have.
    """
    published = published_top1(table, variant)
    if published is None:
        return None, "no published accuracy: only the built-in tables' released checkpoints have one"
    if not include_top or classes not in (None, 1000, 1001):
        return None, "no published accuracy: the released checkpoints have a 1000-class (1001) classifier"
    if rounding != "keras":
        return None, "no published accuracy: the released checkpoints' channels are those of --rounding keras"
    if input_channels not in (None, 3):
        return None, "no published accuracy: the released checkpoints take 3-channel (RGB) input"
    if depth_multiplier not in (None, 1):
        return None, "no published accuracy: the released checkpoints have depth multiplier 1"
    return published, ""
