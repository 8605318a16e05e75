"""Group actions on the data the book uses: vectors, images and graphs.

Conventions (used throughout the package):

* node features ``V``: shape ``(..., n, C)``; edge features ``E``: shape ``(..., n, n, C)``
  (channels last);
* a permutation ``perm`` is the tuple of images ``i -> perm[i]``; its matrix ``P`` has
  ``P[perm[i], i] = 1``, acting as ``V -> P V`` and ``E -> P E P^T``;
* images: shape ``(..., H, W)``; rotations are counter-clockwise about the centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "permutation_matrix",
    "random_permutation",
    "permute_nodes",
    "permute_edges",
    "rotate90",
    "rotate",
    "orbit",
]


def permutation_matrix(perm: Sequence[int] | torch.Tensor) -> torch.Tensor:
    """Permutation matrix ``P`` with ``P[perm[i], i] = 1``; shape ``(n, n)``."""
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


def rotate90(images: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Rotate images of shape ``(..., H, W)`` by ``k`` quarter turns counter-clockwise (exact)."""
    if images.dim() < 2:
        raise ValueError(f"images need shape (..., H, W), got {tuple(images.shape)}")
    return torch.rot90(images, k, dims=(-2, -1))


def rotate(images: torch.Tensor, angle: float | torch.Tensor) -> torch.Tensor:
    """Rotate images counter-clockwise by ``angle`` radians with bilinear interpolation.

    Args:
        images: Shape ``(B, C, H, W)`` or ``(B, H, W)`` or ``(H, W)``, square, ideally odd
            size so that the rotation centre is a pixel centre.
        angle: Scalar, or one angle per image, shape ``(B,)``.

    Returns:
        Rotated images, same shape; pixels that come from outside the image are zero.
        For multiples of ``pi/2`` the result equals :func:`rotate90` up to float rounding.
    """
    shape = images.shape
    if images.dim() < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"rotate needs square images (..., H, H), got {tuple(shape)}")
    x = images if images.dim() == 4 else images.reshape(-1, 1, shape[-2], shape[-1])
    angle = torch.as_tensor(angle, dtype=x.dtype, device=x.device).reshape(-1).expand(x.shape[0])
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(cos)
    # affine_grid maps each output pixel to the input location it samples (the inverse rotation);
    # rows grow downwards, so this (x, y) map turns the picture counter-clockwise on screen.
    theta = torch.stack([torch.stack([cos, -sin, zero], -1), torch.stack([sin, cos, zero], -1)], -2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.reshape(shape)


def orbit(x: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """The orbit ``{rho(g) x : g in G}`` of a vector under a finite group.

    Args:
        x: Shape ``(d,)``.
        matrices: ``rho(g)`` for every element, shape ``(|G|, d, d)``.

    Returns:
        Shape ``(|G|, d)``; rows may repeat when ``x`` has a non-trivial stabiliser.
    """
    return np.einsum("gij,j->gi", matrices, x)
