"""Where a model comes from besides the built-in tables and --arch: a Keras model (--keras)."""

import functools
from collections.abc import Callable
from typing import Any

import click

from mobicalc.cli.types import INPUT_SHAPES


def keras_options(command: Callable) -> Callable:
    """--keras and what loading a Keras model takes."""
    options = [
        click.option(
            "--keras",
            metavar="SOURCE",
            help="A Keras model instead of a table: a .keras or .h5 file (its architecture only; no code "
            "runs), or package.module:function returning one, e.g. keras.applications:MobileNetV2 "
            "(called with weights=None, and input_shape, include_top when given). Needs TensorFlow.",
        ),
        click.option(
            "--custom-objects",
            metavar="MODULE",
            multiple=True,
            help="With --keras FILE: import MODULE (your own code) for the custom layer classes the file "
            "names. Repeatable.",
        ),
        click.option(
            "--unsafe",
            is_flag=True,
            help="With --keras FILE: turn Keras' safe mode off, so that a Lambda layer's stored code "
            "loads. That code runs whenever mobicalc calls the model: verify and bench run it on values; "
            "table, check and sweep call every layer symbolically (on placeholders, no values) to walk "
            "the model, and a subclassed model's call() to build and walk it, so the Lambda's Python "
            "runs there too. Only for a file you trust.",
        ),
        click.option(
            "--input-shape",
            type=INPUT_SHAPES,
            help="With --keras: each input's shape without the batch axis, where the model leaves sizes "
            "open (any rank): 224x224x3, or 20x8,10 for two inputs. For an image, --resolution HxW.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return named(command)


def named(command: Callable) -> Callable:
    """``command``, whose ``--keras`` says the command's own name when TensorFlow fails to import."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("keras") is None:  # TensorFlow is not loaded for a table (mobicalc.tf neither)
            return command(*args, **kwargs)
        from mobicalc.tf.runtime import requested_by

        context = click.get_current_context()
        while context.parent is not None and context.parent.parent is not None:  # bench model: bench
            context = context.parent
        with requested_by(context.info_name or "mobicalc"):
            return command(*args, **kwargs)

    return run
