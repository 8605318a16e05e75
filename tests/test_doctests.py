"""The examples in the package's docstrings run (a few modules carry them) and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["eqrep.train.schedules", "eqrep.train.overrides", "eqrep.actions.graphs", "eqrep.actions.images",
           "eqrep.equivariance"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0
