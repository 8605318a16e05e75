"""Orbits of vectors under matrix groups."""

import numpy as np

from eqrep.actions import orbit
from eqrep.groups import dihedral
from eqrep.representations import standard


def test_orbit_of_a_point_under_d4():
    d4 = dihedral(4)
    mats = standard(d4).matrices
    generic = orbit(np.array([2.0, 1.0]), mats)
    assert len({tuple(np.round(p, 9)) for p in generic}) == 8
    on_axis = orbit(np.array([1.0, 0.0]), mats)
    assert len({tuple(np.round(p, 9)) for p in on_axis}) == 4  # stabiliser of order 2
