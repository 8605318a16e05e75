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
    quotient_distance_matrix,
    random_invariant_features,
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


# ----------------------------------------------------------------------------- documented contracts

def test_nan_input_is_an_error_naming_the_argument():
    good, bad = np.zeros(4), np.array([0.0, np.nan, 1.0, 2.0])
    for fn in (quotient_distance_bruteforce, quotient_distance_assignment):
        with pytest.raises(ValueError, match="^z2 has NaN entries"):
            fn(good, bad)
        with pytest.raises(ValueError, match="^z1 has NaN entries"):
            fn(bad.reshape(2, 2), good.reshape(2, 2))
        with pytest.raises(ValueError, match="^z1 has infinite entries"):
            fn(np.array([0.0, np.inf, 1.0, 2.0]), good)
        with pytest.raises(ValueError, match="^z2 is complex"):
            fn(good, good + 1j)
    mats = standard(dihedral(4)).matrices
    with pytest.raises(ValueError, match="^z1 has NaN entries"):
        quotient_distance_group(np.array([np.nan, 0.0]), np.zeros(2), mats)
    with pytest.raises(ValueError, match="^z2 has infinite entries"):
        quotient_distance_group(np.zeros(2), np.array([0.0, -np.inf]), mats)
    z = torch.tensor([[3.0], [float("nan")], [1.0]])
    with pytest.raises(ValueError, match="^sort_nodes: z has 1 NaN entries, which have no place in a sorted order$"):
        sort_nodes(z)
    inf = torch.tensor([[3.0], [float("inf")], [-float("inf")]])  # infinities have a place in the order
    assert sort_nodes(inf)[:, 0].tolist() == [-float("inf"), 3.0, float("inf")]


def test_sort_nodes_sorts_ascending_along_the_chosen_axis():
    z = torch.tensor([[[3.0, -1.0], [1.0, 5.0], [2.0, 0.0]]])  # (1, n=3, C=2)
    assert sort_nodes(z).tolist() == [[[1.0, -1.0], [2.0, 0.0], [3.0, 5.0]]]  # each channel separately
    assert sort_nodes(z[0, :, 0], node_dim=-1).tolist() == [1.0, 2.0, 3.0]
    assert sort_nodes(z[0], node_dim=-1).tolist() == [[-1.0, 3.0], [1.0, 5.0], [0.0, 2.0]]
    with pytest.raises(ValueError, match=r"sort_nodes\(node_dim=-2\) got shape \(3,\)"):
        sort_nodes(z[0, :, 0])


def test_all_permutations_lists_every_ordering_once():
    perms = all_permutations(3)
    assert perms.shape == (6, 3) and perms.dtype == np.int64
    assert perms.tolist() == [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]


def test_bruteforce_takes_given_permutations_and_allows_ten_nodes(monkeypatch):
    a, b = np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 0.0])
    assert quotient_distance_bruteforce(a, b) == 0.0
    only_identity = np.arange(3)[None]
    assert quotient_distance_bruteforce(a, b, only_identity) == pytest.approx(np.sqrt(8.0))
    # n = 10 is the largest size enumerated (10! candidates); stub the enumeration to keep the test small
    monkeypatch.setattr("eqrep.invariants.all_permutations", lambda n: np.arange(n)[None])
    assert quotient_distance_bruteforce(np.ones(10), np.zeros(10)) == pytest.approx(np.sqrt(10.0))
    with pytest.raises(ValueError, match="brute force over 11! permutations is too slow"):
        quotient_distance_bruteforce(np.ones(11), np.zeros(11))


def test_quotient_distances_with_several_channels_match_by_hand():
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    b = np.array([[1.0, 2.0], [0.0, 0.0]])  # swapping the nodes leaves (0, 1) apart in one channel
    for fn in (quotient_distance_bruteforce, quotient_distance_assignment):
        assert fn(a, b) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"shapes differ: \(2, 2\) vs \(2, 1\)"):
        quotient_distance_assignment(a, b[:, 0])


def test_quotient_distance_group_is_the_smallest_distance_over_the_group():
    c4 = standard(cyclic(4)).matrices  # rotations by multiples of 90 degrees
    z1, z2 = np.array([1.0, 1.0]), np.array([0.0, 2.0])
    assert quotient_distance_group(z1, z2, c4) == pytest.approx(np.sqrt(2.0))  # |z1| vs |z2|: sqrt 2 apart
    assert quotient_distance_group(z1, z2, c4[:1]) == pytest.approx(np.sqrt(2.0))
    c3 = standard(cyclic(3)).matrices  # no rotation by 180 degrees: z2 and -z2 are in different orbits
    expected = 2 * np.sqrt(2 - 2 * np.cos(np.pi / 3))
    assert quotient_distance_group(np.array([0.0, -2.0]), z2, c3) == pytest.approx(expected)


