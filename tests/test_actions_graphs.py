"""Node permutations on node and edge features: the matrix form, a left action, bad input."""

import pytest
import torch

from eqrep.actions import permutation_matrix, permute_edges, permute_nodes, random_permutation


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
