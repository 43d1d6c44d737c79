"""The Keras route's speed: ``python benchmarks/keras_route.py [--runs N]``.

1. ``mobicalc table --keras resnet50.keras --format json``, the whole process, against
   ``python -c "import keras; keras.saving.load_model(path, compile=False)"`` (the issue's target:
   at most 1.3x), medians of N runs each.
2. The walk alone (``tf.walk.walk`` and the records), per 1,000 operations, over a few models.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    from mobicalc.count.graph import graph_records
    from mobicalc.tf.keras_model import import_keras
    from mobicalc.tf.walk import input_shapes, walk

    keras = import_keras()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "resnet50.keras")
        keras.applications.ResNet50(weights=None).save(path)
        load = [sys.executable, "-c", f"import keras; keras.saving.load_model({path!r}, compile=False)"]
        ours = [sys.executable, "-m", "mobicalc", "table", "--keras", path, "--format", "json"]
        loads = [timed(load, env) for _ in range(runs)]
        tables = [timed(ours, env) for _ in range(runs)]
    load_s, table_s = statistics.median(loads), statistics.median(tables)
    print(f"ResNet50: keras load_model {load_s:.2f} s; mobicalc table --keras {table_s:.2f} s "
          f"({table_s / load_s:.2f}x; target at most 1.3x)")  # fmt: skip
    for name in ("MobileNetV2", "ResNet50", "DenseNet201", "EfficientNetB7"):
        model = getattr(keras.applications, name)(weights=None)
        shapes = input_shapes(model, None)
        times, count = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            steps = walk(model, keras, shapes)
            graph_records(steps)
            times.append(time.perf_counter() - start)
            count = len(steps)
        median = statistics.median(times) * 1000
        print(f"walk {name}: {count} operations, {median:.0f} ms, {median / count * 1000:.0f} ms per 1,000")
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
