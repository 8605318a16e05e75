"""Trained models shipped with the package (``eqrep.shipped``), so that chapters run in minutes on a CPU (and on Colab).

Each shipped model is a folder ``<name>/`` with ``best.pt`` and ``manifest.json`` (config,
metrics per epoch, data source, commit). The manifest names the command that reproduces it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["shipped", "ship"]

_HERE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Folder of the shipped checkpoint ``name`` (e.g. ``"graph_vae"``)."""
    folder = _HERE / name
    if not (folder / "best.pt").exists():
        available = sorted(p.name for p in _HERE.iterdir() if (p / "best.pt").exists())
        raise FileNotFoundError(f"no shipped checkpoint '{name}'; available: {available}")
    return folder


def ship(run_dir: Path | str, name: str) -> Path:
    """Copy ``best.pt`` and ``manifest.json`` of a finished run into the package as ``name``."""
    run_dir, folder = Path(run_dir), _HERE / name
    folder.mkdir(exist_ok=True)
    for file in ("best.pt", "manifest.json"):
        shutil.copyfile(run_dir / file, folder / file)
        (folder / file).chmod(0o644)
    return folder
