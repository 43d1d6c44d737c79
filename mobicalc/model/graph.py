"""A network that comes as a graph of layers (a Keras model), not as a table: what it is and where from.

``NetworkCost`` describes its source with this record as it does with a table's ``Architecture``:
a name, where it comes from, its input size; a graph has no width multiplier nor rounding of its
own, so those are the defaults (alpha 1, ``keras``).
"""

from typing import NamedTuple

from mobicalc.model.layers import Resolution

RAW_KIND = "raw ops"
"""The kind of a row of a subclassed model's raw ops in ``call()`` (``verify``, ``bench``): ops no layer
call made, which TensorFlow runs and counts and mobicalc does not."""


class GraphModel(NamedTuple):
    name: str
    """The model's own name (``model.name``)."""
    source: str
    """What it is: ``Keras model (Functional)``."""
    path: str
    """Where it comes from: the file, ``module:function``, or ``keras.Model object``."""
    resolution: Resolution
    """The first input's height and width for an image input (three axes); else 1."""
    input_channels: int
    inputs: tuple[tuple[int, ...], ...]
    """Every input's shape at batch 1, without the batch axis."""
    notes: tuple[str, ...] = ()
    """What the walk could not see (a subclassed model's raw ops), for the reader."""
    unseen_params: int = 0
    """Parameters in weights no layer call the walk saw uses (a subclassed model's raw ops in
    ``call()``, or layers never called): no record counts them, so the count is incomplete."""
    depth_multiplier: int = 1
    variant: str | None = None

    @property
    def details(self) -> dict[str, object]:
        """What a graph adds to the JSON 'model': its inputs' shapes, and what the walk could not see."""
        return {"inputs": [list(shape) for shape in self.inputs], "notes": list(self.notes)}
