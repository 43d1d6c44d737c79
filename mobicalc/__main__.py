"""``python -m mobicalc``: the same CLI as the ``mobicalc`` command."""

try:
    from mobicalc.cli import run
except KeyboardInterrupt:  # Ctrl-C while the CLI itself is still loading
    import sys

    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None  # Exit.INTERRUPTED

run()
