"""``mobicalc bench``: measured time beside the counts, through TensorFlow on this machine's CPU.

How it measures (docs/bench.md): threads are set before TensorFlow runs an op;
each model is one compiled ``tf.function`` at batch 1, warmed up, then timed in
interleaved rounds (each thing timed once per round, the order reversed every
other round), each sample lasting about 30 ms of calls. Per-layer times come from
TensorFlow's profiler over whole-model calls, each op given to the layer that made
it (``count.attribution``), so the layers' shares add up to the whole. Nothing here
judges a time: there is no pass or fail.
"""

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from mobicalc.count.attribution import Attribution, OpTime, attribute
from mobicalc.count.layer import LayerComparison, compare_layer
from mobicalc.count.memory import elements
from mobicalc.count.network import NetworkCost
from mobicalc.count.timing import ROUNDS, Samples, calls_per_sample, paired_ratio
from mobicalc.errors import NetworkError, Refused
from mobicalc.model.layers import Layer
from mobicalc.model.rounding import KERAS, Count
from mobicalc.model.standard import standard_layers
from mobicalc.numbers import grouped, quantity
from mobicalc.tf.build import build_network
from mobicalc.tf.environment import Environment, environment, set_threads
from mobicalc.tf.runtime import MAX_WEIGHTS, Progress, import_tensorflow, silent
from mobicalc.tf.trace import compile_forward, profile

WARM_UP = 3
"""Calls before any is timed (after the one that compiles)."""
ITERATIONS = 20
"""Whole-model calls the profiler traces for the per-layer times."""
MAX_MACS = 10**11
"""The most MACs a call bench runs: a second or more a call on a CPU, each timed many times."""
MAX_ELEMENTS = 2**28
"""The largest tensor bench allocates, in values (1 GiB at float32)."""
PARTS = ("standard", "depthwise", "pointwise", "separable")


class TooLargeToBench(Refused):
    """A model or layer that bench would take too long or too much memory to run."""


@dataclass(frozen=True)
class ModelBench:
    """A network timed as a whole, its layers' times from the profiler, and optionally its standard side."""

    network: NetworkCost
    environment: Environment
    model: Samples
    """The whole model's time per call, a sample per round."""
    attribution: Attribution
    """The profiler's ops of ``attribution.iterations`` whole-model calls, given to layers."""
    standard: Samples | None = None
    """The standard-convolution network (every separable pair one full convolution), in the same rounds."""
    raw: tuple[str, ...] = ()
    """A subclassed model's rows of raw ops (``raw ops in call()``, one per ``call()`` that made any):
    timed in ``attribution`` after the network's records, never counted."""

    @property
    def time_ratio(self) -> float | None:
        """The median of each round's separable / standard time; None without the standard side."""
        return paired_ratio(self.model, self.standard) if self.standard is not None else None


@dataclass(frozen=True)
class RatioBench:
    """One layer as standard convolution and as its separable pair, timed in the same rounds."""

    comparison: LayerComparison
    environment: Environment
    parts: dict[str, Samples]
    """Per part of ``PARTS``, each called on its own (the separable pair: both layers in one call)."""
    kernels: dict[str, float]
    """Per part, the time of its ops in the median traced call, from the profiler: what is left of a
    call without its fixed cost (the standard layer and the pair traced in turn; the separable pair's
    both layers)."""
    iterations: int

    @property
    def time_ratio(self) -> float:
        """The median of each round's separable / standard time."""
        return paired_ratio(self.parts["separable"], self.parts["standard"])

    @property
    def kernel_ratio(self) -> float:
        return self.kernels["separable"] / self.kernels["standard"]


def check_benchable(layers: tuple[Layer, ...], macs: Count, params: Count, what: str) -> None:
    """Refuse, before importing TensorFlow, what bench cannot run in a sensible time and memory."""
    fractional = [layer.name for layer in layers if not isinstance(layer.output.channels, int)]
    if fractional:
        raise NetworkError(
            f"layer {fractional[0]} has fractional channels, which no real model has: "
            "use rounding keras, int or divisible-by-8"
        )
    largest = max(elements(shape) for layer in layers for shape in (layer.input, layer.output))
    for value, limit, unit in (
        (macs, MAX_MACS, "MACs a call"),
        (params, MAX_WEIGHTS, "params"),
        (largest, MAX_ELEMENTS, "values in its largest tensor"),
    ):
        if value > limit:
            raise TooLargeToBench(
                f"bench runs {what} many times: {grouped(value)} {unit} is over its limit of {grouped(limit)}"
            )


def time_rounds(
    subjects: dict[str, tuple[Callable[[Any], Any], Any]], rounds: int, progress: Progress = silent
) -> dict[str, Samples]:
    """Time each ``name: (function, input)`` in interleaved rounds: one sample each per round, the order
    reversed every other round; a sample is the mean of enough calls to last about 30 ms."""
    calls = {}
    progress("warming up")
    for name, (function, x) in subjects.items():
        for _ in range(WARM_UP):
            function(x)
        once = []
        for _ in range(3):
            start = time.perf_counter()
            function(x)
            once.append(time.perf_counter() - start)
        calls[name] = calls_per_sample(min(once))
    seconds: dict[str, list[float]] = {name: [] for name in subjects}
    order = list(subjects)
    collecting = gc.isenabled()
    gc.disable()  # a collection inside a sample would time Python, not the model
    try:
        for number in range(rounds):
            progress(f"timing: round {number + 1} of {rounds}")
            for name in order if number % 2 == 0 else reversed(order):
                function, x = subjects[name]
                start = time.perf_counter()
                for _ in range(calls[name]):
                    function(x)
                seconds[name].append((time.perf_counter() - start) / calls[name])
    finally:
        if collecting:
            gc.enable()
    return {name: Samples(tuple(seconds[name]), calls[name]) for name in subjects}


