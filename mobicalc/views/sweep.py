"""``mobicalc sweep``: the design space as a heat map for people, one record per configuration for
machines, and the released checkpoints within budget."""

from collections.abc import Iterator
from typing import Any

from mobicalc.count import conventions
from mobicalc.count.costs import flops
from mobicalc.count.sweep import DesignSpace
from mobicalc.model.graph import GraphModel
from mobicalc.model.layers import resolution_text
from mobicalc.model.rounding import exact_count
from mobicalc.numbers import exact_decimal, grouped, human
from mobicalc.views.common import counted, describe, labelled
from mobicalc.views.model import WIDE, Block, Column, Layout, Report, Style, View

SWEEP_COLUMNS = (
    Column("alpha", "alpha", Style.DECIMAL),
    Column("resolution", "resolution", Style.SIZE),
    Column("height", "height", Style.NUMBER, WIDE),
    Column("width", "width", Style.NUMBER, WIDE),
    Column("macs", "MACs", Style.COUNT),
    Column("flops", "FLOPs", Style.COUNT, 3),
    Column("params", "params", Style.COUNT),
    Column("top1", "top-1 %", Style.DECIMAL, 2),
    Column("frontier", "frontier", Style.VERDICT, 2, words=("yes", "no")),
    Column("accuracy_frontier", "accuracy frontier", Style.VERDICT, 3, words=("yes", "no")),
    Column("model", "model", priority=WIDE),
    Column("classes", "classes", Style.NUMBER, WIDE),
    Column("include_top", "top", Style.VERDICT, WIDE, words=("yes", "no")),
    Column("rounding", "rounding", priority=WIDE),
)

FRONTIER_NOTE = (
    "frontier: within budget, and no other configuration within budget has at least as much alpha "
    "and resolution for no more MACs and no more params."
)
ACCURACY_FRONTIER_NOTE = (
    "accuracy frontier: of the configurations with a published top-1, no other has at least its top-1 "
    "for no more MACs (empty without a published top-1)."
)


MODEL_FIELDS = ("name", "table", "source", "classes", "include_top", "rounding")
"""What a sweep's JSON says of its model: the settings every configuration shares."""


def _model(summary: DesignSpace) -> dict[str, Any]:
    description = describe(summary.network)
    return {key: description[key] for key in MODEL_FIELDS}


def _best(summary: DesignSpace) -> dict[str, Any] | None:
    best = summary.most_accurate()
    if best is None:
        return None
    return {
        "alpha": best.alpha,
        "resolution": best.resolution,
        "macs": best.totals.macs,
        "params": best.totals.params,
        "top1": best.top1,
    }


def _sweep_title(summary: DesignSpace) -> str:
    model = _model(summary)
    if isinstance(summary.network.architecture, GraphModel):  # a Keras model: no top nor rounding of its own
        return f"{model['name']} ({model['source']})" + (
            f", convention {summary.convention.name}"
            if summary.convention.name != conventions.DEFAULT
            else ""
        )
    top = (
        "no top"
        if not model["include_top"]
        else ("no classifier" if model["classes"] is None else f"{model['classes']} classes")
    )
    convention = summary.convention.name
    return f"{model['name']} ({model['source']}): {top}, rounding {model['rounding']}" + (
        f", convention {convention}" if convention != conventions.DEFAULT else ""
    )


def _budget_text(budgets: dict[str, Any]) -> str:
    names = {
        "macs": "MACs",
        "flops": "FLOPs",
        "params": "params",
        "peak_activation_bytes": "peak memory (bytes)",
        "peak_streamed_bytes": "streamed peak memory (bytes)",
        "params_bytes": "model size (bytes)",
    }
    return ", ".join(f"{names[metric]} <= {grouped(limit)}" for metric, limit in budgets.items())


def _size_text(size: Any) -> str:
    """A square size as its number, another as HEIGHTxWIDTH."""
    return str(size) if isinstance(size, int) else resolution_text(size)


def _size_fields(size: Any) -> dict[str, Any]:
    """A configuration's size for its row: as given (a number, or [height, width]) and per side."""
    height, width = (size, size) if isinstance(size, int) else size
    given = size if isinstance(size, int) else [height, width]
    return {"resolution": given, "height": height, "width": width}


