"""``python -m mobicalc`` and the ``mobicalc`` command: the CLI, with Ctrl-C handled from the start.

The CLI's modules take a moment to import; a Ctrl-C then is one line and exit
130, as at any other time, never a traceback.
"""

import sys


def main() -> None:
    try:
        from mobicalc.cli import run
    except KeyboardInterrupt:  # Ctrl-C while the CLI itself is still loading
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None  # Exit.INTERRUPTED
    run()


if __name__ == "__main__":
    main()
