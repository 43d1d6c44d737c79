"""What the views of every command share: counts, the model's description, totals, memory."""

from typing import Any

from mobicalc.count import conventions
from mobicalc.count.costs import Cost
from mobicalc.count.network import NetworkCost
from mobicalc.model.graph import GraphModel
from mobicalc.numbers import exact_decimal, quantity
from mobicalc.views.model import WIDE, Column, Layout, Style, View

COUNT_COLUMNS = (
    Column("macs", "MACs (mult-adds)", Style.COUNT),
    Column("flops", "FLOPs (2 x MACs)", Style.COUNT),
    Column("params", "params", Style.COUNT),
    Column("trainable_params", "trainable params", Style.COUNT),
    Column("non_trainable_params", "non-trainable params", Style.COUNT),
    Column("weights", "kernel weights", Style.COUNT, WIDE),
    Column("bias", "bias", Style.COUNT, WIDE),
    Column("batch_norm_trainable", "batch-norm gamma, beta", Style.COUNT, WIDE),
    Column("batch_norm_non_trainable", "batch-norm mean, variance", Style.COUNT, WIDE),
)

COUNT_MEANINGS = {
    "macs": "multiply-accumulates of conv, depthwise, pointwise and dense layers (the papers' mult-adds)",
    "flops": "2 x MACs",
    "params": "every weight Keras counts (model.count_params()): kernels, biases, batch-norm "
    "gamma and beta (trainable) and moving mean and variance (non-trainable)",
}
"""What each count counts: the one copy, for JSON, --help and the docs."""


def labelled(columns: tuple[Column, ...], convention: conventions.Convention) -> tuple[Column, ...]:
    """``columns`` with their FLOPs header saying what FLOPs are under ``convention``.

    Under the default (2 x MACs) the columns are returned as they are, so the usual output is unchanged.
    """
    if convention.flops == conventions.KERAS.flops:
        return columns
    header = f"FLOPs ({convention.flops_label})"
    return tuple(column._replace(header=header) if column.key == "flops" else column for column in columns)


def counts(cost: Cost) -> dict[str, Any]:
    return {
        "macs": cost.macs,
        "flops": cost.flops,
        "params": cost.params,
        "trainable_params": cost.trainable_params,
        "non_trainable_params": cost.non_trainable_params,
        "weights": cost.weights,
        "bias": cost.bias,
        "batch_norm_trainable": cost.batch_norm_trainable,
        "batch_norm_non_trainable": cost.batch_norm_non_trainable,
    }


def describe(network: NetworkCost) -> dict[str, Any]:
    settings, architecture, resolution = network.settings, network.architecture, network.resolution
    return {
        "name": architecture.name,
        "table": architecture.path,
        "source": architecture.source,
        "alpha": settings.alpha,
        "resolution": list(resolution) if isinstance(resolution, tuple) else resolution,  # [height, width]
        "height": network.height,
        "width": network.width,
        "input_channels": network.input_channels,
        "depth_multiplier": network.depth_multiplier,
        "classes": network.classes,
        "include_top": settings.include_top,
        "rounding": settings.rounding,
        "dtype": settings.dtype,
        **architecture.details,
    }


def title(network: NetworkCost) -> str:
    model = describe(network)
    convention = network.convention.name
    if isinstance(network.architecture, GraphModel):  # a Keras model: no alpha, rounding nor top of its own
        inputs = network.architecture.inputs
        sizes = " and ".join("x".join(map(str, shape)) for shape in inputs)
        return f"{model['name']} ({model['source']}): input{'s' * (len(inputs) > 1)} {sizes}" + (
            f", convention {convention}" if convention != conventions.DEFAULT else ""
        )
    if not model["include_top"]:
        top = "no top"
    elif model["classes"] is None:
        top = "no classifier"
    else:
        top = f"{model['classes']} classes"
    channels = model["input_channels"]
    return (
        f"{model['name']} ({model['source']}): alpha {exact_decimal(model['alpha'])}, "
        f"{model['height']}x{model['width']}"
        + (f"x{channels}" if channels != 3 else "")
        + (f", depth multiplier {model['depth_multiplier']}" if model["depth_multiplier"] != 1 else "")
        + f", {top}, rounding {model['rounding']}"
        + (f", convention {convention}" if convention != conventions.DEFAULT else "")
    )


