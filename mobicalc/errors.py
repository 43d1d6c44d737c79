"""The errors mobicalc raises on purpose: one base class, so a caller can catch them all.

``MobicalcError`` is a user error (a bad option, setting, table or range): the
CLI says it in one line and exits 2. ``MissingDependency`` is an optional
package that is missing or broken (TensorFlow for verify, matplotlib for
plots): the CLI exits 3. Anything else is a bug.
"""


class MobicalcError(ValueError):
    """Something the user gave that mobicalc cannot take; the message says what and why."""


class Refused(MobicalcError):
    """A request refused as a whole, not for one option (a model too large for TensorFlow to count)."""


class OutputError(MobicalcError):
    """A file mobicalc was asked to write could not be written (a full device)."""


class MissingDependency(MobicalcError):
    """An optional dependency is missing or fails to import; the message says what to install."""


class NetworkError(MobicalcError):
    """Settings no network, or not this one, can take: an unknown dtype or convention, a negative
    alpha, a width that leaves no channels, a resolution that leaves no pixels."""
