"""Quotient spaces and invariant projections (Hansen et al., ICML 2024, Sec. 2-3).

* the quotient metric ``d([z1], [z2]) = min_g ||z1 - g z2||``: by brute force over a finite
  group, and for ``S_n`` also by optimal assignment (SciPy's Hungarian solver);
* sorting, the isometric cross-section of ``S_n`` acting on ``R^n`` (Prop. 2);
* the common invariant poolings over nodes (sum, mean, max, ...);
* random invariant linear maps (Reynolds average of a random matrix), and random invariant
  nonlinear features (an untrained equivariant layer, ReLU, a pooling).

Latents with NaN entries are refused with a ``ValueError`` naming the argument (a NaN has no
place in a sorted order and no distance to anything); the quotient distances also refuse
infinite entries.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from eqrep.layers.permutation import NodeToNode

__all__ = [
    "sort_nodes",
    "all_permutations",
    "quotient_distance_bruteforce",
    "quotient_distance_assignment",
    "quotient_distance_group",
    "quotient_distance_matrix",
    "POOLINGS",
    "pool_nodes",
    "reynolds_operator",
    "random_invariant_linear_map",
    "random_invariant_features",
]


def sort_nodes(z: torch.Tensor, node_dim: int = -2) -> torch.Tensor:
    """Sort node latents along the node axis, each channel separately.

    Args:
        z: Shape ``(..., n, C)`` (default ``node_dim=-2``), or ``(..., n)`` with ``node_dim=-1``.

    Returns:
        Same shape, ascending along the node axis. Permutation invariant; for one channel it is
        an isometric cross-section of ``R^n / S_n`` onto the cone ``x_1 <= ... <= x_n``.

    Raises:
        ValueError: ``z`` has fewer axes than ``node_dim`` needs, or NaN entries.
    """
    if z.dim() < -node_dim:
        raise ValueError(f"sort_nodes(node_dim={node_dim}) got shape {tuple(z.shape)}")
    if torch.isnan(z).any():
        raise ValueError(f"sort_nodes: z has {int(torch.isnan(z).sum())} NaN entries, which have no place "
                         "in a sorted order")
    return torch.sort(z, dim=node_dim).values


def _as_finite(name: str, z: np.ndarray) -> np.ndarray:
    """``z`` as a real ``float64`` array; ``ValueError`` naming ``name`` for complex, NaN or infinite entries."""
    if np.iscomplexobj(z):
        raise ValueError(f"{name} is complex; quotient distances are defined for real latents")
    z = np.asarray(z, dtype=float)
    if not np.isfinite(z).all():
        what = "NaN" if np.isnan(z).any() else "infinite"
        raise ValueError(f"{name} has {what} entries; a quotient distance needs finite coordinates")
    return z


def _as_nodes(name: str, z: np.ndarray) -> np.ndarray:
    """``(n,)`` or ``(n, C)`` latents as a finite ``(n, C)`` array."""
    z = _as_finite(name, z)
    return z[:, None] if z.ndim == 1 else z


def all_permutations(n: int) -> np.ndarray:
    """All ``n!`` permutations of ``range(n)``, shape ``(n!, n)``."""
    return np.array(list(itertools.permutations(range(n))), dtype=np.int64).reshape(-1, n)


def quotient_distance_bruteforce(z1: np.ndarray, z2: np.ndarray, perms: np.ndarray | None = None) -> float:
    """``min_P ||z1 - P z2||`` over all permutations of the node axis, by enumeration.

    Args:
        z1, z2: Shape ``(n,)`` or ``(n, C)``. ``n <= 10`` is practical (``n!`` candidates).
        perms: Optional precomputed :func:`all_permutations` of ``n``.

    Raises:
        ValueError: the shapes differ, ``n > 10`` without ``perms``, or ``z1``/``z2`` has complex,
            NaN or infinite entries.
    """
    a, b = _as_nodes("z1", z1), _as_nodes("z2", z2)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if perms is None:
        if a.shape[0] > 10:
            raise ValueError(f"brute force over {a.shape[0]}! permutations is too slow; use the assignment form")
        perms = all_permutations(a.shape[0])
    d2 = ((a[None] - b[perms]) ** 2).sum(axis=(1, 2))
    return float(np.sqrt(d2.min()))


def quotient_distance_assignment(z1: np.ndarray, z2: np.ndarray) -> float:
    """``min_P ||z1 - P z2||`` as a linear assignment problem (exact, ``O(n^3)``).

    ``||z1 - P z2||^2 = sum_i ||z1_i - z2_{pi(i)}||^2`` is a sum of pairwise costs, so the best
    permutation solves an assignment problem with cost ``C_ij = ||z1_i - z2_j||^2``.

    Raises:
        ValueError: the shapes differ, or ``z1``/``z2`` has complex, NaN or infinite entries.
    """
    a, b = _as_nodes("z1", z1), _as_nodes("z2", z2)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    cost = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(cost)
    return float(np.sqrt(cost[rows, cols].sum()))


def quotient_distance_group(z1: np.ndarray, z2: np.ndarray, matrices: np.ndarray) -> float:
    """``min_g ||z1 - rho(g) z2||`` for a finite group given by its matrices ``(|G|, d, d)``.

    ``z1``, ``z2``: shape ``(d,)``. Raises ``ValueError`` for complex, NaN or infinite entries.
    """
    z1, z2 = _as_finite("z1", z1), _as_finite("z2", z2)
    return float(np.linalg.norm(z1[None] - np.einsum("gij,j->gi", matrices, z2), axis=1).min())


def _std(z: torch.Tensor, dim: int) -> torch.Tensor:
    return z.std(dim=dim, unbiased=False)


POOLINGS: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "sum": lambda z, dim: z.sum(dim),
    "mean": lambda z, dim: z.mean(dim),
    "max": lambda z, dim: z.amax(dim),
    "min": lambda z, dim: z.amin(dim),
    "std": _std,
    "norm": lambda z, dim: z.norm(dim=dim),
}
"""Permutation-invariant poolings over the node axis; each maps ``(..., n, C) -> (..., C)``."""


def pool_nodes(z: torch.Tensor, how: str) -> torch.Tensor:
    """Pool node latents ``(..., n, C)`` over nodes with one of :data:`POOLINGS`, giving ``(..., C)``."""
    if how not in POOLINGS:
        raise ValueError(f"unknown pooling '{how}'; choose from {sorted(POOLINGS)}")
    if z.dim() < 2:
        raise ValueError(f"pool_nodes needs shape (..., n, C), got {tuple(z.shape)}")
    return POOLINGS[how](z, -2)


def reynolds_operator(matrices: np.ndarray) -> np.ndarray:
    """Group average ``(1/|G|) sum_g rho(g)``: the orthogonal projection onto the fixed
    (trivial-isotypic) subspace when ``rho`` is orthogonal. Shape ``(d, d)``."""
    return np.asarray(matrices).mean(axis=0)


def random_invariant_linear_map(matrices: np.ndarray, out_dim: int, seed: int = 0) -> np.ndarray:
    """A random invariant linear map ``A`` with ``A rho(g) = A`` for all ``g``.

    ``A = W R`` with ``W`` ``(out_dim, d)`` of i.i.d. ``N(0, 1/d)`` entries and ``R`` the :func:`reynolds_operator`:
    every invariant linear map has this form, so this samples them all.

    Returns:
        Shape ``(out_dim, d)``.
    """
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((out_dim, matrices.shape[-1])) / np.sqrt(matrices.shape[-1])
    return w @ reynolds_operator(matrices)


def quotient_distance_matrix(z: np.ndarray,
                             distance: Callable[[np.ndarray, np.ndarray], float] | None = None) -> np.ndarray:
    """Pairwise quotient distances of ``m`` codes: ``z`` of shape ``(m, n)`` or ``(m, n, C)`` -> ``(m, m)``.

    ``distance`` defaults to :func:`quotient_distance_assignment` (``S_n`` acting on the nodes);
    the matrix is symmetric with a zero diagonal, ``m (m - 1) / 2`` distances computed.
    """
    distance = distance or quotient_distance_assignment
    z = _as_finite("z", np.asarray(z))  # not cast first: a complex z is rejected, not truncated
    if z.ndim < 2:
        raise ValueError(f"need a stack of codes (m, n) or (m, n, C), got shape {z.shape}")
    dist = np.zeros((len(z), len(z)))
    for i, j in itertools.combinations(range(len(z)), 2):
        dist[i, j] = dist[j, i] = distance(z[i], z[j])
    return dist


def random_invariant_features(in_channels: int, width: int,
                              pooling: str = "mean") -> Callable[[torch.Tensor], np.ndarray]:
    """An untrained invariant feature map ``x -> pool_nodes(ReLU(L(x)))`` for a random
    equivariant node layer ``L`` (:class:`~eqrep.layers.permutation.NodeToNode`, random bias too).

    Nodes ``(B, n, in_channels)`` -> features ``(B, width)``, invariant under permuting the
    nodes and nonlinear. Drawn from torch's global generator (seed it for a reproducible map).
    """
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling '{pooling}'; use one of {sorted(POOLINGS)}")
    layer = NodeToNode(in_channels, width)
    torch.nn.init.normal_(layer.bias)  # the layer starts with zero bias; a random one is richer

    def features(x: torch.Tensor) -> np.ndarray:
        if x.ndim != 3 or x.shape[-1] != in_channels:
            raise ValueError(f"need nodes (B, n, {in_channels}), got shape {tuple(x.shape)}")
        with torch.no_grad():
            return pool_nodes(torch.relu(layer(x.to(layer.bias.dtype))), pooling).numpy()
    return features
