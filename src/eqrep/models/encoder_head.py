"""Small encoder-head networks ``x -> f -> z -> k -> y`` for learning a latent representation.

The three architectures of App. B of *Parameter-free approximate equivariance for tasks with
finite group symmetry* (Sec. 4), written so that the encoder ``f`` and the head ``k`` are
separate modules: the learned latent action ``rho_Z`` sits between them.

* :class:`ConvAutoencoder` (App. B.1, typeface digits and ``C_2``): two strided 3x3
  convolutions, a 7x7 convolution to a vector, a linear map to ``z``; the decoder mirrors it
  with transposed convolutions and ends in a sigmoid. Input ``(B, 1, 28, 28)``.
* :class:`MLPAutoencoder` (App. B.2, MNIST and ``S_3``): fully connected layers
  ``pixels -> 512 -> 256 -> 128 -> z`` and back, ReLU, sigmoid output. Input ``(B, 1, H, H)``.
* :class:`ConvClassifier` (App. B.3, CIFAR-10 and ``C_4`` in the paper; MNIST here): five 3x3
  convolutions with GELU, three of them strided, a linear map to ``z``, and a linear head to
  the class logits.

Each has ``.encoder`` (``(B, ...) -> (B, latent_dim)``), ``.head`` and ``forward = head o encoder``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ConvAutoencoder", "MLPAutoencoder", "ConvClassifier"]


class ConvAutoencoder(nn.Module):
    """CNN autoencoder of App. B.1 for ``(B, 1, 28, 28)`` images; latent ``(B, latent_dim)``."""

    def __init__(self, latent_dim: int = 42) -> None:
        super().__init__()
        if latent_dim < 2 or latent_dim % 2:
            raise ValueError(f"latent_dim must be even and >= 2 (channels d/2, d, 2d), got {latent_dim}")
        d = self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, d // 2, 3, stride=2, padding=1), nn.ReLU(),  # 14 x 14
            nn.Conv2d(d // 2, d, 3, stride=2, padding=1), nn.ReLU(),  # 7 x 7
            nn.Conv2d(d, 2 * d, 7), nn.ReLU(),  # 1 x 1
            nn.Flatten(), nn.Linear(2 * d, d),
        )
        self.head = nn.Sequential(
            nn.Linear(d, 2 * d), nn.Unflatten(1, (2 * d, 1, 1)),
            nn.ConvTranspose2d(2 * d, d, 7), nn.ReLU(),  # 7 x 7
            nn.ConvTranspose2d(d, d // 2, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 14 x 14
            nn.ConvTranspose2d(d // 2, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),  # 28 x 28
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``(B, 1, 28, 28)``."""
        return self.head(self.encoder(x))


class MLPAutoencoder(nn.Module):
    """MLP autoencoder of App. B.2 for ``(B, 1, size, size)`` images; latent ``(B, latent_dim)``.

    Args:
        latent_dim: Dimension of ``z``.
        hidden: Widths of the encoder's hidden layers (the decoder uses them reversed).
        image_size: Side of the square input (29 for MNIST padded to an odd size).
    """

    def __init__(self, latent_dim: int = 30, hidden: Sequence[int] = (512, 256, 128), image_size: int = 29) -> None:
        super().__init__()
        self.latent_dim, self.image_size = latent_dim, image_size
        widths = [image_size * image_size, *hidden, latent_dim]
        enc: list[nn.Module] = [nn.Flatten()]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            enc += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(widths) - 2 else [])
        dec: list[nn.Module] = []
        back = widths[::-1]
        for i, (a, b) in enumerate(zip(back[:-1], back[1:], strict=True)):
            dec += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(back) - 2 else [])
        dec += [nn.Sigmoid(), nn.Unflatten(1, (1, image_size, image_size))]
        self.encoder, self.head = nn.Sequential(*enc), nn.Sequential(*dec)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction, same shape as ``x``."""
        return self.head(self.encoder(x))


class ConvClassifier(nn.Module):
    """CNN classifier of App. B.3; input ``(B, in_channels, 28 or 32, same)``, logits ``(B, classes)``.

    Three stride-2 convolutions bring 28 x 28 (or 32 x 32) down to 4 x 4; ``c_hid`` channels.
    """

    def __init__(self, latent_dim: int = 64, in_channels: int = 1, classes: int = 10, c_hid: int = 32) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, c_hid, 3, padding=1, stride=2), nn.GELU(),
            nn.Conv2d(c_hid, c_hid, 3, padding=1), nn.GELU(),
            nn.Conv2d(c_hid, 2 * c_hid, 3, padding=1, stride=2), nn.GELU(),
            nn.Conv2d(2 * c_hid, 2 * c_hid, 3, padding=1), nn.GELU(),
            nn.Conv2d(2 * c_hid, 2 * c_hid, 3, padding=1, stride=2), nn.GELU(),
            nn.Flatten(), nn.Linear(2 * 16 * c_hid, latent_dim),
        )
        self.head = nn.Linear(latent_dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, classes)``."""
        return self.head(self.encoder(x))
