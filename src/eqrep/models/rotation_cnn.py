"""A plain CNN for rotated MNIST, made (approximately) invariant only by rotation augmentation.

Hansen et al. (2024, Fig. 8) contrast the escnn classifier with an ordinary CNN trained on
randomly rotated digits: nothing in the architecture knows about rotations, so whatever
invariance the classifier shows is learned, and its intermediate latent is as ambiguous as an
equivariant one. Architecture (ours; the paper does not give one): two 5 x 5 convolutions with
batch norm, ReLU and 2 x 2 max pooling (32 and 64 channels), a 3 x 3 convolution (64 channels),
then a dense layer to the ``latent_dim``-dimensional latent and a linear classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from eqrep.models.so2_classifier import IMAGE_SIZE

__all__ = ["RotationCNNConfig", "RotationCNN"]


@dataclass(frozen=True)
class RotationCNNConfig:
    """Sizes of the augmentation CNN."""

    channels: tuple[int, int, int] = (32, 64, 64)
    latent_dim: int = 128
    num_classes: int = 10


class RotationCNN(nn.Module):
    """Ordinary CNN: images ``(B, 1, 29, 29)`` -> latent ``(B, latent_dim)`` -> logits ``(B, 10)``."""

    def __init__(self, config: RotationCNNConfig | None = None):
        super().__init__()
        self.config = config = config or RotationCNNConfig()
        c1, c2, c3 = config.channels

        def block(c_in: int, c_out: int, kernel: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(1, c1, 5), nn.MaxPool2d(2),     # 29 -> 14
                                      *block(c1, c2, 5), nn.MaxPool2d(2),    # 14 -> 7
                                      *block(c2, c3, 3), nn.Flatten(),
                                      nn.Linear(c3 * 7 * 7, config.latent_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(config.latent_dim, config.num_classes)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        """Intermediate latent (after the dense layer and its ReLU), shape ``(B, latent_dim)``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"RotationCNN expects images of shape (B, 1, {IMAGE_SIZE}, {IMAGE_SIZE}) "
                             f"(MNIST padded to 29 x 29, see eqrep.data.mnist.rotate_digits), got {tuple(x.shape)}")
        return self.features(x)

    def classify_latent(self, z: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` from the latent ``(B, latent_dim)``."""
        return self.head(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)``."""
        return self.head(self.latent(x))