def sweep_grid_view(summary: DesignSpace) -> View:
    """MACs as a grid, alphas down and resolutions across, for people; only what is within budget.

    Read from the configurations' widths, its rows made only when a person's output asks for them."""
    # Cells by position: a Fraction hashes slowly, and a grid may have a million cells.
    alpha_at = {alpha: index for index, alpha in enumerate(summary.alphas)}
    resolution_at = {resolution: index for index, resolution in enumerate(summary.resolutions)}
    configurations = summary.configurations
    widths, sizes = configurations.widths, configurations.resolutions
    used = sorted({resolution_at[sizes[j]] for j in set().union(*(width.positions for width in widths))})

    def key(resolution: Any) -> str:
        return f"r{resolution_text(resolution)}"

    columns = (
        Column("alpha", "alpha", Style.DECIMAL),
        Column("params", "params", Style.SHORT, 2),
        *(
            Column(key(summary.resolutions[r]), _size_text(summary.resolutions[r]), Style.HEAT, 2)
            for r in used
        ),
    )

    def rows() -> list[dict[str, Any]]:
        cells: dict[tuple[int, int], tuple[Any, Any, str]] = {}  # a size given twice: its last stands
        for width in widths:
            a, params = alpha_at[width.alpha], width.fixed.params
            columns = zip(width.positions, width.macs, width.frontier, strict=True)
            for row, (j, macs, mark) in enumerate(columns):
                released = "*" if row in width.top1 else ""
                cells[a, resolution_at[sizes[j]]] = (macs, params, released + ("" if mark else "~"))
        grid = []
        for a in sorted({a for a, _ in cells}):
            line: dict[str, Any] = {"alpha": summary.alphas[a]}
            for r in used:
                if (cell := cells.get((a, r))) is not None:
                    line["params"] = cell[1]
                    line[key(summary.resolutions[r])] = (cell[0], cell[2])
            grid.append(line)
        return grid

    title = f"MACs, alpha x resolution: {_sweep_title(summary)}"
    seen = summary.network.architecture.notes if isinstance(summary.network.architecture, GraphModel) else ()
    view = View(title, columns, rows, notes=[*summary.notes, *seen], layout=Layout.GRID)
    kept, swept = len(configurations), summary.swept
    if summary.budgets:
        view.notes.append(
            f"{kept:,} of {swept:,} configurations within budget ({_budget_text(summary.budgets)}); "
            "the others are left out."
        )
    else:
        view.notes.append(
            f"{swept:,} configurations. FLOPs = {summary.convention.flops_label}; "
            "params do not depend on resolution."
        )
    if not all(all(width.frontier) for width in widths):
        view.notes.append(
            "~: not on the frontier (a configuration with at least as much alpha and resolution "
            "costs no more MACs and params)."
        )
    if summary.published is not None and any(width.top1 for width in widths):
        view.notes.append("*: a released checkpoint (its top-1 is listed below).")
    if not configurations:
        view.notes.append("No configuration is within budget.")
    return view


RELEASED_COLUMNS = (
    Column("alpha", "alpha", Style.DECIMAL),
    Column("resolution", "resolution", Style.NUMBER),
    Column("macs", "MACs", Style.COUNT),
    Column("params", "params", Style.COUNT, 2),
    Column("top1", "top-1 %", Style.DECIMAL),
    Column("accuracy_frontier", "accuracy frontier", Style.VERDICT, 3, words=("yes", "no")),
    Column("frontier", "cost frontier", Style.VERDICT, 4, words=("yes", "no")),
)


