"""Published MobileNet figures beside mobicalc's values: the data behind ``mobicalc reproduce``.

The figures are data (``data/figures.toml``): each cites its source, gives the
printed value, the configuration and convention that reproduce it, and how the
source rounded. This module computes mobicalc's exact value for each and
decides a verdict:

* ``exact``: the printed value is the exact count;
* ``within rounding``: the exact count, rounded as the source rounds, is the printed value;
* ``explained``: it is not, for a known reason (a misprint, a left-out classifier) the data states;
* ``not reproducible``: it is not, and nothing known explains it (the data says what was tried);
* ``out of scope``: listed, not evaluated (the data says why).

Memory figures (the MobileNetV2 paper's Table 3) are the largest tensor held
whole (``memory.largest_tensors``), at one spatial size (``size``) or over the
sizes below one (``below``), in bytes at ``dtype`` or as its channels.

A figure the data expects to reproduce and that does not, or one it expects not
to and that does, is a failure: ``reproduce`` then exits 1.
"""

import math
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.layer import compare_layer
from mobicalc.count.memory import largest_tensors
from mobicalc.count.network import NetworkCost, architecture_of, network_cost
from mobicalc.count.settings import Settings, bytes_per_value
from mobicalc.data import DATA
from mobicalc.numbers import exact_decimal

UNITS = {
    1: Fraction(1),
    "K": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "%": Fraction(1, 100),
}
REPRODUCED = "reproduced"
EXPECTATIONS = (REPRODUCED, "explained", "not reproducible", "out of scope")


@dataclass(frozen=True)
class Figure:
    source: str
    table: str
    row: str
    metric: str
    value: str
    unit: Any = 1
    rounding: str = "exact"
    digits: int = 0
    expect: str = REPRODUCED
    why: str = ""
    command: str = "table"
    model: str | None = None
    variant: str | None = None
    arch: str | None = None
    alpha: str = "1"
    resolution: int | None = None
    classes: int | None = None
    no_top: bool = False
    convention: str = "keras"
    kind: str | None = None
    part: str | None = None
    M: int | None = None
    N: int | None = None
    dk: int | None = None
    dp: int = 1
    rho: str = "1"
    checked: str = ""
    """What the value was checked against (a revision and table, a file at a commit); empty: unchecked."""
    dtype: str = "float32"
    size: int | None = None
    below: int | None = None
    streamed: bool = False
    skip: int = 0
    versus: str | None = None
    """A table (built-in, or under data/) whose value is subtracted: the figure is a difference (a saving)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def citation(self) -> str:
        return f"{self.source} {self.table}: {self.row}"

    @property
    def published(self) -> Fraction:
        return Fraction(self.value) * UNITS[self.unit]

    @property
    def rounding_text(self) -> str:
        if self.rounding == "exact":
            return "exact"
        unit = {1: "", "K": " thousands", "M": " millions", "G": " billions", "%": " percent"}[self.unit]
        if self.digits < 0:
            return f"{self.rounding}, to{unit} in {10**-self.digits}s"
        return f"{self.rounding},{unit} {self.digits} decimals".replace(", ", ", ")

    def cli(self) -> str:
        """The command that prints mobicalc's value."""
        if self.command == "ratio":
            words = ["mobicalc ratio", f"--M {self.M}", f"--N {self.N}", f"--dk {self.dk}", f"--dp {self.dp}"]
            words += [f"--alpha {self.alpha}"] * (self.alpha != "1") + [f"--rho {self.rho}"] * (
                self.rho != "1"
            )
            return " ".join(words)
        words = [
            "mobicalc table",
            f"--arch mobicalc/data/{self.arch}.toml" if self.arch else self.model or "",
        ]
        words += [f"--{self.variant}"] * (self.variant is not None)
        words += [f"--alpha {self.alpha}"] * (Fraction(self.alpha) != 1)
        words += [f"--resolution {self.resolution}"] * (self.resolution is not None)
        words += [f"--classes {self.classes}"] * (self.classes is not None)
        words += ["--no-top"] * self.no_top
        words += [f"--convention {self.convention}"] * (self.convention != "keras")
        words += [f"--dtype {self.dtype}"] * (self.dtype != "float32")
        command = " ".join(words)
        if self.versus:
            return f"{command}, minus {replace(self, arch=None, model=self.versus, versus=None).cli()}"
        return command


def _round(value: Fraction, rounding: str, digits: int) -> Fraction:
    """``value`` to ``digits`` decimals (negative: to tens, hundreds, ...)."""
    scale = Fraction(10) ** digits
    if rounding == "nearest":  # half up, as people round
        return Fraction(math.floor(value * scale + Fraction(1, 2)), scale)
    if rounding == "floor":
        return Fraction(math.floor(value * scale), scale)
    if rounding == "exact":
        return value
    raise ValueError(f"unknown rounding {rounding!r}")


@dataclass(frozen=True)
class Result:
    figure: Figure
    value: Fraction | None
    """mobicalc's exact value, in the figure's unit times its scale (None: not evaluated)."""
    verdict: str
    ok: bool

    @property
    def rounded(self) -> Fraction | None:
        """mobicalc's value in the figure's unit, rounded as the source rounds."""
        if self.value is None:
            return None
        return _round(self.value / UNITS[self.figure.unit], self.figure.rounding, self.figure.digits)


