"""A Keras model's long layer names in 80 columns: table and verify fold them, never cut a number."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.tensorflow

pytest.importorskip("keras")

CONV = "stage_0_block_0_a_rather_long_convolution_name_for_a_test_1"
DEPTHWISE = "stage_0_block_0_a_rather_long_depthwise_convolution_name_2"
DENSE = "classifier_with_an_extremely_long_name_that_goes_on_and_on_3"
MODULE = textwrap.dedent(
    f"""
    import keras
    from keras import layers

    def long_names():
        x = inputs = keras.Input((16, 16, 3))
        x = layers.Conv2D(8, 3, name="{CONV}")(x)
        x = layers.DepthwiseConv2D(3, name="{DEPTHWISE}")(x)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
        return keras.Model(inputs, layers.Dense(10, name="{DENSE}")(x))
    """
)


def piped(folder, *arguments):
    """``mobicalc ARGUMENTS`` into a pipe at COLUMNS=80: its lines."""
    env = {
        **os.environ,
        "COLUMNS": "80",
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.run(
        [sys.executable, "-m", "mobicalc", *arguments], capture_output=True, text=True, env=env, cwd=folder
    )
    assert process.returncode == 0, process.stderr
    return process.stdout.splitlines()


def names(lines):
    """The first column's texts of the first table, a folded one joined again (its later lines indented)."""
    rule = next(index for index, line in enumerate(lines) if line.startswith("--"))
    width = len(lines[rule].split()[0])
    found: list[str] = []
    for line in lines[rule + 1 : lines.index("", rule)]:
        text = line[:width].strip()
        if line.startswith("  "):
            found[-1] += text
        else:
            found.append(text)
    return lines[rule - 1], found


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long_names")
    (folder / "long_names.py").write_text(MODULE)
    return folder


def test_long_names_fit_80_columns_in_the_table_view(folder):
    lines = piped(folder, "table", "--keras", "long_names:long_names")
    assert max(map(len, lines)) <= 80
    assert names(lines)[1] == [CONV, DEPTHWISE, "pool", DENSE]
    # the convolution, valid padding: 14 x 14 outputs x 8 filters x 3 x 3 x 3 = 42,336 MACs, whole, on the
    # first line of its name
    first = next(line for line in lines if line.split()[:1] and CONV.startswith(line.split()[0]))
    assert "42,336" in first.split()


def test_verify_under_tf_profiler_keeps_the_flops_columns_in_80(folder):
    lines = piped(folder, "verify", "--keras", "long_names:long_names", "--convention", "tf-profiler")
    assert max(map(len, lines)) <= 80
    header, found = names(lines)
    assert found == [CONV, DEPTHWISE, "pool", DENSE]
    assert "FLOPs" in header.split() and "TF FLOPs" in header
