"""``mobicalc verify``: every count proved against TensorFlow (imported only when it runs)."""

from typing import Any

import click

from mobicalc.cli.base import command, emit
from mobicalc.cli.exits import Exit
from mobicalc.cli.network import keras_request, network_of, require_real_channels
from mobicalc.cli.options import model_options
from mobicalc.cli.progress import shown
from mobicalc.views.verify import verify_report

VERIFIABLE = ("keras", "tf-profiler")
"""The conventions whose counts a real Keras model has (tf-profiler: FLOPs as TensorFlow's profiler)."""


@command(short_help="Prove every count against TensorFlow: exit 0 if all agree.")
@model_options
def verify(output_format: str, wide: bool, **options: Any) -> None:
    """Prove every count against the real TensorFlow models: exit 0 if all agree, 1 if not.

    \b
    Builds a tf.keras model from the same architecture table the engine reads
    (built-in or --arch), and for a built-in model also tf.keras.applications'
    (MobileNet, MobileNetV2, MobileNetV3Large/Small) with the same settings,
    then compares layer by layer:
      params  each layer's count_params() (with its batch-norm), and
              model.count_params(), trainable and non-trainable;
      MACs    TensorFlow's own per-op statistic for Conv2D,
              DepthwiseConv2dNative and MatMul in the traced graph (2 x MACs);
      shapes  every layer's output shape (padding at odd sizes shows here).
    Also prints the tf.compat.v1.profiler float_operation() total and how it
    relates to MACs. A check that cannot run (keras.applications below 32
    pixels, or for a user table) is shown as skipped, with why.

    \b
    With --keras SOURCE, any Keras model: TensorFlow traces it one layer
    call at a time and each row (matched by name, outer/inner in a nested
    model) shows the flops of the ops that call made, its count_params()
    and output shape. A layer whose MACs TensorFlow cannot count (grouped
    conv, transposed conv whose output is not input x stride,
    Conv3DTranspose, attention einsums, RNN loops) is "not comparable": no
    verdict, never agreement, counted in the last line; the MACs total is
    then not compared. With --convention tf-profiler each row's FLOPs too,
    against the flops TensorFlow registers for every op of that call, and
    the total against the profiler's float_operation() of the whole model.

    \b
    Needs TensorFlow: pip install 'mobicalc[tf]'. Exit codes:
      0    every check that ran agrees
      1    some count differs
      2    usage error, or a model too large for TensorFlow to build
           (over 2**28 params) or count (flops statistics over 2**62)
      3    TensorFlow or Keras missing, or failing to import
      130  interrupted (Ctrl-C)
    """
    if options["convention"] not in VERIFIABLE:
        raise click.UsageError(
            f"verify proves the counts of real Keras models: use --convention {' or '.join(VERIFIABLE)}, "
            f"not {options['convention']}"
        )
    if options.get("keras") is not None:
        from mobicalc.tf.keras_verify import verify_keras

        keras = options.pop("keras")
        model, arch, no_top = options.pop("model"), options.pop("arch"), options.pop("no_top")
        request = keras_request(
            model, arch, no_top, options.pop("custom_objects"), options.pop("unsafe"),
            options.pop("input_shape"), **options,
        )  # fmt: skip
        with shown() as progress:
            progress(f"loading {keras}, tracing it layer by layer and counting with TensorFlow")
            verification = verify_keras(keras, **request)
        emit(verify_report(verification), output_format, wide)
        if not verification.ok:
            raise SystemExit(Exit.FAILED)
        return
    network = network_of(**options)
    require_real_channels(network, options["rounding"])
    from mobicalc.tf.verify import verify_network

    with shown() as progress:
        verification = verify_network(network, progress)
    emit(verify_report(verification), output_format, wide)
    if not verification.ok:
        raise SystemExit(Exit.FAILED)
