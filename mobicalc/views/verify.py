"""``mobicalc verify``: every layer's counts beside TensorFlow's, per model checked."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mobicalc.numbers import grouped, quantity
from mobicalc.views.common import convention_document, describe, title
from mobicalc.views.model import Column, Report, Style, View

if TYPE_CHECKING:  # the TensorFlow bridge's result types, named without importing it
    from mobicalc.tf.verify import ModelCheck, Verification

VERIFY_COLUMNS = (
    Column("name", "layer", wraps=True),
    Column("kind", "kind", priority=4),
    Column("shape", "shape", Style.SHAPE, 3),
    Column("tf_shape", "TF shape", Style.SHAPE, 3),
    Column("macs", "MACs", Style.COUNT),
    Column("tf_macs", "TF MACs", Style.COUNT),
    Column("params", "params", Style.COUNT, 2),
    Column("tf_params", "TF params", Style.COUNT, 2),
    Column("elements", "activation values", Style.COUNT, 5),
    Column("tf_elements", "TF values", Style.COUNT, 5),
    Column("ok", "", Style.VERDICT, words=("✓", "✗")),
)
ANY_RANK = {"shape": "output_shape", "tf_shape": "tf_output_shape"}
"""The shape columns when some shape is not (height, width, channels) (a Keras model's): lists of any rank."""
FLOPS_COLUMNS = (Column("flops", "FLOPs", Style.COUNT), Column("tf_flops", "TF FLOPs", Style.COUNT))
"""Shown when FLOPs are compared (a Keras model under --convention tf-profiler): TensorFlow's are the flops
registered for every op of the layer's call. What that convention is about: always shown, the MACs
columns before the others when space is short (``FLOPS_FIRST``)."""
FLOPS_FIRST = {"macs": 2, "tf_macs": 2, "params": 3, "tf_params": 3, "not_comparable": 3}
"""The priorities of the columns that make room for the FLOPs columns when FLOPs are compared."""
NOT_COMPARABLE = Column(
    "not_comparable", "TF cannot count", priority=1,
    note="TF cannot count: the ops of a layer whose MACs TensorFlow cannot count (its verdict is blank, "
    "never ✓).",
)  # fmt: skip
"""Shown when some layer's MACs TensorFlow cannot count: why (its verdict is then blank, never ✓)."""


def _profiler_note(check: "ModelCheck") -> str:
    """One line relating the TF profiler's total to MACs, because users compare against it."""
    if check.profiler_flops is None or check.tf_totals is None or "macs" not in check.tf_totals:
        return ""
    flops = 2 * check.tf_totals["macs"]
    return (
        f"TF profiler float_operation(): {grouped(check.profiler_flops)} = 2 x MACs ({grouped(flops)}) "
        f"+ {grouped(check.profiler_flops - flops)} elementwise ops "
        "(batch-norm, pooling, softmax, bias adds)"
    )


SKIPPED_COLUMNS = (Column("check", "check"), Column("result", "result"))


def verify_summary(verification: "Verification") -> str:
    """The verdict in one line, naming every check that did not run and why."""
    skipped = verification.skipped
    ran = len(verification.checks) - len(skipped)
    parts = [f"{ran} of {len(verification.checks)} checks ran"]
    parts += [f"{check.model} skipped: {check.skipped}" for check in skipped]
    layers = [layer for check in verification.checks for layer in check.layers]
    unproved = [layer.name for layer in layers if layer.not_comparable is not None]
    if unproved:
        parts.append(
            f"MACs of {len(unproved)} of {len(layers)} layers not comparable, TensorFlow cannot count them: "
            + ", ".join(unproved[:3])
            + (", ..." if len(unproved) > 3 else "")
        )
    return f"{'ok' if verification.ok else 'DIFFERS'} ({'; '.join(parts)})"


def _check_view(check: "ModelCheck", heading: str) -> View:
    unproved = [layer for layer in check.layers if layer.not_comparable is not None]
    columns: tuple[Column, ...] = VERIFY_COLUMNS
    flops = any(layer.engine_flops is not None for layer in check.layers)
    if flops:
        at = [column.key for column in columns].index("tf_macs") + 1
        columns = columns[:at] + FLOPS_COLUMNS + columns[at:]
    shapes = [shape for layer in check.layers for shape in (layer.engine_shape, layer.tf_shape) if shape]
    if any(len(shape) != 3 for shape in shapes):
        columns = tuple(
            column._replace(key=ANY_RANK[column.key], style=Style.SIZE) if column.key in ANY_RANK else column
            for column in columns
        )
    columns += (NOT_COMPARABLE,) * bool(unproved)
    if flops:
        columns = tuple(
            column._replace(priority=FLOPS_FIRST.get(column.key, column.priority)) for column in columns
        )
    view = View(
        f"{check.model}: {heading}",
        columns,
        [
            {
                "name": layer.name,
                "kind": layer.kind,
                "shape": layer.engine_shape,
                "tf_shape": layer.tf_shape,
                "output_shape": layer.engine_shape,
                "tf_output_shape": layer.tf_shape,
                "macs": layer.engine_macs,
                "tf_macs": layer.tf_macs,
                "flops": layer.engine_flops,
                "tf_flops": layer.tf_flops,
                "params": layer.engine_params,
                "tf_params": layer.tf_params,
                "elements": layer.engine_elements,
                "tf_elements": layer.tf_elements,
                "ok": layer.verdict,
                **({"not_comparable": layer.not_comparable} if unproved else {}),
            }
            for layer in check.layers
        ],
    )
    if check.skipped:
        return View(
            view.title, SKIPPED_COLUMNS, [{"check": check.model, "result": f"skipped: {check.skipped}"}]
        )
    assert check.engine_totals is not None and check.tf_totals is not None
    for key in ("macs", "params", "trainable_params", "non_trainable_params", "flops"):
        if key not in check.engine_totals:
            continue
        engine, tensorflow = check.engine_totals[key], check.tf_totals[key]
        mark = "✓" if engine == tensorflow else "✗"
        view.notes.append(f"{mark} {key}: engine {grouped(engine)}, TensorFlow {grouped(tensorflow)}")
    if unproved and "macs" not in check.engine_totals:
        counts = "macs and flops" if any(layer.engine_flops is not None for layer in unproved) else "macs"
        view.notes.append(
            f"? {counts}: not compared: TensorFlow cannot count the MACs of "
            f"{quantity(len(unproved), 'layer')} "
            f"({', '.join(layer.name for layer in unproved[:5])}{', ...' if len(unproved) > 5 else ''}); "
            + (
                "mobicalc's formulas for them are proved by hand in its tests"
                if all(layer.engine_macs is not None for layer in unproved)
                else "mobicalc counts no raw op"
            )
        )
    if raw := [layer.name for layer in check.layers if layer.engine_macs is None]:
        view.notes.append(
            f"✗ not counted by mobicalc: {', '.join(raw)}: ops made outside any layer call (keras.ops, tf, "
            "x @ w), in which TensorFlow finds work (in its totals too) or ops it cannot count"
        )
    sized = [layer for layer in check.layers if layer.tf_elements is not None]
    same_size = all(layer.engine_elements == layer.tf_elements for layer in sized)
    view.notes.append(
        f"{'✓' if same_size else '✗'} activation values (the memory figures' unit): "
        f"{sum(layer.engine_elements == layer.tf_elements for layer in sized)} of {len(sized)} layers "
        "as TensorFlow's output tensors"
    )
    differing = [layer.name for layer in check.layers if not layer.ok]
    view.notes.append(
        f"✗ differs: {', '.join(differing)}"
        if differing
        else (
            ("✓ all agree" if not unproved else "✓ all that TensorFlow counts agree")
            if check.ok
            else "✗ totals differ"
        )
    )
    if note := _profiler_note(check):
        view.notes.append(note)
    return view


def verify_report(verification: "Verification") -> Report:
    heading = title(verification.network)
    views = [_check_view(check, heading) for check in verification.checks]
    checks: list[Mapping[str, Any]] = [
        {
            "model": check.model,
            "ok": check.ok,
            "skipped": check.skipped,
            "engine_totals": check.engine_totals,
            "tensorflow_totals": check.tf_totals,
            "profiler_flops": check.profiler_flops,
            "profiler_note": _profiler_note(check),
            "layers": [] if check.skipped else view,
        }
        for check, view in zip(verification.checks, views, strict=True)
    ]
    summary = verify_summary(verification)
    views[-1].notes += [""] * bool(views[-1].notes) + [summary]
    document: dict[str | None, Any] = {
        "model": describe(verification.network),
        "convention": convention_document(verification.network),
        "ok": verification.ok,
        "summary": summary,
        "skipped": [{"model": check.model, "reason": check.skipped} for check in verification.skipped],
        "checks": checks,
    }
    return Report(document, views)
