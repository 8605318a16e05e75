"""Analysing the graph VAE's latent space (Hansen et al. 2024, Sec. 5.1, Figs. 2-5).

* :func:`encode_graphs` -- latent means ``(N, n)``, optionally after a random node permutation of each
  input graph (the paper's footnote: removes any ordering implied by how the data was stored);
* :func:`invariant_representations` -- the sorted latent and common invariant poolings;
* :func:`interpolate` -- the equivariant path ``(1 - alpha) z1 + alpha z2`` and the invariant
  path ``(1 - alpha) s(z1) + alpha s(z2)``, decoded to graphs, for one pair or many at once;
* :func:`hamming_steps` -- Hamming distances between consecutive decoded graphs (batched);
* :func:`knn_mae` -- kNN-regression MAE against ``k`` (scikit-learn);
* :func:`decode_latents` and :func:`decoded_smiles` -- the most likely graph of each latent and its
  canonical SMILES (``None``: not a valid molecule, by RDKit's sanitisation);
* :func:`sample_quality` -- valid / unique / novel fractions of graphs decoded from prior samples
  (the usual definitions: unique among the valid ones, novel among the unique ones).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.neighbors import KNeighborsRegressor

from eqrep.data.qm9 import MAX_NODES, dense_to_smiles, one_hot_graphs
from eqrep.invariants import POOLINGS, sort_nodes
from eqrep.models.graph_vae import GraphVAE

__all__ = ["encode_graphs", "invariant_representations", "interpolate", "hamming_distance", "hamming_steps",
           "knn_mae", "decode_latents", "decoded_smiles", "sample_quality"]


@torch.no_grad()
def encode_graphs(model: GraphVAE, nodes: torch.Tensor, edges: torch.Tensor, permute: bool = True,
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
        if permute:  # relabel graph b by its own permutation: V -> P V, E -> P E P^T, batched
            n = nt.shape[1]
            inv = torch.argsort(torch.stack([torch.randperm(n, generator=gen) for _ in range(len(nt))]), dim=1)
            nt = nt.gather(1, inv)
            et = et[torch.arange(len(et))[:, None, None], inv[:, :, None], inv[:, None, :]]
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
        sums = (np.asarray(z, dtype=float)[..., None] ** k).sum(axis=1)  # p_k = sum_i z_i^k, (M, n)
        reps["power sums"] = np.sign(sums) * np.abs(sums) ** (1.0 / k)  # signed k-th roots: same scale as z
    return reps


@torch.no_grad()
def interpolate(model: GraphVAE, z1: np.ndarray, z2: np.ndarray, steps: int = 25, batch_size: int = 4096
                ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Decode the two interpolation paths between latents ``z1`` and ``z2``.

    The equivariant path is ``(1 - alpha) z1 + alpha z2``; the invariant one
    ``(1 - alpha) s(z1) + alpha s(z2)`` with ``s`` = sorting (it stays in the convex cone);
    ``alpha`` takes ``steps`` equally spaced values in ``[0, 1]``.

    Args:
        model: A :class:`~eqrep.models.graph_vae.GraphVAE` with one latent channel.
        z1, z2: One pair ``(n,)`` or ``P`` pairs ``(P, n)``.
        steps: Points per path.
        batch_size: Graphs per decoder call.

    Returns:
        ``{"equivariant": (latents, nodes, edges), "invariant": (...)}`` with latents
        ``([P,] steps, n)``, decoded node types ``([P,] steps, n)`` and edge types
        ``([P,] steps, n, n)``; the ``P`` axis only for batched input.
    """
    single = np.ndim(z1) == 1
    z1, z2 = np.atleast_2d(z1), np.atleast_2d(z2)
    alphas = np.linspace(0.0, 1.0, steps)[None, :, None]  # (1, T, 1)
    paths = {"equivariant": (1 - alphas) * z1[:, None] + alphas * z2[:, None],
             "invariant": (1 - alphas) * np.sort(z1, axis=1)[:, None] + alphas * np.sort(z2, axis=1)[:, None]}
    device = next(model.parameters()).device
    out = {}
    for name, lat in paths.items():
        flat = torch.as_tensor(lat.reshape(-1, lat.shape[-1]), dtype=torch.float32, device=device)[..., None]
        decoded = [model.decode_graphs(flat[s:s + batch_size]) for s in range(0, len(flat), batch_size)]
        nodes = torch.cat([d[0] for d in decoded]).cpu().numpy().reshape(lat.shape)
        edges = torch.cat([d[1] for d in decoded]).cpu().numpy().reshape(*lat.shape, lat.shape[-1])
        out[name] = (lat[0], nodes[0], edges[0]) if single else (lat, nodes, edges)
    return out