FIGURE_FILES = ("figures.toml", "figures-v3.toml", "figures-torch.toml")
"""The data files of published figures, in the order ``reproduce`` lists them; each its sources and groups."""


def load(path: Path | None = None) -> tuple[dict[str, str], list[Figure]]:
    """The sources and the figures of the data files (or of ``path`` alone), groups expanded."""
    sources: dict[str, str] = {}
    groups: list[dict[str, Any]] = []
    for each in [path] if path else [DATA / name for name in FIGURE_FILES]:
        with open(each, "rb") as stream:
            data = tomllib.load(stream)
        sources.update(data.get("sources", {}))
        groups += data.get("groups", [])
    known = set(Figure.__dataclass_fields__) - {"extra"}
    figures = []
    for group in groups:
        shared = {key: value for key, value in group.items() if key != "figures"}
        for entry in group["figures"]:
            fields = {**shared, **entry}
            unknown = set(fields) - known
            if unknown:
                raise ValueError(f"figures.toml: unknown field(s) {', '.join(sorted(unknown))} in {entry}")
            figure = Figure(**fields)
            if figure.source not in sources:
                raise ValueError(f"figures.toml: unknown source {figure.source!r}")
            if figure.expect not in EXPECTATIONS:
                raise ValueError(f"figures.toml: unknown expectation {figure.expect!r}")
            figures.append(figure)
    return sources, figures


@cache
def _network(
    model: str | None, arch: str | None, alpha: str, resolution: int | None, classes: int | None,
    no_top: bool, convention: str, variant: str | None = None,
) -> NetworkCost:  # fmt: skip
    table = DATA / f"{arch}.toml" if arch else model or ""  # a figure's own table wins
    architecture = architecture_of(table, variant=variant)
    settings = Settings(
        alpha=Fraction(alpha), resolution=resolution, classes=classes, include_top=not no_top,
        convention=conventions.get(convention),
    )  # fmt: skip
    return network_cost(architecture, settings)


def value_of(figure: Figure) -> Fraction:
    """mobicalc's exact value of the figure's metric, in counts (a share as a fraction of 1)."""
    if figure.command == "ratio":
        assert figure.N is not None and figure.dk is not None
        comparison = compare_layer(
            N=figure.N, dk=figure.dk, M=figure.M, dp=figure.dp, alpha=Fraction(figure.alpha),
            rho=Fraction(figure.rho),
        )  # fmt: skip
        return Fraction(getattr(getattr(comparison, figure.part or "separable"), figure.metric))
    if figure.versus:
        return value_of(replace(figure, versus=None)) - value_of(
            replace(figure, arch=None, model=figure.versus, versus=None)
        )
    network = _network(
        figure.model, figure.arch, figure.alpha, figure.resolution, figure.classes, figure.no_top,
        figure.convention, figure.variant,
    )  # fmt: skip
    metric = figure.metric
    if metric.startswith("largest_tensor_"):
        return _largest_tensor(figure, network)
    if metric.startswith("standard_"):
        return Fraction(getattr(network.standard, metric.removeprefix("standard_")))
    if metric.endswith("_share"):
        count = metric.removesuffix("_share")
        part = getattr(network.breakdown()[figure.kind or ""], count)
        return Fraction(part, getattr(network.totals, count))
    return Fraction(getattr(network.totals, metric))


def _largest_tensor(figure: Figure, network: NetworkCost) -> Fraction:
    """The largest tensor held whole at ``size`` (or below ``below``, or anywhere): bytes or channels."""
    rows = [
        row
        for row in largest_tensors(network.layers, streamed=figure.streamed, skip=figure.skip)
        if (figure.size is None or row.size == figure.size)
        and (figure.below is None or row.size < figure.below)
    ]
    if not rows:
        raise ValueError(f"figures.toml: no tensor of the size asked in {figure.citation}")
    largest = max(rows, key=lambda row: row.elements)
    if figure.metric == "largest_tensor_channels":
        return Fraction(largest.channels)
    return Fraction(largest.elements * bytes_per_value(figure.dtype))


def evaluate(figure: Figure) -> Result:
    if figure.expect == "out of scope":
        return Result(figure, None, "out of scope", True)
    value = value_of(figure)
    reproduced = _round(value / UNITS[figure.unit], figure.rounding, figure.digits) == Fraction(figure.value)
    if reproduced:
        verdict = "exact" if figure.rounding == "exact" else "within rounding"
    else:
        verdict = "not reproducible" if figure.expect == REPRODUCED else figure.expect
    return Result(figure, value, verdict, reproduced == (figure.expect == REPRODUCED))


def reproduce(source: str | None = None) -> list[Result]:
    """Every figure (of ``source``, if given) with its verdict."""
    sources, figures = load()
    if source is not None and source not in sources:
        raise ValueError(f"unknown source {source!r}; expected one of: {', '.join(sources)}")
    return [evaluate(figure) for figure in figures if source is None or figure.source == source]


def sources() -> dict[str, str]:
    return load()[0]


def shown(value: Fraction, figure: Figure) -> str:
    """mobicalc's value for reading: every digit of a count, a share to 4 decimals of a percent."""
    if figure.unit == "%":
        return f"{float(value * 100):.4f}%"
    return exact_decimal(value)