def test_pool_nodes_pools_the_node_axis():
    z = torch.arange(12.0).reshape(2, 3, 2)  # (B, n, C)
    torch.testing.assert_close(pool_nodes(z, "sum"), z.sum(1))
    torch.testing.assert_close(pool_nodes(z, "std"), z.std(1, unbiased=False))
    assert pool_nodes(z, "max").shape == (2, 2)
    assert pool_nodes(z[0], "mean").tolist() == [2.0, 3.0]  # (n, C) without a batch axis
    with pytest.raises(ValueError, match=r"needs shape \(..., n, C\), got \(3,\)"):
        pool_nodes(torch.zeros(3), "sum")


def test_reynolds_operator_of_the_standard_plane_is_zero_and_of_the_trivial_the_identity():
    np.testing.assert_allclose(reynolds_operator(standard(dihedral(4)).matrices), np.zeros((2, 2)), atol=1e-15)
    np.testing.assert_array_equal(reynolds_operator(np.stack([np.eye(3)] * 4)), np.eye(3))


def test_random_invariant_linear_map_has_the_documented_shape_and_distribution():
    eye = np.stack([np.eye(5)] * 3)  # trivial action: R = I, so A = W itself
    a = random_invariant_linear_map(eye, out_dim=4000, seed=0)
    assert a.shape == (4000, 5)
    assert a.mean() == pytest.approx(0.0, abs=0.01)
    assert a.var() == pytest.approx(1 / 5, rel=0.05)  # W has entries N(0, 1/d)
    once, again = random_invariant_linear_map(eye, 3, seed=1), random_invariant_linear_map(eye, 3, seed=1)
    np.testing.assert_array_equal(once, again)
    np.testing.assert_array_equal(random_invariant_linear_map(eye, 3), random_invariant_linear_map(eye, 3, seed=0))
    assert not np.array_equal(random_invariant_linear_map(eye, 3, seed=1), random_invariant_linear_map(eye, 3, seed=2))


def test_integer_latents_are_compared_as_real_numbers():
    a, b = np.array([0, 0], dtype=np.uint8), np.array([16, 16], dtype=np.uint8)  # in uint8, (0 - 16)^2 wraps to 0
    for fn in (quotient_distance_bruteforce, quotient_distance_assignment):
        assert fn(a, b) == pytest.approx(16 * np.sqrt(2.0))
    assert quotient_distance_group(a, b, np.stack([np.eye(2)])) == pytest.approx(16 * np.sqrt(2.0))


def test_quotient_distance_matrix_is_symmetric_and_matches_the_pairwise_distances():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((5, 4))
    dist = quotient_distance_matrix(z)
    assert dist.shape == (5, 5)
    np.testing.assert_array_equal(dist, dist.T)
    np.testing.assert_array_equal(np.diag(dist), 0.0)
    assert dist[1, 3] == pytest.approx(quotient_distance_assignment(z[1], z[3]))
    # permuting each code's entries leaves the quotient distances as they were
    shuffled = np.stack([rng.permutation(row) for row in z])
    np.testing.assert_allclose(quotient_distance_matrix(shuffled), dist, atol=1e-12)
    by_hand = quotient_distance_matrix(np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 3.0]]))
    np.testing.assert_allclose(by_hand, [[0, 0, 2], [0, 0, 2], [2, 2, 0]])
    with pytest.raises(ValueError, match="stack of codes"):
        quotient_distance_matrix(np.zeros(3))
    with pytest.raises(ValueError, match="^z has NaN entries"):
        quotient_distance_matrix(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="^z is complex"):  # rejected, not cast to its real part
        quotient_distance_matrix(np.array([[0.0, 1j], [1.0, 0.0]]))


def test_quotient_distance_matrix_hands_the_distance_float_codes():
    codes = np.array([[0, 200], [255, 0]], dtype=np.uint8)  # integer codes: differences must not wrap around
    dist = quotient_distance_matrix(codes, distance=lambda a, b: float(np.abs(a - b).sum()))
    np.testing.assert_array_equal(dist, [[0, 455], [455, 0]])


def test_random_invariant_features_are_invariant_nonlinear_and_seeded_by_torch():
    torch.manual_seed(0)
    features = random_invariant_features(2, 8)
    x = torch.randn(6, 5, 2)
    out = features(x)
    assert out.shape == (6, 8)
    np.testing.assert_allclose(features(x[:, torch.randperm(5)]), out, atol=1e-6)
    assert not np.allclose(features(2 * x), 2 * out)  # the ReLU makes it nonlinear
    torch.manual_seed(0)
    np.testing.assert_array_equal(random_invariant_features(2, 8)(x), out)
    np.testing.assert_allclose(features(x.double()), out, atol=1e-6)  # double (or integer) nodes are accepted
    np.testing.assert_array_equal(features(torch.ones(1, 3, 2, dtype=torch.int64)), features(torch.ones(1, 3, 2)))
    with pytest.raises(ValueError, match=r"nodes \(B, n, 2\)"):
        features(torch.randn(6, 5, 3))
    with pytest.raises(ValueError, match="unknown pooling"):
        random_invariant_features(2, 8, pooling="median")
