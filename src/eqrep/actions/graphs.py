"""Node permutations acting on graphs: node features ``(..., n, C)`` and edge features ``(..., n, n, C)``.

A permutation ``perm`` is the tuple of images ``i -> perm[i]``; its matrix ``P`` has
``P[perm[i], i] = 1``, acting as ``V -> P V`` and ``E -> P E P^T`` (chapters 1, 4 and 5).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["permutation_matrix", "random_permutation", "permute_nodes", "permute_edges"]


def permutation_matrix(perm: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Permutation matrix ``P`` with ``P[perm[i], i] = 1``; shape ``(n, n)``.

    >>> permutation_matrix([1, 2, 0])
    tensor([[0., 0., 1.],
            [1., 0., 0.],
            [0., 1., 0.]])
    """
    perm = torch.as_tensor(perm)
    n = perm.numel()
    p = torch.zeros(n, n)
    p[perm, torch.arange(n)] = 1.0
    return p

def random_permutation(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A uniformly random permutation of ``n`` items as a tensor of images, shape ``(n,)``."""
    return torch.randperm(n, generator=generator)

def _check_perm(perm: torch.Tensor, n: int) -> torch.Tensor:
    perm = torch.as_tensor(perm, dtype=torch.long)
    if perm.shape != (n,) or not torch.equal(torch.sort(perm).values, torch.arange(n, device=perm.device)):
        raise ValueError(f"expected a permutation of {n} nodes, got {perm.tolist()}")
    return perm

def permute_nodes(v: torch.Tensor, perm: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Apply ``V -> P V`` to node features ``v`` of shape ``(..., n, C)``."""
    if v.dim() < 2:
        raise ValueError(f"node features need shape (..., n, C), got {tuple(v.shape)}")
    perm = _check_perm(torch.as_tensor(perm, device=v.device), v.shape[-2])
    return v[..., torch.argsort(perm), :]

def permute_edges(e: torch.Tensor, perm: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Apply ``E -> P E P^T`` to edge features ``e`` of shape ``(..., n, n, C)``."""
    if e.dim() < 3 or e.shape[-2] != e.shape[-3]:
        raise ValueError(f"edge features need shape (..., n, n, C), got {tuple(e.shape)}")
    inv = torch.argsort(_check_perm(torch.as_tensor(perm, device=e.device), e.shape[-2]))
    return e[..., inv, :, :][..., :, inv, :]
