"""The rotation group ``C_4`` acting on 2-D velocity fields: the picture and the arrows (SMOKE, chapter 8).

A quarter turn counter-clockwise on screen, ``torch.rot90(., 1, dims=(-2, -1))``, maps a vector
``(v_x, v_y)`` in index coordinates to ``(v_y, -v_x)`` (channel 0 is ``x``, along the width axis).
The data set itself is :mod:`eqrep.data.smoke`.
"""

from __future__ import annotations

import torch

__all__ = ["rotate_velocity", "act_on_frames"]


def rotate_velocity(fields: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Rotate velocity fields ``(..., 2, H, W)`` by ``k`` quarter turns (counter-clockwise on screen).

    The grid turns like an image and each vector turns with it: ``(v_x, v_y) -> (v_y, -v_x)``
    per quarter turn (index coordinates: ``x`` along the width, ``y`` along the height). Exact.
    """
    if fields.dim() < 3 or fields.shape[-3] != 2 or fields.shape[-1] != fields.shape[-2]:
        raise ValueError(f"velocity fields need shape (..., 2, H, H), got {tuple(fields.shape)}")
    out = torch.rot90(fields, k, dims=(-2, -1))
    for _ in range(k % 4):
        out = torch.stack([out[..., 1, :, :], -out[..., 0, :, :]], dim=-3)
    return out

def act_on_frames(frames: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Per-sample ``C_4`` action on stacked frames ``(B, 2T, H, W)`` (frame ``t`` in channels
    ``2t, 2t + 1``) or on ``(B, T, 2, H, W)``; ``g`` is ``(B,)``, element ``k`` = ``k`` quarter turns."""
    g = torch.as_tensor(g, dtype=torch.long)
    if g.shape != (frames.shape[0],):
        raise ValueError(f"need one group element per sample: shape ({frames.shape[0]},), got {tuple(g.shape)}")
    stacked = frames.dim() == 4
    if stacked and frames.shape[1] % 2:
        raise ValueError(f"stacked frames need an even channel count (2 per frame), got {frames.shape[1]}")
    x = frames.reshape(frames.shape[0], -1, 2, *frames.shape[-2:]) if stacked else frames
    out = torch.empty_like(x)
    for k in torch.unique(g).tolist():
        mask = (g == k).to(x.device)
        out[mask] = rotate_velocity(x[mask], k)
    return out.reshape(frames.shape)