def hamming_distance(nodes_a: np.ndarray, edges_a: np.ndarray, nodes_b: np.ndarray, edges_b: np.ndarray) -> int:
    """Number of node and edge (``i < j``) entries whose types differ between two decoded graphs
    (node types ``(n,)``, edge types ``(n, n)`` each)."""
    iu = np.triu_indices(len(nodes_a), k=1)
    return int((nodes_a != nodes_b).sum() + (edges_a[iu] != edges_b[iu]).sum())


def hamming_steps(nodes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Hamming distances between consecutive graphs of one path or of many.

    Args:
        nodes: ``([P,] T, n)`` node types; edges: ``([P,] T, n, n)`` edge types (``i < j`` used).

    Returns:
        ``([P,] T - 1)`` integers: changed node types plus changed edges per step.
    """
    n = nodes.shape[-1]
    iu = np.triu_indices(n, k=1)
    upper = edges[..., iu[0], iu[1]]
    return (np.diff(nodes, axis=-2) != 0).sum(-1) + (np.diff(upper, axis=-2) != 0).sum(-1)


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


@torch.no_grad()
def decode_latents(model: GraphVAE, z: np.ndarray | torch.Tensor, batch_size: int = 4096
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The most likely graph of each latent ``z`` ``(M, n)`` (one channel): node types ``(M, n)`` and
    edge types ``(M, n, n)``."""
    device = next(model.parameters()).device
    flat = torch.as_tensor(np.asarray(z), dtype=torch.float32, device=device)[..., None]
    parts = [model.decode_graphs(flat[s:s + batch_size]) for s in range(0, len(flat), batch_size)]
    return torch.cat([p[0] for p in parts]).cpu().numpy(), torch.cat([p[1] for p in parts]).cpu().numpy()


def decoded_smiles(nodes: np.ndarray, edges: np.ndarray) -> list[str | None]:
    """Canonical SMILES of graphs (node types ``(M, n)``, edge types ``(M, n, n)``); ``None`` where a
    graph is not a valid molecule."""
    return [dense_to_smiles(v, e) for v, e in zip(nodes, edges, strict=True)]


def sample_quality(model: GraphVAE, n: int, known_smiles: Sequence[str], seed: int = 0) -> dict[str, float]:
    """Decode ``n`` latents ``z ~ N(0, I)`` ``(n, 9)`` (QM9's nine slots) and measure the molecules (RDKit).

    Returns:
        ``valid`` (valid molecules / ``n``), ``unique`` (distinct valid molecules / valid ones) and
        ``novel`` (distinct valid molecules not in ``known_smiles``, canonical SMILES, / distinct
        valid ones); ``0.0`` where a denominator is empty.
    """
    z = torch.randn(n, MAX_NODES, generator=torch.Generator().manual_seed(seed)).numpy()
    smiles = [s for s in decoded_smiles(*decode_latents(model, z)) if s is not None]
    distinct = set(smiles)
    known = set(known_smiles)
    return {"valid": len(smiles) / n, "unique": len(distinct) / len(smiles) if smiles else 0.0,
            "novel": len(distinct - known) / len(distinct) if distinct else 0.0}