def _released_view(summary: DesignSpace) -> View | None:
    """The released checkpoints among the configurations within budget, most accurate first."""
    published = summary.published
    if published is None:
        return None
    rated = sorted(summary.configurations.rated(), key=lambda c: (-(c.top1 or 0), c.totals.macs))
    rows = [
        {
            "alpha": c.alpha,
            "resolution": c.resolution,
            "macs": c.totals.macs,
            "params": c.totals.params,
            "top1": c.top1,
            "accuracy_frontier": c.accuracy_frontier,
            "frontier": c.frontier,
        }
        for c in rated
    ]
    within = " within budget" if summary.budgets else ""
    view = View(f"Released {published.model} checkpoints{within}, by published top-1", RELEASED_COLUMNS, rows)
    if rated:
        best = rated[0]
        view.notes.append(
            f"Most accurate released configuration{within}: {published.model} alpha "
            f"{exact_decimal(best.alpha)}, {best.resolution}x{best.resolution}, top-1 "
            f"{exact_decimal(best.top1 or 0)}% at {human(best.totals.macs)} MACs, "
            f"{human(best.totals.params)} params."
        )
    else:
        view.notes.append(f"No released checkpoint among these configurations{within}.")
    beaten = [c for c in rated if not c.accuracy_frontier]
    if beaten:
        view.notes.append(
            f"accuracy frontier: no other release here has at least its top-1 for no more MACs; "
            f"{len(beaten)} {'is' if len(beaten) == 1 else 'are'} beaten (cost frontier: the sweep's, by "
            "alpha, size, MACs and params)."
        )
    view.notes.append(f"top-1: {published.metric}; source: {published.citation}.")
    view.notes.append(
        "MACs and params here are mobicalc's (keras.applications' layers, 1000 classes unless --classes); "
        "the checkpoints' READMEs count 1001 classes."
        if summary.convention.name == conventions.DEFAULT
        else f"MACs and params here are mobicalc's, counted under convention {summary.convention.name}: "
        f"{summary.convention.summary}."
    )
    return view


SHARED = ("alpha", "params", "model", "classes", "include_top", "rounding")
"""A configuration's columns that every configuration of its width shares."""
OWN = ("resolution", "height", "width", "macs", "flops", "top1", "frontier", "accuracy_frontier")
"""The others, in the columns' order."""


def _configuration_blocks(summary: DesignSpace, model: dict[str, Any]) -> Iterator[Block]:
    """The configurations as blocks, one per width: its shared values once, then a tuple per row."""
    configurations = summary.configurations
    common = {"model": model["name"], "classes": model["classes"], "include_top": model["include_top"],
              "rounding": model["rounding"]}  # fmt: skip
    sizes = [tuple(_size_fields(size).values()) for size in configurations.resolutions]
    for width in configurations.widths:
        top1, best = width.top1, width.accuracy_frontier
        columns = zip(width.positions, width.macs, width.elementwise, width.frontier, strict=True)
        rows = (
            (*sizes[j], macs, flops(macs, elementwise), top1.get(row), mark, best.get(row))
            for row, (j, macs, elementwise, mark) in enumerate(columns)
        )
        yield Block({"alpha": width.alpha, "params": width.fixed.params, **common}, OWN, rows)


def sweep_report(summary: DesignSpace) -> Report:
    """A sweep: every configuration within budget for machines; a heat map and the releases for people."""
    model = _model(summary)
    configurations = View(
        f"Configurations: {_sweep_title(summary)}",
        labelled(SWEEP_COLUMNS, summary.convention),
        notes=[FRONTIER_NOTE, ACCURACY_FRONTIER_NOTE],
        blocks=lambda: _configuration_blocks(summary, model),
    )
    published = summary.published
    grid = sweep_grid_view(summary)
    if published is None:
        grid.notes.append(summary.no_accuracy + ".")
    views = [grid]
    if (released := _released_view(summary)) is not None:
        views.append(released)
    document: dict[str | None, Any] = {
        "model": model,
        "conventions": counted(summary.convention),
        "convention": conventions.describe(summary.convention),
        "alphas": summary.alphas,
        "resolutions": [_size_fields(size)["resolution"] for size in summary.resolutions],
        "notes": summary.notes,
        "budgets": {metric: exact_count(limit) for metric, limit in summary.budgets.items()},
        "ok": summary.ok,
        "swept": summary.swept,
        "within_budget": len(summary.configurations),
        "best_published": _best(summary),
        "accuracy_source": None
        if published is None
        else {"model": published.model, "source": published.source, "url": published.url,
              "metric": published.metric},
        "configurations": configurations,
    }  # fmt: skip
    return Report(document, views, csv=configurations)
