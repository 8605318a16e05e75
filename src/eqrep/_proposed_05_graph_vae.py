"""Helpers proposed by Chapter 5 (graph VAE on QM9): molecule drawings and batched interpolations.

* :func:`molecule_image` / :func:`draw_graphs` -- draw dense graphs (node and edge type indices,
  as in :mod:`eqrep.data.qm9`) as RDKit depictions in matplotlib axes, with a placeholder for
  graphs that are not valid molecules;
* :func:`interpolation_paths` -- the two interpolation paths of
  :func:`eqrep.analysis.graph_latents.interpolate` for *many* pairs at once (one batched decoder
  call instead of two per pair);
* :func:`hamming_profiles` -- Hamming distances between consecutive decoded graphs of many
  paths, vectorised (the batched counterpart of
  :func:`eqrep.analysis.graph_latents.hamming_steps`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from eqrep.data.qm9 import dense_to_molecule

__all__ = ["molecule_image", "draw_graphs", "interpolation_paths", "hamming_profiles"]


def molecule_image(nodes: np.ndarray, edges: np.ndarray, size: int = 200) -> np.ndarray | None:
    """RDKit depiction of a dense graph as an RGB array ``(size, size, 3)``, or ``None`` if invalid.

    Args:
        nodes: ``(n,)`` node-type indices; edges: ``(n, n)`` bond-type indices.
        size: Width and height of the image in pixels.
    """
    from rdkit.Chem import Draw

    mol = dense_to_molecule(nodes, edges)
    if mol is None:
        return None
    return np.asarray(Draw.MolToImage(mol, size=(size, size)).convert("RGB"))


def draw_graphs(axes: Sequence, nodes: np.ndarray, edges: np.ndarray, titles: Sequence[str] | None = None,
                size: int = 200, fontsize: float = 7) -> np.ndarray:
    """Draw graph ``k`` into ``axes[k]``; an invalid graph gets a grey "invalid" placeholder.

    Args:
        axes: Matplotlib axes, one per graph (e.g. ``axes.ravel()``).
        nodes: ``(K, n)`` node-type indices; edges: ``(K, n, n)`` bond-type indices.
        titles: Optional title per graph.
        size: Pixel size of each depiction.

    Returns:
        ``(K,)`` boolean array, ``True`` where the graph is a valid molecule.
    """
    valid = np.zeros(len(nodes), dtype=bool)
    for k, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= len(nodes):
            ax.axis("off")
            continue
        image = molecule_image(nodes[k], edges[k], size)
        valid[k] = image is not None
        if image is None:
            ax.set_facecolor("0.93")
            ax.text(0.5, 0.5, "invalid", ha="center", va="center", color="C3", fontsize=fontsize + 1,
                    transform=ax.transAxes)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
        else:
            ax.imshow(image)
        for spine in ax.spines.values():
            spine.set_color("C3" if image is None else "0.85")
        if titles is not None:
            ax.set_title(titles[k], fontsize=fontsize, pad=2)
    return valid


@torch.no_grad()
def interpolation_paths(model, z1: np.ndarray, z2: np.ndarray, steps: int = 25, batch_size: int = 4096
                        ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Decode the equivariant and invariant interpolation paths for many pairs of latents.

    Same paths as :func:`eqrep.analysis.graph_latents.interpolate`: the equivariant path
    ``(1 - alpha) z1 + alpha z2`` and the invariant path ``(1 - alpha) s(z1) + alpha s(z2)``
    with ``s`` = sorting, ``alpha`` on ``steps`` equally spaced points of ``[0, 1]``.

    Args:
        model: A :class:`~eqrep.models.graph_vae.GraphVAE` with one latent channel.
        z1, z2: ``(P, n)`` latents (``P`` pairs).
        steps: Points per path.
        batch_size: Graphs per decoder call.

    Returns:
        ``{"equivariant": (latents, nodes, edges), "invariant": (...)}`` with latents
        ``(P, steps, n)``, node types ``(P, steps, n)`` and edge types ``(P, steps, n, n)``.
    """
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
        out[name] = (lat, nodes, edges)
    return out


def hamming_profiles(nodes: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Hamming distances between consecutive graphs of many paths.

    Args:
        nodes: ``(P, T, n)`` node types; edges: ``(P, T, n, n)`` edge types (upper triangle used).

    Returns:
        ``(P, T - 1)`` integer array: changed node types plus changed edges ``i < j`` per step.
    """
    n = nodes.shape[-1]
    iu = np.triu_indices(n, k=1)
    upper = edges[..., iu[0], iu[1]]  # (P, T, n (n - 1) / 2)
    return (np.diff(nodes, axis=1) != 0).sum(-1) + (np.diff(upper, axis=1) != 0).sum(-1)
