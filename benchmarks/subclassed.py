"""``bench --keras`` on a subclassed model runs what ``model(x)`` runs: ``python benchmarks/subclassed.py``.

``bench`` traces a subclassed model's ``call()`` with every recorded layer call in a name scope of its
own (``trace.compile_graph``). Name scopes change no op, so the compiled function should take the time
of a plain ``tf.function(lambda x: model(x))``. This times both in the same interleaved rounds
(``tf.bench.time_rounds``, as bench times) on a small subclassed model (a convolution, a composite
block with a raw relu, a shared layer, a raw matmul) and prints the medians, the fastest rounds, the
median of each round's ratio, and the largest difference in their outputs. Nothing is a pass or a fail.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def small_model(keras):
    layers = keras.layers

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dw = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="dw")
            self.bn = layers.BatchNormalization(name="bn")
            self.pw = layers.Conv2D(64, 1, use_bias=False, name="pw")

        def call(self, x):
            return self.pw(keras.ops.relu(self.bn(self.dw(x))))

    class Net(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(32, 3, strides=2, padding="same", name="conv")
            self.block = Block(name="block")
            self.shared = layers.Conv2D(64, 1, name="shared")
            self.pool = layers.GlobalAveragePooling2D(name="pool")
            self.w = self.add_weight(shape=(64, 10), name="w")

        def call(self, x):
            x = self.shared(self.shared(self.block(self.conv(x))))
            return keras.ops.matmul(self.pool(x), self.w)

    return Net(name="net")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--resolution", type=int, default=64)
    arguments = parser.parse_args()
    import keras
    import numpy as np

    import mobicalc
    from mobicalc.tf.bench import time_rounds
    from mobicalc.tf.runtime import import_tensorflow
    from mobicalc.tf.trace import compile_graph

    tf = import_tensorflow()
    shape = (arguments.resolution, arguments.resolution, 3)
    model = small_model(keras)
    mobicalc.cost(model, input_shape=[shape])  # built, as bench builds it
    compiled, tracer = compile_graph(model, [shape])
    plain = tf.function(lambda x: model(x, training=False))
    x = tf.random.stateless_normal((1, *shape), seed=(1, 0))
    difference = float(np.abs(compiled(x).numpy() - plain(x).numpy()).max())
    samples = time_rounds({"compiled": (compiled, x), "model(x)": (plain, x)}, arguments.rounds)
    ratio = statistics.median(
        a / b for a, b in zip(samples["compiled"].seconds, samples["model(x)"].seconds, strict=True)
    )
    print(f"small subclassed model at {'x'.join(map(str, shape))}, batch 1, {arguments.rounds} rounds")
    print(f"rows the profiler can give time to: {len(set(tracer.scopes.values()))}")
    for name, sample in samples.items():
        print(f"{name:>9}: median {sample.median * 1e6:8.1f} µs, fastest {sample.least * 1e6:8.1f} µs")
    print(f"compiled / model(x), median of each round's ratio: {ratio:.3f}")
    print(f"largest difference between their outputs: {difference}")


if __name__ == "__main__":
    main()
