"""Reading a table file that may come from anywhere: bounded, never blocking, never recursing deep.

Limits on a table file: none gets near a real network, and each keeps reading,
parsing and costing a hostile file to well under a second.
"""

import errno
import os
import re
import stat
import sys
from functools import cache
from itertools import accumulate
from pathlib import Path

from mobicalc.model.architecture import ArchitectureError

MAX_BYTES = 1024 * 1024
"""The largest table file read (1 MiB): a longer one is refused after reading this much."""
MAX_NESTING = 32
"""How deep arrays and inline tables may nest, and how many parts a dotted key may have."""
MAX_DIGITS = 1000
"""The most digits an integer in a table may have."""
TOO_MANY_DIGITS = 10**MAX_DIGITS
"""The least integer of more than MAX_DIGITS digits."""

FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}

_BRACKET_STEPS = {"[": 1, "{": 1, "]": -1, "}": -1}


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """What the nesting scan looks for, compiled once, when a file is first scanned.

    It skips strings (replaced by a one-letter key, so that a quoted part of a dotted key
    still counts) and comments. Possessive loops: never any backtracking.
    """
    strings_and_comments = re.compile(
        r'"""(?:[^"\\]|\\.|"{1,2}(?!"))*+(?:"{3,5}|\Z)'
        r"|'''(?:[^']|'{1,2}(?!'))*+(?:'{3,5}|\Z)"
        r'|"(?:[^"\\\n]|\\.)*+(?:"|$)'
        r"|'[^'\n]*+(?:'|$)"
        r"|(#)[^\n]*+",
        re.DOTALL | re.MULTILINE,
    )
    not_brackets = re.compile(r"[^\[\]{}]++")
    deep_key = re.compile(rf"(?<![\w-])[\w-]++(?:[ \t]*+\.[ \t]*+[\w-]++){{{MAX_NESTING}}}")
    long_number = re.compile(rf"(?<![\w.+-])[+-]?[0-9](?:_?+[0-9]){{{MAX_DIGITS}}}")
    return strings_and_comments, not_brackets, deep_key, long_number


def read_text(path: Path) -> str:
    """A table file's text: a regular file of at most MAX_BYTES, in UTF-8 (a byte-order mark dropped)."""
    return _decoded(_read(path), path)


def read_stdin() -> str:
    """A table from standard input, at most MAX_BYTES, in UTF-8."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ArchitectureError("<stdin>: cannot read: standard input is closed")
    try:
        data = stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as error:
        raise ArchitectureError(
            f"<stdin>: cannot read: {getattr(error, 'strerror', None) or error}"
        ) from None
    check_size(data, "<stdin>")
    return _decoded(data, "<stdin>")


def _decoded(data: bytes, path: object) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is not part of the table
    except UnicodeDecodeError as error:
        raise ArchitectureError(
            f"{path}: cannot read: not UTF-8 ({error.reason} at byte {error.start})"
        ) from None


def _read(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_BYTES: never a FIFO, a device or a directory.

    Opened without blocking (a FIFO with no writer would wait forever) and checked on
    the open file itself, so that nothing can be swapped in between the check and the read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ArchitectureError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArchitectureError(f"{path}: is a directory, not a TOML table") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ArchitectureError(f"{path}: cannot read: too many levels of symbolic links") from None
        raise ArchitectureError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:  # a NUL in the path
        raise ArchitectureError(f"{path}: cannot read: {error}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ArchitectureError(f"{path}: is a directory, not a TOML table")
        if not stat.S_ISREG(mode):
            kind = FILE_TYPES.get(stat.S_IFMT(mode), "a special file")
            raise ArchitectureError(f"{path}: not a regular file ({kind})")
        chunks = []
        left = MAX_BYTES + 1
        while left and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as error:
        raise ArchitectureError(f"{path}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    check_size(data, str(path))
    return data


def check_size(text: str | bytes, path: str) -> None:
    if len(text) > MAX_BYTES:
        raise ArchitectureError(f"{path}: is larger than the 1 MiB a table may be ({MAX_BYTES:,} bytes)")


def check_nesting(text: str, path: str) -> None:
    """Refuse what would make tomllib recurse too deep or take quadratic time, before it reads a byte.

    A linear scan outside strings and comments: the depth of arrays and inline tables,
    the parts of dotted keys, and the digits of integers. It may misjudge only text that
    tomllib rejects before reaching the part misjudged.
    """
    strings_and_comments, not_brackets, deep_key, long_number = _patterns()
    code = strings_and_comments.sub(lambda match: "" if match.group(1) else "s", text)
    brackets = not_brackets.sub("", code)
    if brackets and max(accumulate(map(_BRACKET_STEPS.__getitem__, brackets))) > MAX_NESTING:
        raise ArchitectureError(
            f"{path}: nests too deep: arrays and inline tables may nest at most {MAX_NESTING} levels"
        )
    if deep_key.search(code):
        raise ArchitectureError(f"{path}: a dotted key has more than {MAX_NESTING} parts")
    if long_number.search(code):
        raise ArchitectureError(f"{path}: a number has more than {MAX_DIGITS:,} digits")
