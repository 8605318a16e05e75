"""The DDMNIST CNN of App. C.1 of *Parameter-free approximate equivariance for tasks with finite
group symmetry* (after Veefkind & Cesa), split at the latent for the regular-representation
penalty.

``f`` (:attr:`PenaltyCNN.encoder`): upsample to ``57 x 57``; conv 7 (6 channels), conv 5 (12),
average pool, conv 3 stride 2 (24), average pool, conv 3 stride 2 (36), conv 3 (36), each conv
followed by batch norm and ELU; average pool down to ``1 x 1``; a ``1 x 1`` conv to 66 channels,
flattened. The 66-channel latent (48 in the original benchmark) holds one copy of the regular
representation of ``D_4 x D_4`` (64) plus 2 trivial coordinates, four of ``C_4 x C_4`` (16)
plus 2, or sixteen of ``D_1 x D_1`` (4) plus 2.

``k`` (:attr:`PenaltyCNN.head`): batch norm, ELU, linear to the 100 classes.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PenaltyCNN", "parameter_count"]


def _block(c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ELU())


class PenaltyCNN(nn.Module):
    """CNN classifier ``k(f(x))`` with the latent ``z = f(x)`` of shape ``(B, latent_dim)``.

    Args:
        n_classes: Output classes (100 for DDMNIST).
        in_channels: Image channels.
        c: Width unit (6 in the paper); the blocks have ``c, 2c, 4c, 6c, 6c`` channels.
        latent_dim: Channels of the final ``1 x 1`` conv (default ``11 c = 66``).
        size: Side the input is upsampled to (57, so that the feature map ends at ``1 x 1``).
    """

    def __init__(self, n_classes: int = 100, in_channels: int = 1, c: int = 6, latent_dim: int | None = None,
                 size: int = 57) -> None:
        super().__init__()
        self.latent_dim = latent_dim or 11 * c
        self.in_channels = in_channels
        self.encoder = nn.Sequential(
            nn.Upsample(size=(size, size)),
            _block(in_channels, c, 7, 1, 2),
            _block(c, 2 * c, 5, 1, 2),
            nn.AvgPool2d(5, stride=2, padding=1),
            _block(2 * c, 4 * c, 3, 2, 2),
            nn.AvgPool2d(5, stride=2, padding=1),
            _block(4 * c, 6 * c, 3, 2, 0),
            _block(6 * c, 6 * c, 3, 1, 1),
            nn.AvgPool2d(5, stride=1, padding=1),
            nn.Conv2d(6 * c, self.latent_dim, 1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.BatchNorm1d(self.latent_dim), nn.ELU(), nn.Linear(self.latent_dim, n_classes))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``f``: images ``(B, C, H, W)`` -> latents ``(B, latent_dim)``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected images (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        z = self.encoder(x)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"the feature map did not shrink to 1 x 1 (latent {tuple(z.shape)}); "
                             f"keep size=57")
        return z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, n_classes)`` for images ``(B, C, H, W)``."""
        return self.head(self.encode(x))


def parameter_count(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters; buffers such as batch-norm statistics are not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
