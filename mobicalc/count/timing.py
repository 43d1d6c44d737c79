"""Measured times and what is read from them: the least, the median, the ratio of two paired runs.

Pure arithmetic over samples that ``mobicalc.tf.bench`` measures. A sample is the
time of one call, averaged over the calls of one round (enough calls to last
``SAMPLE_SECONDS``, so a timer's resolution and a call's floor do not dominate).
Two things timed in the same rounds are paired: each round's ratio is taken, then
their median, so that a slow spell of a shared machine slows both sides of a
ratio, not one.
"""

import math
import statistics
from typing import NamedTuple

ROUNDS = 15
"""Interleaved rounds by default: one sample of each thing timed per round."""
MAX_ROUNDS = 1000
"""The most rounds bench takes."""
MAX_THREADS = 1024
"""The most threads per op bench sets (0: TensorFlow's default)."""
SAMPLE_SECONDS = 0.030
"""How long one sample lasts at least: about 30 ms of calls."""


class Samples(NamedTuple):
    """The rounds' times of one thing timed: seconds per call, one sample per round, in order."""

    seconds: tuple[float, ...]
    calls: int
    """Calls per round: each sample is their mean."""

    @property
    def least(self) -> float:
        """The fastest round: on a shared machine, the one least disturbed."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """The slowest round over the fastest: 1.0 when every round took the same time."""
        return max(self.seconds) / self.least


def paired_ratio(numerator: Samples, denominator: Samples) -> float:
    """The median over rounds of each round's ratio (``numerator`` / ``denominator``)."""
    if len(numerator.seconds) != len(denominator.seconds):
        raise ValueError("paired samples need the same rounds")
    return statistics.median(a / b for a, b in zip(numerator.seconds, denominator.seconds, strict=True))


def calls_per_sample(seconds_per_call: float, target: float = SAMPLE_SECONDS) -> int:
    """How many calls make a sample last ``target`` seconds at least (one, for a slow call)."""
    if seconds_per_call <= 0:
        return 1
    return max(1, math.ceil(target / seconds_per_call))
