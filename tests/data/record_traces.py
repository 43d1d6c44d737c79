"""Record the profiler traces that tests/test_bench.py reads: ``python tests/data/record_traces.py``.

Each file holds what ``mobicalc bench`` works from, as TensorFlow gave it on the machine that recorded
it: the op events of a few whole-model calls (name, type, picoseconds, events), the name scope each
Keras layer's ops ran in, and the engine layer each Keras layer belongs to. ``trace-tiny.json`` is the
network of tests/tiny.py, every event; ``trace-v1.json`` is MobileNetV1 (224, alpha 1), the events
of each op added up. Recorded once and committed: the tests check the attribution against them
without TensorFlow, and nothing asserts their times.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for tiny.py

from tiny import TINY  # noqa: E402

from mobicalc.count.network import cost  # noqa: E402
from mobicalc.tf.build import build_network  # noqa: E402
from mobicalc.tf.runtime import import_tensorflow  # noqa: E402
from mobicalc.tf.trace import compile_forward, profile  # noqa: E402


def record(layers, iterations: int, add_up: bool) -> dict:
    tf = import_tensorflow()
    model, owners = build_network(layers)
    function, scopes = compile_forward(model)
    first = layers[0].input
    x = tf.random.stateless_normal((1, first.height, first.width, first.channels), seed=(1, 2))
    for _ in range(3):
        function(x)
    ops: dict[str, list] = {}
    events = []
    for op in profile([(function, x)], iterations):
        if add_up:
            entry = ops.setdefault(op.name, [op.name, op.type, 0, 0])
            entry[2] += op.picoseconds
            entry[3] += 1
        else:
            events.append([op.name, op.type, op.picoseconds, 1])
    return {
        "tensorflow": tf.__version__,
        "iterations": iterations,
        "layers": [layer.name for layer in layers],
        "keras_owners": owners,
        "scopes": scopes,
        "ops": list(ops.values()) if add_up else events,
    }


if __name__ == "__main__":
    for name, layers, iterations, add_up in (
        ("trace-tiny.json", TINY, 3, False),
        ("trace-v1.json", cost("v1").layers, 20, True),
    ):
        (HERE / name).write_text(json.dumps(record(layers, iterations, add_up), indent=1) + "\n")
