import pytest
import torch

from eqrep.equivariance import equivariant_map_dimension, permutation_equivariance_error

BELL = {(1, 1): 2, (1, 2): 5, (2, 1): 5, (2, 2): 15, (1, 0): 1, (2, 0): 2, (0, 2): 2}


@pytest.mark.parametrize("orders", sorted(BELL))
def test_equivariant_map_counts_are_bell_numbers(orders):
    assert equivariant_map_dimension(5, *orders) == BELL[orders]


@pytest.mark.parametrize("n, count", [(1, 1), (2, 8), (3, 14), (4, 15)])
def test_small_n_counts_partitions_into_at_most_n_blocks(n, count):
    # for n < k + l only set partitions of the k + l indices into <= n blocks occur:
    # Stirling numbers S(4, 1) + ... + S(4, n) = 1, 1 + 7, 1 + 7 + 6, 1 + 7 + 6 + 1
    assert equivariant_map_dimension(n, 2, 2) == count


def test_error_detects_a_non_equivariant_map(gen):
    x = torch.randn(2, 5, 3, generator=gen)
    shift = lambda v: torch.roll(v, 1, dims=1) * torch.arange(1.0, 6.0)[None, :, None]  # noqa: E731
    perm = torch.tensor([1, 0, 2, 3, 4])
    assert permutation_equivariance_error(shift, x, 1, 1, perm) > 1e-2
    assert permutation_equivariance_error(lambda v: v * 2, x, 1, 1, perm) == 0.0
