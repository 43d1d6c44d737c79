"""TensorFlow and Keras, imported quietly and only when asked for; the limits of what they can count.

Nothing here imports TensorFlow at module level: ``import mobicalc.tf.runtime``
stays cheap, and commands other than verify and bench never load it.
"""

import os
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mobicalc.count.network import NetworkCost
from mobicalc.errors import MissingDependency, Refused
from mobicalc.model.rounding import Count
from mobicalc.numbers import grouped, significant

INSTALL = "pip install 'mobicalc[tf]' (or pip install -e '.[tf]' from a checkout)"

# What verify lets TensorFlow build; the engine's own counts have no limit.
MAX_WEIGHTS = 2**28
"""Params (1 GiB at float32). Keras allocates and initialises every weight of both
models it builds; measured, a build peaks at about 3x the weights' bytes plus 0.6 GB."""
MAX_STATISTIC = 2**62
"""TensorFlow counts flops in int64; verify keeps its totals below half of 2**63."""
ELEMENTWISE_PER_ELEMENT = 8
"""A bound on the profiler's elementwise flops per activation element (measured: about 2)."""


Progress = Callable[[str], None]
"""Told what a long piece of work is doing, in a few words ("importing TensorFlow", "round 3 of 15"),
so that a terminal can show it; the CLI's shows it on stderr (``mobicalc.cli.progress``)."""


def silent(step: str) -> None:
    """A ``Progress`` that shows nothing: the Python API's default, and the CLI's off a terminal."""


class TensorFlowMissing(MissingDependency):
    """TensorFlow or Keras is missing or fails to import; the message says how to install it."""


class TensorFlowCannotBuild(Refused):
    """A model beyond what verify lets TensorFlow build or count; the message names the limit."""


def _short(error: BaseException) -> str:
    """An exception in one short line: its type and the first line of its message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


KERAS_FRAME = ("Exception encountered when calling", "Arguments received by", "\u2022")
"""The lines Keras wraps a layer's exception in (what it was called on): not the reason."""


def reason(error: BaseException, limit: int = 240) -> str:
    """What the user's own code or Keras said went wrong, in one line: ``Type: message``, where the
    message is the part Keras emphasises (a layer's own exception, inside what Keras wraps it in),
    else the last line that is not Keras' wrapping, whitespace collapsed, cut at ``limit``."""
    text = str(error)
    emphasised = re.search(r"\x1b\[1m(.*?)\x1b\[0m", text, re.DOTALL)
    text = re.sub(r"\x1b\[[0-9;]*m", "", emphasised.group(1) if emphasised else text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(KERAS_FRAME)]
    message = " ".join(" ".join(lines).split()) if emphasised else (lines[-1] if lines else "")
    if len(message) > limit:
        message = message[: limit - 3] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _number(value: Count) -> str:
    """A count in a message: grouped digits, or scientific notation when it would run long."""
    return grouped(value) if value < 10**16 else f"{significant(value, 4):.3E}"


def check_buildable(network: NetworkCost) -> None:
    """Refuse, before importing TensorFlow, a model TensorFlow cannot build or count.

    Activations are never allocated (verify only traces the graph), so their size
    matters only through TensorFlow's int64 statistics; weights are allocated.
    """
    params = sum(record.cost.params for record in network.records)
    if params > MAX_WEIGHTS:
        raise TensorFlowCannotBuild(
            f"TensorFlow cannot build this model for verify: its weights would hold {_number(params)} "
            f"params, over verify's limit of {_number(MAX_WEIGHTS)} (1 GiB at float32; "
            "building takes about 3 times that in memory)"
        )
    macs = sum(record.cost.macs for record in network.records)
    first = network.records[0].layer.input
    elements = first.height * first.width * first.channels + sum(
        output.height * output.width * output.channels
        for output in (record.layer.output for record in network.records)
    )
    statistic = 2 * macs + ELEMENTWISE_PER_ELEMENT * elements
    if statistic > MAX_STATISTIC:
        raise TensorFlowCannotBuild(
            f"TensorFlow cannot count this model: its flops statistics (2 x MACs plus elementwise ops) "
            f"would reach {_number(statistic)}, over verify's limit of 2**62 (TensorFlow counts them "
            "in int64)"
        )


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence what TensorFlow writes to file descriptor 2 (CUDA probes, absl logs, warnings).

    Python exceptions still show: they are printed after the descriptor is restored.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


IMPORT_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # no C++ logs
    "CUDA_VISIBLE_DEVICES": "-1",  # the CPU: counting needs no GPU, and probing one is slow and noisy
    "KERAS_BACKEND": "tensorflow",  # verify traces TensorFlow graphs, whatever the user's default
}
"""What TensorFlow and Keras are imported with; the environment is as it was afterwards."""


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in os.environ while the block runs (a variable the user set wins), then as before."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if name != "KERAS_BACKEND":
            os.environ.setdefault(name, value)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, before in saved.items():
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before


REQUESTED_BY: ContextVar[str | None] = ContextVar("requested_by", default=None)
"""The command running (set by the CLI, ``requested_by``): what a failed import says needs TensorFlow."""


@contextmanager
def requested_by(command: str) -> Iterator[None]:
    """Within, a failed TensorFlow import says that ``command`` needs it."""
    token = REQUESTED_BY.set(command)
    try:
        yield
    finally:
        REQUESTED_BY.reset(token)


@contextmanager
def quiet_import() -> Iterator[None]:
    """What TensorFlow is imported in (no C++ logs, the CPU, stderr silenced): for the user's modules too,
    which import it or Keras themselves."""
    with quiet_stderr(), _environment(IMPORT_ENVIRONMENT):
        yield


def import_tensorflow(command: str = "verify") -> Any:
    """Import TensorFlow and Keras quietly, on the CPU; TensorFlowMissing if either fails, saying
    that the command running (``requested_by``), else ``command``, needs it.

    Any exception counts, not only ImportError: a broken install raises all sorts
    (a RuntimeError from the runtime, an AttributeError from mismatched versions, even SystemExit).
    """
    if sys.modules.get("tensorflow") is not None and sys.modules.get("keras") is not None:
        return sys.modules["tensorflow"]
    package = "TensorFlow"
    try:
        with quiet_import():
            import tensorflow as tf

            tf.config.list_physical_devices("CPU")  # initialises the runtime, whose logs we silence
            package = "Keras"
            import keras

            if keras.backend.backend() != "tensorflow":
                raise RuntimeError(f"Keras was imported with the {keras.backend.backend()} backend")
    except (Exception, SystemExit) as error:
        missing = isinstance(error, ModuleNotFoundError) and error.name in ("tensorflow", "keras")
        what = "is not installed" if missing else "fails to import"
        raise TensorFlowMissing(
            f"{REQUESTED_BY.get() or command} needs {package}, which {what} ({_short(error)}): {INSTALL}"
        ) from None
    return tf
