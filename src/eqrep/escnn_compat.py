"""escnn without ``lie_learn``: the one place the book handles escnn's SO(3)-only dependency.

escnn 1.0.11 imports ``lie_learn`` when it is imported (``escnn/group/groups/so3_utils.py``), for
a single function, ``lie_learn.representations.SO3.wigner_d.wigner_D_matrix``: the Wigner-D
matrices of SO(3). This book only uses SO(2), O(2), C_n and D_n, whose code does not touch
lie_learn, but the import alone fails where lie-learn cannot be installed: its last release
(0.0.2) has wheels for Python 3.9-3.12 only, no source distribution, and was built against
numpy 1, so on numpy 2 (Colab's runtimes, this book's lock) even an installed copy fails to
import. lie_learn's numpy-2 fix exists on its development branch but was never released.

:func:`import_escnn` therefore imports escnn after :func:`ensure_lie_learn`: when a working
``lie_learn`` is importable it is used untouched; otherwise a minimal stand-in package is
registered in ``sys.modules`` whose ``wigner_D_matrix`` raises :class:`SO3Unavailable` with
the reason. So escnn imports, everything the book uses works, and anything that needs SO(3)
Wigner matrices fails with a clear error instead of a wrong result. escnn itself is neither
forked nor copied.

escnn also warns at import that ``py3nj`` (a Fortran package that speeds up SO(3)
Clebsch-Gordan coefficients) is missing; that warning concerns SO(3) only and is silenced here.

Every module of the package that needs escnn imports it through :func:`import_escnn`.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings

__all__ = ["SO3Unavailable", "STAND_IN_MARK", "ensure_lie_learn", "stand_in_active", "import_escnn"]

STAND_IN_MARK = "__eqrep_stand_in__"
"""Attribute set on the stand-in ``lie_learn`` module (``True``), to tell it from the real package."""

_WIGNER_MODULE = "lie_learn.representations.SO3.wigner_d"


class SO3Unavailable(ImportError):
    """Raised by the stand-in ``wigner_D_matrix``: SO(3) Wigner-D matrices need the real ``lie_learn``."""


def _wigner_d_unavailable(*args, **kwargs):
    raise SO3Unavailable(
        "escnn needs SO(3) Wigner-D matrices here, which come from the package lie_learn; it is not "
        "installed or does not import (lie-learn 0.0.2 has wheels only for Python <= 3.12, built "
        "against numpy 1). This book uses only SO(2), O(2), C_n and D_n, which do not need it; "
        "see eqrep.escnn_compat. For SO(3), install lie_learn from its development branch "
        "(numpy 2 support) before importing escnn.")


def stand_in_active() -> bool:
    """Whether ``lie_learn`` in ``sys.modules`` is this module's stand-in."""
    module = sys.modules.get("lie_learn")
    return bool(getattr(module, STAND_IN_MARK, False))


def _install_stand_in() -> None:
    for name in [n for n in sys.modules if n == "lie_learn" or n.startswith("lie_learn.")]:
        del sys.modules[name]  # a half-imported broken copy must not shadow the stand-in
    parts = _WIGNER_MODULE.split(".")
    parent = None
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        module = types.ModuleType(name, "stand-in installed by eqrep.escnn_compat (lie_learn unavailable)")
        module.__path__ = []  # a package, so that submodules can be imported from it
        setattr(module, STAND_IN_MARK, True)
        sys.modules[name] = module
        if parent is not None:
            setattr(parent, parts[depth - 1], module)
        parent = module
    parent.wigner_D_matrix = _wigner_d_unavailable


def ensure_lie_learn() -> bool:
    """Make ``import lie_learn.representations.SO3.wigner_d`` succeed before escnn is imported.

    Returns:
        ``True`` if the stand-in was installed (now or earlier), ``False`` if the real
        ``lie_learn`` imports and is used.
    """
    if stand_in_active():
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module(_WIGNER_MODULE)
        return False
    except Exception:  # noqa: BLE001 - missing (ImportError) or built for numpy 1 (ImportError, AttributeError, ...)
        _install_stand_in()
        return True


def import_escnn() -> types.ModuleType:
    """``import escnn`` (with ``escnn.gspaces`` and ``escnn.nn`` loaded), after :func:`ensure_lie_learn`."""
    ensure_lie_learn()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*py3nj.*")
        escnn = importlib.import_module("escnn")
        importlib.import_module("escnn.gspaces")
        importlib.import_module("escnn.nn")
    return escnn
