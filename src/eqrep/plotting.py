"""Figure helpers shared by the chapters (matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["show_images", "show_matrix", "scatter_2d"]


def show_images(images: np.ndarray, titles: Sequence[str] | None = None, ncols: int | None = None,
                size: float = 1.8, cmap: str = "gray") -> plt.Figure:
    """Show a row (or grid) of images, shape ``(N, H, W)``, without axes."""
    images = np.asarray(images)
    n = len(images)
    ncols = ncols or n
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * (titles is not None)),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, (ax, img) in enumerate(zip(axes.ravel(), images)):
        ax.imshow(img, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def show_matrix(ax: plt.Axes, m: np.ndarray, title: str = "", cmap: str = "RdBu_r", annotate: bool = False) -> None:
    """Draw a matrix with a symmetric colour scale (optionally with its entries written in)."""
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


def scatter_2d(ax: plt.Axes, points: np.ndarray, labels: np.ndarray | None = None, title: str = "",
               cmap: str = "tab10", s: float = 8.0) -> None:
    """Scatter plot of 2-d points ``(N, 2)`` coloured by ``labels``."""
    points = np.asarray(points)
    sc = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap=cmap, s=s, linewidths=0)
    if labels is not None and len(np.unique(labels)) <= 10:
        ax.legend(*sc.legend_elements(), fontsize=7, loc="best", markerscale=0.8, frameon=False)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
