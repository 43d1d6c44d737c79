"""The exit codes every command follows; README.md and ``mobicalc --help`` list them.

Verdicts (within budget, agrees with TensorFlow) are the engine's; the CLI
maps them, and the ways a run can fail, to these codes.
"""

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2  # Click's own code for usage errors
    MISSING_DEPENDENCY = 3
    OUTPUT_ERROR = 74  # EX_IOERR of sysexits.h
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it
    BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report `yes | head -1`


MEANINGS = {
    Exit.OK: "success: within budget, all counts agree",
    Exit.FAILED: "over budget or an incomplete count (check), no configuration within budget (sweep), "
    "or counts differ from TensorFlow (verify)",
    Exit.USAGE: "usage error: a bad option or a bad architecture table",
    Exit.MISSING_DEPENDENCY: "an optional dependency is missing or broken (verify or bench without "
    "TensorFlow, --plot without matplotlib)",
    Exit.OUTPUT_ERROR: "the output could not be written (stdout closed, device full)",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
    Exit.BROKEN_PIPE: "the reader of the output went away (broken pipe); nothing more is written",
}
"""What each code means, in one line: the one copy that help and docs show."""
