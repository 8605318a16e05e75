"""Numerical checks of equivariance, and the dimension of a space of equivariant linear maps.

These are the book's instruments for *testing* a claim such as "this layer is
permutation equivariant" or "there are exactly 15 equivariant maps edge -> edge".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from eqrep.actions import permute_edges, permute_nodes

__all__ = ["relative_error", "mean_relative_error", "permutation_equivariance_error", "equivariant_map_dimension",
           "permutation_action_matrix"]

_ACTIONS = {1: permute_nodes, 2: permute_edges}


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``||a - b|| / ||b||`` over all entries of two tensors of the same shape (e.g. a transformed
    output and the expected one).

    >>> relative_error(torch.tensor([3.0, 4.0]), torch.tensor([0.0, 5.0]))
    0.6324555277824402
    """
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} and {tuple(b.shape)}")
    return float((a - b).norm() / b.norm())


def mean_relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over the batch of the per-sample ``||a_i - b_i|| / ||b_i||``; ``a``, ``b``: ``(B, ...)``."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {tuple(a.shape)} and {tuple(b.shape)}")
    return float(((a - b).flatten(1).norm(dim=1) / b.flatten(1).norm(dim=1)).mean())


def permutation_equivariance_error(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    in_order: int,
    out_order: int,
    perm: torch.Tensor,
) -> float:
    """``max |f(P . x) - P . f(x)|`` for one permutation.

    Args:
        f: Map on batched features.
        x: Input, node ``(B, n, C)`` (``in_order=1``) or edge ``(B, n, n, C)`` (``in_order=2``).
        in_order, out_order: Tensor order of input and output; ``0`` means invariant output
            ``(B, D)``.
        perm: Permutation of ``n`` nodes, shape ``(n,)``.
    """
    with torch.no_grad():
        fx = f(x)
        target = fx if out_order == 0 else _ACTIONS[out_order](fx, perm)
        return float((f(_ACTIONS[in_order](x, perm)) - target).abs().max())


def permutation_action_matrix(perm: np.ndarray, order: int) -> np.ndarray:
    """Matrix of the action of a permutation on ``(R^n)^{(x) order}`` (flattened, row-major).

    ``order=1``: the permutation matrix ``P``; ``order=2``: ``P (x) P`` (acting as ``E -> P E P^T``).
    """
    n = len(perm)
    p = np.zeros((n, n))
    p[np.asarray(perm), np.arange(n)] = 1.0
    out = np.ones((1, 1))
    for _ in range(order):
        out = np.kron(out, p)
    return out


def equivariant_map_dimension(n: int, in_order: int, out_order: int, tol: float = 1e-8) -> int:
    """Dimension of the space of ``S_n``-equivariant linear maps ``(R^n)^{(x)k} -> (R^n)^{(x)l}``.

    A map ``L`` is equivariant iff ``rho_out(g) L = L rho_in(g)`` for the generators ``g``
    (a transposition and an ``n``-cycle). Stacking these linear constraints on ``vec(L)`` and
    counting the null space gives the dimension; for ``n >= k + l`` it is the Bell number
    ``b(k + l)``.
    """
    if n < 1:
        raise ValueError(f"need n >= 1 nodes, got {n}")
    t = np.array([1, 0] + list(range(2, n))) if n >= 2 else np.array([0])
    c = np.array([(i + 1) % n for i in range(n)])
    rows = []
    for g in (t, c):
        a, b = permutation_action_matrix(g, out_order), permutation_action_matrix(g, in_order)
        # rho_out L - L rho_in = 0  <=>  (I (x) rho_out - rho_in^T (x) I) vec(L) = 0 (column-major vec)
        rows.append(np.kron(np.eye(b.shape[0]), a) - np.kron(b.T, np.eye(a.shape[0])))
    s = np.linalg.svd(np.vstack(rows), compute_uv=False)
    return int((s < tol * max(1.0, s.max())).sum() + max(0, rows[0].shape[1] - len(s)))
