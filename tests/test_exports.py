"""Every sub-package exports its public API, each name from the module that defines it, lazily."""

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["eqrep.models", "eqrep.data", "eqrep.analysis", "eqrep.train", "eqrep.actions", "eqrep.layers"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_to_its_defining_module(package):
    pkg = importlib.import_module(package)
    assert pkg.__all__ and len(set(pkg.__all__)) == len(pkg.__all__)
    for name in pkg.__all__:
        value = getattr(pkg, name)
        module = getattr(value, "__module__", None)
        if module is not None and module.startswith("eqrep"):  # a function or class: defined in its module
            assert name in importlib.import_module(module).__all__ or module.endswith("_exports"), (package, name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        pkg.nothing  # noqa: B018


def test_importing_the_models_package_imports_no_model():
    code = ("import sys, eqrep.models, eqrep.train, eqrep.analysis; "
            "print('escnn' in sys.modules, 'rdkit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
