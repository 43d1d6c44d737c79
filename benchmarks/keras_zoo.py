"""Every keras.applications model, walked by mobicalc and counted by TensorFlow: ``python
benchmarks/keras_zoo.py [--only NAME,...] [--sizes default,other,notop]``.

For each model (built with ``weights=None``: no download) at its default size, at one other
size, and with ``include_top=False``, prints mobicalc's MACs and params beside TensorFlow's
(the registered flops of the traced graph, halved, and ``count_params()``;
``mobicalc/tf/keras_check.py``), and whether they are equal. A row where TensorFlow cannot
count (an op whose MACs it does not see) says so, never counted as agreement. Exit 0 when every
row that TensorFlow can count agrees.
"""

import argparse
import inspect
import sys
import time

from mobicalc.tf.keras_check import tensorflow_count
from mobicalc.tf.keras_model import import_keras, keras_network
from mobicalc.tf.walk import input_shapes

OTHER = {"InceptionV3": 299, "Xception": 299, "InceptionResNetV2": 299, "NASNetLarge": 331}
"""Models whose smallest input is larger than the other size tried elsewhere (160): their other size."""
DEFAULT = {"NASNetLarge": 331}
"""Models whose reductions need their default size when include_top=False leaves it open (else 224)."""


def builders(keras: object) -> dict[str, object]:
    applications = keras.applications  # type: ignore[attr-defined]
    return {
        name: value
        for name, value in sorted(vars(applications).items())
        if inspect.isfunction(value) and name[0].isupper()
    }


def row(name: str, build: object, setting: str, keras: object) -> tuple[str, ...]:
    kwargs: dict[str, object] = {"weights": None}
    if setting == "other":
        size = OTHER[name] + 32 if name in OTHER else 160
        kwargs["input_shape"] = (size, size, 3)
    elif setting == "notop":
        kwargs["include_top"] = False
    model = build(**kwargs)  # type: ignore[operator]
    shapes = input_shapes(model, None) if all(s is not None for s in model.inputs[0].shape[1:]) else None
    if shapes is None:  # an open size (include_top=False): the model's default size
        default = DEFAULT.get(name, 224)
        shapes = [(default, default, 3)]
    start = time.perf_counter()
    network = keras_network(model, name, shapes=shapes)
    walked = time.perf_counter() - start
    tf = tensorflow_count(model, shapes)
    ours = (network.macs, network.params)
    if tf.blind:
        verdict = "TF cannot count: " + ",".join(tf.blind)
    elif network.uncounted:
        verdict = f"incomplete: {len(network.uncounted)} not counted"
    else:
        verdict = "match" if ours == (tf.macs, tf.params) else "DIFFER"
    keras.backend.clear_session()  # type: ignore[attr-defined]
    shape = "x".join(map(str, shapes[0]))
    return (name, setting, shape, f"{ours[0]:,}", f"{tf.macs:,}", f"{ours[1]:,}", f"{tf.params:,}",
            f"{len(network.records)}", f"{walked * 1000:.0f}", verdict)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated model names")
    parser.add_argument("--sizes", default="default,other,notop")
    arguments = parser.parse_args()
    keras = import_keras()
    names = builders(keras)
    if arguments.only:
        names = {name: names[name] for name in arguments.only.split(",")}
    header = ("model", "setting", "input", "MACs", "TF MACs", "params", "TF params", "layers", "walk ms", "")
    print(" | ".join(header), flush=True)
    failures = 0
    for name, build in names.items():
        for setting in arguments.sizes.split(","):
            try:
                cells = row(name, build, setting, keras)
            except Exception as error:  # a model that cannot be built here: said, and counted as failing
                cells = (
                    name,
                    setting,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"ERROR {type(error).__name__}: {error}"[:120],
                )
            failures += cells[-1] not in ("match",) and not cells[-1].startswith("TF cannot")
            print(" | ".join(cells), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
