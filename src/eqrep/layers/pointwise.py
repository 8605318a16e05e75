"""Pointwise layers that commute with node permutations (channels-last features)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["GraphInstanceNorm", "PointwiseBlock"]


class GraphInstanceNorm(nn.Module):
    """Instance normalisation over the node (and edge) axes, per sample and channel.

    Input ``(B, n, C)`` or ``(B, n, n, C)``. Means and variances over all node/edge entries are
    permutation invariant, so the layer is permutation equivariant.
    """

    def __init__(self, channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(channels)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(1, x.dim() - 1))
        var, mean = torch.var_mean(x, dim=dims, keepdim=True, unbiased=False)
        scale = torch.rsqrt(var + self.eps)  # (B, 1, [1,] C): fold the affine map into one pass
        if self.weight is not None:
            scale = scale * self.weight
        shift = -mean * scale if self.bias is None else self.bias - mean * scale
        return torch.addcmul(shift, x, scale)


class PointwiseBlock(nn.Module):
    """ReLU, then a 1x1 convolution (a linear map on channels), ReLU and instance norm (App. C).

    ``(B, n, [n,] C) -> (B, n, [n,] C_out)``.
    """

    def __init__(self, channels: int, out_channels: int | None = None) -> None:
        super().__init__()
        out_channels = out_channels or channels
        self.mix = nn.Linear(channels, out_channels)
        self.norm = GraphInstanceNorm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(torch.relu_(self.mix(torch.relu(x))))