def convention_document(network: NetworkCost) -> dict[str, Any]:
    """The JSON 'convention': the preset's name and every switch it sets, with what each means."""
    return conventions.describe(network.convention)


def counting_conventions(network: NetworkCost) -> dict[str, str]:
    """What each count counts under the network's convention (``COUNT_MEANINGS`` under keras)."""
    return counted(network.convention)


def counted(convention: conventions.Convention) -> dict[str, str]:
    """What each count counts under ``convention`` (``COUNT_MEANINGS`` under keras)."""
    if convention.name == conventions.DEFAULT:
        return COUNT_MEANINGS
    switches = ", ".join(f"{name} {value}" for name, value in convention.switches.items())
    return {
        "macs": COUNT_MEANINGS["macs"],
        "flops": COUNT_MEANINGS["flops"]
        if convention.flops == conventions.KERAS.flops
        else convention.flops_meaning,
        "params": f"{convention.name}: {convention.summary} ({switches})",
    }


def totals_view(
    name: str,
    cost: Cost,
    extra: tuple[Column, ...] = (),
    convention: conventions.Convention = conventions.KERAS,
    **values: Any,
) -> View:
    columns = labelled(COUNT_COLUMNS, convention) + extra
    return View(name, columns, [{**counts(cost), **values}], layout=Layout.RECORD)


MEMORY_COLUMNS = (
    Column("dtype", "dtype (bytes per value)"),
    Column("params_bytes", "model size (params x bytes)", Style.BYTES),
    Column("peak_activation_bytes", "peak activations, sequential", Style.BYTES),
    Column("peak_layer", "  at layer"),
    Column("peak_streamed_bytes", "peak activations, streamed", Style.BYTES),
    Column("peak_streamed_layer", "  at", priority=WIDE),
    Column("forward_pass_bytes", "forward/backward pass size", Style.BYTES, WIDE),
    Column("input_bytes", "input image", Style.BYTES, WIDE),
)
"""The memory totals (memory.py), at the settings' dtype and batch 1."""


def memory_totals(network: NetworkCost) -> dict[str, Any]:
    memory = network.memory
    return {
        "dtype": f"{memory.dtype} ({memory.bytes_per_element})",
        "params_bytes": memory.params_bytes,
        "peak_activation_bytes": memory.peak_activation_bytes,
        "peak_layer": memory.peak_layer,
        "peak_streamed_bytes": memory.peak_streamed_bytes,
        "peak_streamed_layer": memory.peak_streamed_layer,
        "forward_pass_bytes": memory.forward_pass_bytes,
        "input_bytes": memory.input_bytes,
    }


UNCOUNTED_COLUMN = Column("uncounted", "layers not counted", Style.NUMBER)
"""For a graph (a Keras model): how many layers no formula counts; the totals leave them out."""


def network_totals(network: NetworkCost) -> View:
    """The totals of a network: its counts, then its memory (and for a graph, the layers not counted)."""
    uncounted = network.uncounted
    if uncounted is None:
        return totals_view(
            "Totals", network.totals, MEMORY_COLUMNS, network.convention, **memory_totals(network)
        )
    view = totals_view(
        "Totals", network.totals, (UNCOUNTED_COLUMN, *MEMORY_COLUMNS), network.convention,
        uncounted=len(uncounted), **memory_totals(network),
    )  # fmt: skip
    if uncounted:
        more = ", ..." if len(uncounted) > 5 else ""
        view.notes.append(
            f"incomplete: {quantity(len(uncounted), 'layer')} not counted ({', '.join(uncounted[:5])}{more})."
        )
    for note in getattr(network.architecture, "notes", ()):
        view.notes.append(note)
    return view
