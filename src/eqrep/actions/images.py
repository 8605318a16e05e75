"""Rotations and reflections acting on images ``(..., H, W)`` (counter-clockwise about the centre).

* exact: :func:`rotate90` (quarter turns), :func:`act_d4` (one element of ``D_4``),
  :func:`act_c4_on_images` (``C_4``, one element per sample);
* interpolated: :func:`rotate` (any angle, bilinear), :func:`rotate_digits` (rotated MNIST,
  29 x 29), :func:`act_d3_on_images` (``D_3 = S_3`` by 120-degree turns and the mirror).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from eqrep.groups import dihedral

__all__ = ["rotate90", "rotate", "rotate_digits", "act_d4", "act_c4_on_images", "act_d3_on_images"]


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


def rotate_digits(images: np.ndarray | torch.Tensor, seed: int = 0,
                  angles: np.ndarray | None = None) -> tuple[torch.Tensor, np.ndarray]:
    """Rotated MNIST: pad to 29 x 29 and rotate each digit by a random angle.

    Args:
        images: ``(N, 28, 28)`` digits (``uint8`` in ``[0, 255]`` or floats in ``[0, 1]``).
        seed: Seed of the angles, uniform in ``[0, 2 pi)``.
        angles: Explicit angles ``(N,)`` in radians instead.

    Returns:
        Images ``float32 (N, 1, 29, 29)`` in ``[0, 1]`` and the angles ``(N,)``.
    """
    x = torch.as_tensor(np.asarray(images))
    if x.dim() != 3 or tuple(x.shape[1:]) != (28, 28):
        raise ValueError(f"rotate_digits expects digits of shape (N, 28, 28), got {tuple(x.shape)}")
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    if angles is None:
        angles = np.random.default_rng(seed).uniform(0.0, 2 * np.pi, size=len(x))
    angles = np.asarray(angles, dtype=np.float64)
    if angles.shape != (len(x),):
        raise ValueError(f"need one angle per image: {len(x)}, got shape {angles.shape}")
    padded = torch.nn.functional.pad(x, (0, 1, 0, 1))[:, None]  # (N, 1, 29, 29)
    return rotate(padded, torch.as_tensor(angles, dtype=torch.float32)).clamp(0.0, 1.0), angles


_D4 = dihedral(4)
_D3 = dihedral(3)

_D3_TURNS = torch.tensor([k for k, _ in _D3.elements])

_D3_FLIPS = torch.tensor([f for _, f in _D3.elements], dtype=torch.bool)

def act_d3_on_images(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``rho_X(r^k s^f) x``: mirror left <-> right if ``f``, then rotate counter-clockwise by
    ``k * 120`` degrees (bilinear). ``x`` is ``(B, C, H, H)``, ``g`` indexes ``dihedral(3).elements``.

    Exact for the mirror and the identity; for ``k != 0`` the rotated image is re-sampled on the
    pixel grid, so ``rho_X(r)^3 x`` is ``x`` blurred, not ``x``: only an approximate representation.
    """
    g = torch.as_tensor(g, device=x.device)
    flips = _D3_FLIPS.to(x.device)[g]
    turns = _D3_TURNS.to(x.device)[g]
    mirrored = torch.where(flips[:, None, None, None], x.flip(-1), x)
    return rotate(mirrored, turns.to(x.dtype) * (2 * np.pi / 3))

def act_c4_on_images(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``rho_X(r^k) x``: ``k`` exact quarter turns counter-clockwise; ``x`` is ``(B, C, H, W)``, ``g`` ``(B,)``."""
    out = x.clone()
    g = torch.as_tensor(g)
    for k in range(1, 4):
        sel = g == k
        if sel.any():
            out[sel] = rotate90(x[sel], k)
    return out


def act_d4(g: int, images: torch.Tensor) -> torch.Tensor:
    """``D_4`` acting on square images ``(..., H, H)``: element ``g`` of ``dihedral(4)``,
    ``r^k s^f``, flips the rows ``f`` times, then turns ``k`` quarter turns (exact).

    >>> act_d4(1, torch.tensor([[1, 2], [3, 4]]))  # r: a quarter turn counter-clockwise
    tensor([[2, 4],
            [1, 3]])
    """
    k, f = _D4.elements[g]
    return rotate90(torch.flip(images, dims=(-2,)) if f else images, k)
