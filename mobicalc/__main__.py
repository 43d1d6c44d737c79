"""``python -m mobicalc``: the same CLI as the ``mobicalc`` command."""

from mobicalc.cli import main

main(prog_name="mobicalc")
