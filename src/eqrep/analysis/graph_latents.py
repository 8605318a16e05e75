"""Analysing the graph VAE's latent space (Hansen et al. 2024, Sec. 5.1, Figs. 2-5).

* :func:`encode` -- latent means ``(N, n)``, optionally after a random node permutation of each
  input graph (the paper's footnote: removes any ordering implied by how the data was stored);
* :func:`invariant_representations` -- the sorted latent and common invariant poolings;
* :func:`interpolate` -- the equivariant path ``alpha z1 + (1 - alpha) z2`` and the invariant
  path ``alpha s(z1) + (1 - alpha) s(z2)``, decoded to graphs;
* :func:`hamming_steps` -- Hamming distances between consecutive decoded graphs;
* :func:`knn_mae` -- kNN-regression MAE against ``k`` (scikit-learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.neighbors import KNeighborsRegressor

from eqrep.actions import permute_edges, permute_nodes
from eqrep.data.qm9 import one_hot_graphs
from eqrep.invariants import POOLINGS, sort_nodes
from eqrep.models.graph_vae import GraphVAE

__all__ = ["encode", "invariant_representations", "interpolate", "hamming_distance", "hamming_steps",
           "knn_mae"]


@torch.no_grad()
def encode(model: GraphVAE, nodes: torch.Tensor, edges: torch.Tensor, permute: bool = True,
           seed: int = 0, batch_size: int = 2048) -> np.ndarray:
    """Latent means of graphs, one channel: ``(M, n)`` index tensors -> ``(M, n)`` array.

    Args:
        model: A trained :class:`~eqrep.models.graph_vae.GraphVAE` (one latent channel).
        nodes, edges: Node ``(M, n)`` and edge ``(M, n, n)`` type indices.
        permute: Relabel the nodes of each graph by its own random permutation first.
        seed: Seed of those permutations.
    """
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(nodes), batch_size):
        nt, et = nodes[start:start + batch_size], edges[start:start + batch_size]
        if permute:
            perms = [torch.randperm(nt.shape[1], generator=gen) for _ in range(len(nt))]
            nt = torch.stack([permute_nodes(v[:, None], p)[:, 0] for v, p in zip(nt, perms, strict=True)])
            et = torch.stack([permute_edges(e[..., None], p)[..., 0] for e, p in zip(et, perms, strict=True)])
        v, e = one_hot_graphs(nt.to(device), et.to(device))
        mu, _ = model.encode(v, e)
        out.append(mu[..., 0].cpu())
    return torch.cat(out).numpy()


def invariant_representations(z: np.ndarray, poolings: Sequence[str] = ("sum", "max", "min", "std", "norm"),
                              power_sums: bool = True) -> dict[str, np.ndarray]:
    """Invariant representations of node latents ``z`` ``(M, n)``.

    Returns ``{"sorted": (M, n), "<pooling>": (M, 1), ..., "power sums": (M, n)}``. Sorting is the
    isometric cross-section; each pooling keeps one number; the power sums ``sum_i z_i^k``,
    ``k = 1..n``, determine the multiset (Newton's identities) -- injective but not isometric.
    """
    zt = torch.as_tensor(z)[..., None]  # (M, n, 1)
    reps = {"sorted": sort_nodes(zt)[..., 0].numpy()}
    for name in poolings:
        reps[name] = POOLINGS[name](zt, -2).numpy()
    if power_sums:
        k = np.arange(1, z.shape[1] + 1)
        sums = (np.sign(z[..., None]) * np.abs(z[..., None]) ** k).sum(axis=1)  # (M, n)
        reps["power sums"] = np.sign(sums) * np.abs(sums) ** (1.0 / k)  # k-th roots keep the scale comparable
    return reps


@torch.no_grad()
def interpolate(model: GraphVAE, z1: np.ndarray, z2: np.ndarray, steps: int = 25
                ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Decode the two interpolation paths between latents ``z1, z2`` ``(n,)``.

    Returns ``{"equivariant": (latents, nodes, edges), "invariant": (...)}`` with latents
    ``(steps, n)``, decoded node types ``(steps, n)`` and edge types ``(steps, n, n)``. The
    equivariant path is ``alpha z1 + (1 - alpha) z2``; the invariant one
    ``alpha s(z1) + (1 - alpha) s(z2)`` with ``s`` = sorting (it stays in the convex cone).
    """
    alphas = np.linspace(0.0, 1.0, steps)[:, None]
    paths = {"equivariant": (1 - alphas) * z1 + alphas * z2,
             "invariant": (1 - alphas) * np.sort(z1) + alphas * np.sort(z2)}
    device = next(model.parameters()).device
    out = {}
    for name, lat in paths.items():
        nodes, edges = model.decode_graphs(torch.as_tensor(lat, dtype=torch.float32, device=device)[..., None])
        out[name] = (lat, nodes.cpu().numpy(), edges.cpu().numpy())
    return out


def hamming_distance(nodes_a: np.ndarray, edges_a: np.ndarray, nodes_b: np.ndarray, edges_b: np.ndarray) -> int:
    """Number of node and edge (``i < j``) entries whose types differ between two decoded graphs."""
    iu = np.triu_indices(len(nodes_a), k=1)
    return int((nodes_a != nodes_b).sum() + (edges_a[iu] != edges_b[iu]).sum())


def hamming_steps(nodes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Hamming distances between consecutive graphs of a path: ``(T, n), (T, n, n) -> (T - 1,)``."""
    return np.array([hamming_distance(nodes[t], edges[t], nodes[t + 1], edges[t + 1]) for t in range(len(nodes) - 1)])


def knn_mae(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
            ks: Sequence[int] = (1, 2, 5, 10, 20, 50)) -> np.ndarray:
    """Mean absolute error of k-nearest-neighbour regression for each ``k`` and target.

    Args:
        train_x: ``(M, d)``; train_y: ``(M, P)``; test_x: ``(T, d)``; test_y: ``(T, P)``.

    Returns:
        ``(len(ks), P)`` mean absolute errors on the test points.
    """
    train_x, test_x = np.asarray(train_x, dtype=float), np.asarray(test_x, dtype=float)
    if train_x.ndim != 2 or test_x.shape[1:] != train_x.shape[1:]:
        raise ValueError(f"features must be (M, d) and (T, d), got {train_x.shape} and {test_x.shape}")
    out = np.empty((len(ks), np.asarray(train_y).reshape(len(train_y), -1).shape[1]))
    for row, k in enumerate(ks):
        model = KNeighborsRegressor(n_neighbors=k).fit(train_x, train_y)
        pred = model.predict(test_x).reshape(len(test_x), -1)
        out[row] = np.abs(pred - np.asarray(test_y).reshape(len(test_y), -1)).mean(axis=0)
    return out
