import math

import numpy as np
import pytest
import torch

from eqrep.actions import permute_nodes, random_permutation
from eqrep.groups import cyclic, dihedral
from eqrep.invariants import (
    POOLINGS,
    all_permutations,
    pool_nodes,
    quotient_distance_assignment,
    quotient_distance_bruteforce,
    quotient_distance_group,
    random_invariant_linear_map,
    reynolds_operator,
    sort_nodes,
)
from eqrep.representations import regular, standard


def test_sorting_is_invariant(gen):
    z = torch.randn(5, 9, 3, generator=gen)
    for _ in range(5):
        perm = random_permutation(9, gen)
        torch.testing.assert_close(sort_nodes(permute_nodes(z, perm)), sort_nodes(z), rtol=0, atol=0)


@pytest.mark.parametrize("n", [2, 3, 5, 7, 9])
def test_sorted_distance_equals_bruteforce_quotient_distance(n, rng):
    perms = all_permutations(n)
    assert len(perms) == math.factorial(n)
    for _ in range(3 if n == 9 else 10):
        a, b = rng.standard_normal(n), rng.standard_normal(n)
        sorted_dist = np.linalg.norm(np.sort(a) - np.sort(b))
        assert quotient_distance_bruteforce(a, b, perms) == pytest.approx(sorted_dist, abs=1e-12)


@pytest.mark.parametrize("n", [10, 30, 100])
def test_sorted_distance_equals_assignment_quotient_distance(n, rng):
    for _ in range(5):
        a, b = rng.standard_normal(n), rng.standard_normal(n)
        assert quotient_distance_assignment(a, b) == pytest.approx(np.linalg.norm(np.sort(a) - np.sort(b)), abs=1e-10)


def test_assignment_equals_bruteforce_for_several_channels(rng):
    # with C > 1 channels per node, sorting each channel is NOT the quotient distance; assignment is
    a, b = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    assert quotient_distance_assignment(a, b) == pytest.approx(quotient_distance_bruteforce(a, b), abs=1e-12)


def test_quotient_distance_is_zero_on_an_orbit_and_symmetric(rng):
    d4 = dihedral(4)
    mats = standard(d4).matrices
    z = rng.standard_normal(2)
    for g in range(d4.order):
        assert quotient_distance_group(z, mats[g] @ z, mats) == pytest.approx(0.0, abs=1e-12)
    w = rng.standard_normal(2)
    assert quotient_distance_group(z, w, mats) == pytest.approx(quotient_distance_group(w, z, mats), abs=1e-12)
    assert quotient_distance_group(z, w, mats) <= np.linalg.norm(z - w) + 1e-12


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        quotient_distance_bruteforce(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="too slow"):
        quotient_distance_bruteforce(np.zeros(12), np.zeros(12))


def test_poolings_are_invariant_and_hand_computed(gen):
    z = torch.tensor([[[1.0], [-2.0], [4.0]]])  # (B=1, n=3, C=1)
    expect = {"sum": 3.0, "mean": 1.0, "max": 4.0, "min": -2.0, "norm": math.sqrt(21.0),
              "std": math.sqrt(((1 - 1) ** 2 + (-2 - 1) ** 2 + (4 - 1) ** 2) / 3)}
    assert set(expect) == set(POOLINGS)
    for how, val in expect.items():
        assert pool_nodes(z, how).item() == pytest.approx(val)
    x = torch.randn(4, 8, 3, generator=gen)
    perm = random_permutation(8, gen)
    for how in POOLINGS:
        torch.testing.assert_close(pool_nodes(permute_nodes(x, perm), how), pool_nodes(x, how))
    with pytest.raises(ValueError, match="unknown pooling"):
        pool_nodes(x, "median")


def test_reynolds_operator_is_the_projection_onto_fixed_vectors():
    reg = regular(cyclic(5))
    r = reynolds_operator(reg.matrices)
    np.testing.assert_allclose(r @ r, r, atol=1e-12)
    np.testing.assert_allclose(r, np.full((5, 5), 1 / 5), atol=1e-12)


def test_random_invariant_linear_map_is_invariant(rng):
    d4 = dihedral(4)
    mats = regular(d4).matrices
    a = random_invariant_linear_map(mats, out_dim=3, seed=7)
    z = rng.standard_normal(d4.order)
    for g in range(d4.order):
        np.testing.assert_allclose(a @ (mats[g] @ z), a @ z, atol=1e-12)
    assert np.abs(a).max() > 1e-3
