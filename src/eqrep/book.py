"""Helpers the chapters share when they run as notebooks (in the book's build, locally, on Colab).

* :func:`glue` puts a computed number into the text of the built book (MyST-NB's ``glue``);
  where MyST-NB is not installed (e.g. on Colab) it does nothing, and the chapters print the
  same numbers below their cells. It is the one copy of a fallback every chapter needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = True) -> None:
    """``myst_nb.glue(name, value, display)`` when MyST-NB is available, else nothing. A numpy
    scalar is glued as the Python number it holds (numpy 2 writes ``np.float64(0.3)`` otherwise,
    which the book's number formats cannot read)."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value.item() if isinstance(value, np.generic) else value, display=display)
