"""Figure helpers shared by the chapters (matplotlib; molecules drawn with RDKit)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["show_matrix", "molecule_image", "draw_graphs", "SUM_ZERO_BASIS", "to_plane", "draw_chambers"]

SUM_ZERO_BASIS = np.array([[-1.0, 1.0, 0.0] / np.sqrt(2), [-1.0, -1.0, 2.0] / np.sqrt(6)])
"""An orthonormal basis ``(2, 3)`` of the plane orthogonal to ``(1, 1, 1)``, where ``S_3`` acts on ``R^3``."""


def show_matrix(ax: plt.Axes, m: np.ndarray, title: str = "", cmap: str = "RdBu_r", annotate: bool = False) -> None:
    """Draw a matrix ``(r, c)`` with a symmetric colour scale (optionally with its entries written in)."""
    m = np.asarray(m, dtype=float)
    v = max(float(np.abs(m).max()), 1e-12)
    ax.imshow(m, cmap=cmap, vmin=-v, vmax=v)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    if annotate:
        for (i, j), val in np.ndenumerate(m):
            ax.text(j, i, f"{val:.2g}", ha="center", va="center", fontsize=7)


def molecule_image(nodes: np.ndarray, edges: np.ndarray, size: int = 200, slot_labels: bool = False,
                   trim: bool = True) -> np.ndarray | None:
    """RDKit depiction of a dense graph as an RGB array ``(H, W, 3)``, or ``None`` if invalid.

    Args:
        nodes: ``(n,)`` node-type indices; edges: ``(n, n)`` bond-type indices.
        size: Width and height of the RDKit drawing in pixels.
        slot_labels: Write each atom's node slot (row of ``nodes``) next to it.
        trim: Cut the white margin and pad to a square, so that small molecules fill the image.
    """
    from rdkit.Chem import Draw

    from eqrep.data.qm9 import NO_NODE, dense_to_molecule

    mol = dense_to_molecule(nodes, edges)
    if mol is None:
        return None
    if slot_labels:  # dense_to_molecule adds the atoms in slot order, skipping not-a-node slots
        slots = [i for i in range(len(nodes)) if nodes[i] != NO_NODE]
        for atom, slot in zip(mol.GetAtoms(), slots, strict=True):
            atom.SetProp("atomNote", str(slot))
    image = np.asarray(Draw.MolToImage(mol, size=(size, size)).convert("RGB"))
    if not trim:
        return image
    ink = (image < 245).any(axis=-1)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    if len(rows) == 0:
        return image
    image = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = int(1.12 * max(image.shape[:2])) + 2
    square = np.full((side, side, 3), 255, dtype=np.uint8)
    top, left = (side - image.shape[0]) // 2, (side - image.shape[1]) // 2
    square[top:top + image.shape[0], left:left + image.shape[1]] = image
    return square


def draw_graphs(axes: Sequence, nodes: np.ndarray, edges: np.ndarray, titles: Sequence[str] | None = None,
                size: int = 200, fontsize: float = 7, slot_labels: bool = False) -> np.ndarray:
    """Draw graph ``k`` into ``axes[k]``; an invalid graph gets a grey "invalid" placeholder.

    Args:
        axes: Matplotlib axes, one per graph (e.g. ``axes.ravel()``).
        nodes: ``(K, n)`` node-type indices; edges: ``(K, n, n)`` bond-type indices.
        titles: Optional title per graph.
        size: Pixel size of each depiction.
        fontsize: Size of titles and placeholder text.
        slot_labels: Write each atom's node slot next to it (see :func:`molecule_image`).

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
        image = molecule_image(nodes[k], edges[k], size, slot_labels)
        valid[k] = image is not None
        if image is None:
            ax.set_facecolor("0.93")
            ax.text(0.5, 0.5, "invalid", ha="center", va="center", color="C3", fontsize=fontsize + 1,
                    transform=ax.transAxes)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")  # the same size as a molecule image
        else:
            ax.imshow(image)
        for spine in ax.spines.values():
            spine.set_color("C3" if image is None else "0.85")
        if titles is not None:
            ax.set_title(titles[k], fontsize=fontsize, pad=2)
    return valid


def to_plane(x: np.ndarray) -> np.ndarray:
    """Coordinates ``(..., 2)`` of points ``x`` ``(..., 3)`` in the plane orthogonal to ``(1, 1, 1)``
    (:data:`SUM_ZERO_BASIS`); the component along ``(1, 1, 1)``, fixed by ``S_3``, is dropped."""
    return np.asarray(x) @ SUM_ZERO_BASIS.T


def draw_chambers(ax: plt.Axes, radius: float = 2.8) -> None:
    """The three mirrors ``x_i = x_j`` of ``S_3`` on ``R^3``, seen in the plane of :func:`to_plane`,
    and the closed Weyl chamber (cone) ``x_1 <= x_2 <= x_3`` shaded: sorting maps every orbit there."""
    for i, j in [(0, 1), (1, 2), (0, 2)]:  # the mirror x_i = x_j
        normal = to_plane(np.eye(3)[i] - np.eye(3)[j])
        t = np.array([-normal[1], normal[0]]) / np.linalg.norm(normal)
        t = t if t[1] > 0 else -t  # label the upper end of each mirror
        ax.plot(*np.c_[-2 * radius * t, 2 * radius * t], color="0.55", lw=0.8)
        ax.text(*(0.9 * radius * t), f"$x_{i + 1} = x_{j + 1}$ ", fontsize=7, color="0.35",
                ha="right", va="center")
    # the cone x1 <= x2 <= x3 is spanned by the projections of (0, 0, 1) and (-1, 0, 0)
    a, b = (np.arctan2(*to_plane(v)[::-1]) for v in ([0, 0, 1], [-1, 0, 0]))
    th = np.linspace(min(a, b), max(a, b), 50)
    ax.fill(np.r_[0, 2 * radius * np.cos(th)], np.r_[0, 2 * radius * np.sin(th)], color="C3", alpha=0.12, lw=0)
    ax.text(0.97 * radius, 0.97 * radius, "cone $\\mathcal{C}$:\n$x_1 \\leq x_2 \\leq x_3$",
            fontsize=8, color="C3", ha="right", va="top")
    ax.set_xlim(-radius, radius)
    ax.set_ylim(-radius, radius)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
