"""SO(2)-invariant rotated-MNIST classifier built with escnn (Hansen et al. 2024, Sec. 5.2, App. D).

The network is ``x -> f -> z -> k -> y``:

* ``f`` (equivariant): six steerable convolutions (``R2Conv``, kernels 7/5/5/5/5/5), each followed
  by ``IIDBatchNorm2d`` and ``FourierELU``. Every feature field is a band-limited function on
  SO(2) with frequencies ``0 .. max_frequency``: with the default ``max_frequency = 1`` it mixes
  the trivial irrep and the frequency-1 irrep (a 3-dimensional field), as in App. D.
  16/16/32/32/64/64 fields; antialiased average pooling after each pair of convolutions; an
  average over the remaining grid gives the **equivariant latent** ``z`` of shape
  ``(B, 64 * field_size)``: rotating the input by ``g`` maps ``z`` to ``rho(g) z``, with
  ``rho`` the representation of the last field type (:meth:`SO2Classifier.latent_representation`).
* ``k`` (invariant): a 1 x 1 ``R2Conv`` to trivial fields, BatchNorm1d, ELU and a linear layer.

Invariance is exact (up to float rounding) for rotations by multiples of 90 degrees, which map
the pixel grid onto itself, and approximate for other angles: a rotated image must be
re-sampled on the grid, and the steerable filters are themselves sampled on it.

The building blocks are escnn's (Cesa et al. 2022); only the assembly is ours.

The baseline of the same chapter is here too, :class:`RotationCNN`: a plain CNN made
(approximately) invariant only by rotation augmentation. Hansen et al. (2024, Fig. 8) contrast
the escnn classifier with such a CNN: nothing in its architecture knows about rotations, so
whatever invariance it shows is learned, and its intermediate latent is as ambiguous as an
equivariant one. Its architecture is ours (the paper gives none): two 5 x 5 convolutions with
batch norm, ReLU and 2 x 2 max pooling (32 and 64 channels), a 3 x 3 convolution (64 channels),
then a dense layer to the ``latent_dim``-dimensional latent and a linear classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from eqrep.escnn_compat import import_escnn

_escnn = import_escnn()  # escnn without its SO(3)-only dependency lie_learn (see eqrep.escnn_compat)
gspaces, enn = _escnn.gspaces, _escnn.nn

__all__ = ["SO2ClassifierConfig", "SO2Classifier", "IMAGE_SIZE", "RotationCNNConfig", "RotationCNN"]

IMAGE_SIZE = 29  # odd, so that the rotation centre is a pixel centre


@dataclass(frozen=True)
class SO2ClassifierConfig:
    """Sizes of the SO(2)-invariant classifier (defaults: Hansen et al. 2024, App. D)."""

    channels: tuple[int, ...] = (16, 16, 32, 32, 64, 64)
    kernel_sizes: tuple[int, ...] = (7, 5, 5, 5, 5, 5)
    max_frequency: int = 1        # field = irreps 0..max_frequency (0 and 1: "trivial + one non-trivial")
    fourier_samples: int = 8      # grid points on SO(2) where FourierELU applies the ELU
    invariant_features: int = 64  # trivial fields after the 1x1 convolution
    num_classes: int = 10


class SO2Classifier(nn.Module):
    """Rotation-invariant classifier with an SO(2)-equivariant latent.

    Input ``(B, 1, 29, 29)`` float images; :meth:`forward` returns logits ``(B, num_classes)``,
    :meth:`latent` the equivariant latent ``(B, latent_dim)``.
    """

    def __init__(self, config: SO2ClassifierConfig | None = None):
        super().__init__()
        self.config = config = config or SO2ClassifierConfig()
        if len(config.channels) != 6 or len(config.kernel_sizes) != 6:
            raise ValueError("the classifier has six steerable convolutions: give six channel counts and kernel sizes")
        self.gspace = gspaces.rot2dOnR2(N=-1)
        group = self.gspace.fibergroup
        irreps = group.bl_irreps(config.max_frequency)
        self.in_type = enn.FieldType(self.gspace, [self.gspace.trivial_repr])
        self.mask = enn.MaskModule(self.in_type, IMAGE_SIZE, margin=1)

        layers: list[enn.EquivariantModule] = []
        current = self.in_type
        paddings = (1, 2, 2, 2, 2, 1)
        specs = zip(config.channels, config.kernel_sizes, paddings, strict=True)
        for i, (channels, kernel, padding) in enumerate(specs):
            activation = enn.FourierELU(self.gspace, channels, irreps=irreps, N=config.fourier_samples, inplace=True)
            layers += [enn.R2Conv(current, activation.in_type, kernel_size=kernel, padding=padding, bias=False),
                       enn.IIDBatchNorm2d(activation.in_type), activation]
            current = activation.out_type
            if i in (1, 3):
                layers.append(enn.PointwiseAvgPoolAntialiased2D(current, sigma=0.66, stride=2, padding=int(i == 3)))
        self.features = enn.SequentialModule(*layers)
        self.latent_type = current
        self.invariant_type = enn.FieldType(self.gspace, [self.gspace.trivial_repr] * config.invariant_features)
        self.to_invariant = enn.R2Conv(current, self.invariant_type, kernel_size=1)
        self.head = nn.Sequential(nn.BatchNorm1d(config.invariant_features), nn.ELU(inplace=True),
                                  nn.Linear(config.invariant_features, config.num_classes))

    @property
    def latent_dim(self) -> int:
        """Dimension of the equivariant latent (number of fields x field size)."""
        return self.latent_type.size

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, IMAGE_SIZE, IMAGE_SIZE):
            raise ValueError(f"SO2Classifier expects images of shape (B, 1, {IMAGE_SIZE}, {IMAGE_SIZE}) "
                             f"(MNIST padded to 29 x 29, see eqrep.data.mnist.rotate_digits), got {tuple(x.shape)}")

    def _latent_tensor(self, x: torch.Tensor) -> enn.GeometricTensor:
        self._check(x)
        h = self.features(self.mask(enn.GeometricTensor(x, self.in_type))).tensor
        # average over the grid: linear, so it commutes with every field type's representation
        # (escnn's pointwise pooling modules refuse non-pointwise fields, hence plain torch here)
        return enn.GeometricTensor(h.mean(dim=(2, 3), keepdim=True), self.latent_type)  # (B, latent_dim, 1, 1)

    def latent(self, x: torch.Tensor) -> torch.Tensor:
        """Equivariant latent ``z = f(x)``, shape ``(B, latent_dim)``."""
        return self._latent_tensor(x).tensor.flatten(1)

    def invariant_features(self, x: torch.Tensor) -> torch.Tensor:
        """The network's own invariant features (1x1 convolution to trivial fields), ``(B, invariant_features)``."""
        return self.to_invariant(self._latent_tensor(x)).tensor.flatten(1)

    def classify_latent(self, z: torch.Tensor) -> torch.Tensor:
        """The invariant head ``k``: latent ``(B, latent_dim)`` -> logits ``(B, num_classes)``."""
        g = enn.GeometricTensor(z[:, :, None, None], self.latent_type)
        return self.head(self.to_invariant(g).tensor.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes)`` for images ``(B, 1, 29, 29)``."""
        return self.classify_latent(self.latent(x))

    def latent_representation(self, angle: float) -> np.ndarray:
        """``rho(angle)``: the matrix by which the latent transforms, ``(latent_dim, latent_dim)``.

        ``latent(rotate(x, angle)) = latent(x) @ rho(angle).T`` (exactly for multiples of 90 degrees,
        with :func:`eqrep.actions.rotate`'s counter-clockwise convention).
        """
        element = self.gspace.fibergroup.element(float(angle))
        return np.asarray(self.latent_type.representation(element), dtype=np.float64)

    def latent_irrep_blocks(self) -> list[tuple[int, slice]]:
        """The latent in the irreducible basis: ``(frequency, slice)`` per irreducible block.

        Use with :meth:`latent_change_of_basis`: ``z_irr = z @ Q^{-T}`` has these blocks.
        """
        blocks, start = [], 0
        for irrep_id in self.latent_type.representation.irreps:
            size = self.gspace.fibergroup.irrep(*irrep_id).size
            blocks.append((int(irrep_id[0]), slice(start, start + size)))
            start += size
        return blocks

    def latent_change_of_basis(self) -> np.ndarray:
        """``Q`` with ``rho(g) = Q (direct sum of irreps)(g) Q^{-1}``, shape ``(latent_dim, latent_dim)``."""
        return np.asarray(self.latent_type.representation.change_of_basis, dtype=np.float64)


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
