"""What a measurement ran on: the CPU, its threads, TensorFlow and whether oneDNN is on, Python.

Times depend on all of it, so every bench output carries it. Threads are set here
too: TensorFlow takes them only before it runs its first op.
"""

import os
import platform
from typing import NamedTuple

from mobicalc.errors import Refused
from mobicalc.tf.runtime import import_tensorflow


class ThreadsAlreadySet(Refused):
    """--threads asked of a process where TensorFlow has run ops already (it takes threads only before)."""


class Environment(NamedTuple):
    cpu: str
    """The CPU's model name, as the system gives it."""
    cpus: int
    """Logical CPUs this process may run on."""
    intra_op_threads: int
    """Threads each op may use: 0 is TensorFlow's default (one per logical CPU this process may use)."""
    inter_op_threads: int
    """Ops that may run at once: 0 is TensorFlow's default."""
    tensorflow: str
    keras: str
    onednn: bool | None
    """Whether TensorFlow runs oneDNN's kernels (TF_ENABLE_ONEDNN_OPTS; on by default on x86 Linux);
    None where TensorFlow cannot say."""
    python: str
    platform: str
    load_average: float | None
    """The system's load over the last minute when the measurement began: other work competes for CPU."""


def cpu_model() -> str:
    """The CPU's model name: from /proc/cpuinfo on Linux, else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _onednn() -> bool | None:
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except Exception:  # a private module: another TensorFlow may not have it
        return None


def set_threads(threads: int) -> None:
    """Let each op use ``threads`` threads and run one op at a time; 0 leaves TensorFlow's defaults.

    TensorFlow takes this only before its first op: a process that ran ops with other threads
    is refused (ThreadsAlreadySet), never measured with threads other than asked.
    """
    if threads == 0:
        return
    tf = import_tensorflow("bench")
    threading = tf.config.threading
    if (threading.get_intra_op_parallelism_threads(), threading.get_inter_op_parallelism_threads()) == (
        threads,
        1,
    ):
        return
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        raise ThreadsAlreadySet(
            f"threads {threads}: TensorFlow has already run ops in this process with "
            f"{threading.get_intra_op_parallelism_threads() or 'its default'} threads, and takes threads "
            "only before its first op; measure in a fresh process"
        ) from None


def environment() -> Environment:
    """The machine and software a measurement runs on (TensorFlow imported)."""
    tf = import_tensorflow("bench")
    import keras

    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    return Environment(
        cpu=cpu_model(),
        cpus=usable_cpus(),
        intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op_threads=tf.config.threading.get_inter_op_parallelism_threads(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        onednn=_onednn(),
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        load_average=load,
    )