class _Compiled:
    """A model of engine layers, compiled, with the scope of each engine layer's ops and an input."""

    def __init__(self, layers: tuple[Layer, ...], name: str) -> None:
        tf = import_tensorflow("bench")
        model, owners = build_network(layers, name)
        self.function, scopes = compile_forward(model)
        self.scopes = {scope: owners[keras] for scope, keras in scopes.items() if keras in owners}
        self.layers = tuple(layer.name for layer in layers)
        first = layers[0].input
        self.x = tf.random.stateless_normal((1, first.height, first.width, first.channels), seed=(1, 2))

    @property
    def call(self) -> tuple[Callable[[Any], Any], Any]:
        return self.function, self.x

    def attribution(self, ops: list[OpTime], iterations: int) -> Attribution:
        """``ops`` of a trace of ``iterations`` calls given to this model's layers (another model's ops
        traced with it are under none of its scopes)."""
        return attribute(ops, self.scopes, self.layers, iterations)


def start_tensorflow(threads: int, progress: Progress) -> Environment:
    """Import TensorFlow and set its threads (before any op runs); the environment measured in."""
    progress("importing TensorFlow")
    import_tensorflow("bench")
    set_threads(threads)
    return environment()


def bench_network(
    network: NetworkCost,
    *,
    standard: bool = False,
    threads: int = 0,
    rounds: int = ROUNDS,
    iterations: int = ITERATIONS,
    progress: Progress = silent,
) -> ModelBench:
    """Time ``network`` (batch 1, float32) as a whole and per layer; with ``standard``, its
    standard-convolution network too, in the same rounds. ``threads``: each op's threads (0: TensorFlow's
    default). Refused before TensorFlow loads when too large to run (TooLargeToBench)."""
    if rounds < 1 or iterations < 1:
        raise NetworkError("bench needs at least one round and one profiled call")
    layers = network.layers
    check_benchable(layers, network.macs, network.params, "the model")
    others = standard_layers(layers) if standard else ()
    if standard:
        check_benchable(others, network.standard.macs, network.standard.params, "the standard network")
    found = start_tensorflow(threads, progress)
    import keras

    progress(f"building and tracing the model ({quantity(len(layers), 'layer')})")
    model = _Compiled(layers, "mobicalc")
    subjects = {"model": model.call}
    if standard:
        progress("building and tracing the standard-convolution model")
        conventional = _Compiled(others, "mobicalc_standard")
        subjects["standard"] = conventional.call
    samples = time_rounds(subjects, rounds, progress)
    progress(f"profiling {iterations} calls")
    attribution = model.attribution(profile([model.call], iterations), iterations)
    keras.backend.clear_session()
    return ModelBench(network, found, samples["model"], attribution, samples.get("standard"))


def bench_layer(
    comparison: LayerComparison,
    *,
    threads: int = 0,
    rounds: int = ROUNDS,
    iterations: int = ITERATIONS,
    progress: Progress = silent,
) -> RatioBench:
    """Time one layer as standard convolution, its depthwise and pointwise layers alone, and the pair."""
    if rounds < 1 or iterations < 1:
        raise NetworkError("bench needs at least one round and one profiled call")
    standard, depthwise, pointwise = comparison.layers()
    every = (standard, depthwise, pointwise)
    check_benchable(every, comparison.standard.macs, comparison.standard.params, "the layer")
    found = start_tensorflow(threads, progress)
    import keras

    progress("building and tracing the layers")
    models = {
        "standard": _Compiled((standard,), "standard"),
        "depthwise": _Compiled((depthwise,), "depthwise"),
        "pointwise": _Compiled((pointwise._replace(reads=depthwise.reads, pair=None),), "pointwise"),
        "separable": _Compiled((depthwise, pointwise), "separable"),
    }
    parts = time_rounds({name: model.call for name, model in models.items()}, rounds, progress)
    progress(f"profiling {iterations} calls of each")
    ops = profile([models["standard"].call, models["separable"].call], iterations)  # in turn: one spell
    pair = models["separable"].attribution(ops, iterations)
    alone = models["standard"].attribution(ops, iterations)
    kernels = {
        "standard": _typical(alone, ("standard",)),
        "depthwise": _typical(pair, ("depthwise",)),
        "pointwise": _typical(pair, ("pointwise",)),
        "separable": _typical(pair, ("depthwise", "pointwise")),
    }
    keras.backend.clear_session()
    return RatioBench(comparison, found, parts, kernels, iterations)


def _typical(attribution: Attribution, layers: tuple[str, ...]) -> float:
    """The layers' seconds in the median traced call (a spike of a shared machine in a few calls left
    out); their mean when the trace cannot be split into calls."""
    calls = [attribution.per_iteration(layer) for layer in layers]
    if any(seconds is None for seconds in calls):
        return sum(attribution.seconds(layer) for layer in layers)
    return statistics.median(map(sum, zip(*calls, strict=True)))


def bench_ratio(
    N: int,
    dk: int,
    M: int | None = None,
    dp: int = 1,
    alpha: Fraction = Fraction(1),
    rho: Fraction = Fraction(1),
    rounding: str = KERAS,
    *,
    threads: int = 0,
    rounds: int = ROUNDS,
    progress: Progress = silent,
) -> RatioBench:
    """Time one layer as ``mobicalc bench ratio`` does, with the arguments of ``mobicalc.compare_layer``."""
    comparison = compare_layer(N=N, dk=dk, M=M, dp=dp, alpha=alpha, rho=rho, rounding=rounding)
    return bench_layer(comparison, threads=threads, rounds=rounds, progress=progress)
