"""The API page documents every module of the package, and nothing that does not exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "eqrep"
PRIVATE = {"__init__", "__main__", "_exports"}


def _modules() -> set[str]:
    """``eqrep.x.y`` for every file of the package but the private ones and ``__init__`` files."""
    return {".".join(("eqrep",) + path.relative_to(PACKAGE).with_suffix("").parts)
            for path in PACKAGE.rglob("*.py") if path.stem not in PRIVATE}


def test_every_module_is_on_the_api_page_once():
    documented = re.findall(r"^\.\. automodule:: (\S+)$", (ROOT / "book" / "api.md").read_text(), flags=re.M)
    assert len(documented) == len(set(documented)), "a module is documented twice"
    missing = _modules() - set(documented)
    assert not missing, f"modules missing from book/api.md: {sorted(missing)}"
    packages = {"eqrep.actions", "eqrep.shipped", "eqrep.claims"}  # packages whose __init__ holds code of its own
    stale = set(documented) - _modules() - packages
    assert not stale, f"book/api.md documents modules that do not exist: {sorted(stale)}"
