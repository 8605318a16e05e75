"""Lazy re-exports for the sub-packages: ``from eqrep.models import GraphVAE`` imports only what it names.

A sub-package lists its public API by module; :func:`lazy_exports` returns the ``__all__``,
``__getattr__`` and ``__dir__`` of the package (PEP 562), so that a name is imported from its
module on first use. ``import eqrep.models`` then stays cheap (escnn, for one, is imported only
by the SO(2) classifier, and only when it is asked for).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["lazy_exports"]


def lazy_exports(package: str, modules: dict[str, list[str]]
                 ) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` of ``package`` exporting ``modules[m]`` from ``package.m``.

    Raises:
        ValueError: a name is listed for two modules (the exports must be unambiguous).
    """
    where: dict[str, str] = {}
    for module, names in modules.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package} exports {name} from both {where[name]} and {module}")
            where[name] = module

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return sorted(where), __getattr__, __dir__
