import math

import numpy as np
import pytest
import torch

from eqrep.actions import (
    orbit,
    permutation_matrix,
    permute_edges,
    permute_nodes,
    random_permutation,
    rotate,
    rotate90,
)
from eqrep.groups import dihedral
from eqrep.representations import standard


def test_permute_nodes_and_edges_match_matrix_form(gen):
    v = torch.randn(3, 7, 4, generator=gen)
    e = torch.randn(3, 7, 7, 4, generator=gen)
    perm = random_permutation(7, gen)
    p = permutation_matrix(perm)
    torch.testing.assert_close(permute_nodes(v, perm), torch.einsum("ij,bjc->bic", p, v))
    torch.testing.assert_close(permute_edges(e, perm), torch.einsum("ij,bjkc,lk->bilc", p, e, p))


def test_permutation_action_is_a_left_action(gen):
    v = torch.randn(2, 6, 3, generator=gen)
    p, q = random_permutation(6, gen), random_permutation(6, gen)
    pq = p[q]  # (p q)(i) = p(q(i))
    torch.testing.assert_close(permute_nodes(permute_nodes(v, q), p), permute_nodes(v, pq))
    torch.testing.assert_close(permutation_matrix(p) @ permutation_matrix(q), permutation_matrix(pq))


def test_bad_permutations_and_shapes_are_rejected():
    with pytest.raises(ValueError, match="permutation of 3"):
        permute_nodes(torch.zeros(1, 3, 2), [0, 0, 1])
    with pytest.raises(ValueError, match=r"\(\.\.\., n, n, C\)"):
        permute_edges(torch.zeros(1, 3, 4, 2), [0, 1, 2])
    with pytest.raises(ValueError, match="square"):
        rotate(torch.zeros(2, 5, 6), 0.3)


def test_rotate90_is_exact_group_action(gen):
    x = torch.randn(2, 9, 9, generator=gen)
    assert torch.equal(rotate90(rotate90(x, 1), 3), x)
    assert torch.equal(rotate90(x, 4), x)
    assert torch.equal(rotate90(rotate90(x, 1), 1), rotate90(x, 2))


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rotate_agrees_with_rotate90_on_quarter_turns(k, gen):
    x = torch.randn(4, 29, 29, generator=gen)
    torch.testing.assert_close(rotate(x, k * math.pi / 2), rotate90(x, k), atol=1e-4, rtol=0)


def test_rotate_is_counter_clockwise_and_batched(gen):
    img = torch.zeros(1, 1, 5, 5)
    img[0, 0, 2, 4] = 1.0  # a pixel right of the centre
    out = rotate(img, math.pi / 2)
    assert out[0, 0, 0, 2] == pytest.approx(1.0, abs=1e-5)  # moves to the top (counter-clockwise)
    x = torch.randn(3, 1, 9, 9, generator=gen)
    angles = torch.tensor([0.0, math.pi / 2, math.pi])
    out = rotate(x, angles)
    torch.testing.assert_close(out[1], rotate90(x[1], 1), atol=1e-4, rtol=0)
    torch.testing.assert_close(out[2], rotate90(x[2], 2), atol=1e-4, rtol=0)


def test_arbitrary_rotation_only_approximately_composes(gen):
    x = torch.zeros(1, 29, 29)
    x[0, 8:21, 12:17] = 1.0
    y = x
    for _ in range(12):
        y = rotate(y, 2 * math.pi / 12)
    err = (y - x).abs().max().item()
    assert 1e-3 < err  # interpolation is lossy: SO(2) acts on the pixel grid only approximately


def test_orbit_of_a_point_under_d4():
    d4 = dihedral(4)
    mats = standard(d4).matrices
    generic = orbit(np.array([2.0, 1.0]), mats)
    assert len({tuple(np.round(p, 9)) for p in generic}) == 8
    on_axis = orbit(np.array([1.0, 0.0]), mats)
    assert len({tuple(np.round(p, 9)) for p in on_axis}) == 4  # stabiliser of order 2
