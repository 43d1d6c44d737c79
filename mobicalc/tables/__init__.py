"""The built-in architecture tables, as data (TOML, docs/tables.md): ``TABLES`` is where."""

from pathlib import Path

TABLES = Path(__file__).parent
"""Read from beside this file: importlib.resources would cost the CLI's start-up time."""
