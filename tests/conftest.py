"""Shared fixtures: seeded generators and the groups the book uses."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from eqrep.groups import cyclic, dihedral, direct_product, symmetric

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the book tooling (tools/) is tested too, but not installed
    sys.path.insert(0, str(ROOT))

GROUPS = {
    "C_1": lambda: cyclic(1),
    "C_2": lambda: cyclic(2),
    "C_4": lambda: cyclic(4),
    "C_5": lambda: cyclic(5),
    "D_1": lambda: dihedral(1),
    "D_3": lambda: dihedral(3),
    "D_4": lambda: dihedral(4),
    "D_6": lambda: dihedral(6),
    "S_3": lambda: symmetric(3),
    "S_4": lambda: symmetric(4),
    "C_4xC_4": lambda: direct_product(cyclic(4), cyclic(4)),
    "D_4xD_1": lambda: direct_product(dihedral(4), dihedral(1)),
}


@pytest.fixture(params=sorted(GROUPS))
def group(request):
    return GROUPS[request.param]()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(1234)


def pytest_collection_modifyitems(config, items):
    """Under mutmut (``make mutation``), run a mutant's tests fastest first: a killed mutant is found
    by its first failing test (``-x``), so the slow tests then mostly run for the survivors only."""
    stats = ROOT / "mutmut-stats.json"  # the tests run from mutmut's copy, build/mutation/mutants
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", "") or not stats.exists():
        return
    durations = json.loads(stats.read_text())["duration_by_test"]
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))
