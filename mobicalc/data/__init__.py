"""Published figures and accuracy, as data (TOML) that reads like its sources: ``DATA`` is where."""

from pathlib import Path

DATA = Path(__file__).parent
"""Read from beside this file: importlib.resources would cost the CLI's start-up time."""
