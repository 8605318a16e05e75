"""Where datasets and caches live."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir"]


def data_dir() -> Path:
    """The data folder: ``$EQREP_DATA_DIR`` if set, else the repository's ``data/`` when the
    package runs from a checkout, else ``~/.cache/eqrep/data`` (e.g. on Colab)."""
    env = os.environ.get("EQREP_DATA_DIR")
    if env:
        path = Path(env)
    else:
        repo = Path(__file__).resolve().parents[3]
        path = repo / "data" if (repo / "pyproject.toml").exists() and (repo / "data").is_dir() \
            else Path.home() / ".cache" / "eqrep" / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path
