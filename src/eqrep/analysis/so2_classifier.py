"""Analysing the latents of the rotated-MNIST classifiers (Hansen et al. 2024, Sec. 3.2, 5.2, Figs. 6-8).

* :func:`encode_images` -- latents ``(N, d)`` of a model with a ``latent`` method, in batches;
* :func:`logits_over_angles` -- the invariance check: logits of one image over many rotations;
* :func:`sampled_representation` -- ``rho`` of the SO(2) latent at ``N`` equally spaced angles;
  for a band-limited representation (frequencies ``<= L < N``) their average *is* SO(2)'s
  Reynolds operator, so :func:`eqrep.invariants.random_invariant_linear_map` on these matrices
  samples every invariant linear map of the latent exactly;
* :func:`random_invariant_projection` -- that random invariant linear map for a trained model;
* :func:`irrep_norms` -- the norm of each irreducible block of the latent (a non-linear invariant
  that keeps the magnitudes of the non-trivial blocks, which every invariant *linear* map loses);
* :func:`knn_f1` -- macro F1 of a k-nearest-neighbour classifier against ``k`` (scikit-learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.neighbors import KNeighborsClassifier

from eqrep.actions import rotate
from eqrep.invariants import random_invariant_linear_map
from eqrep.models.so2_classifier import SO2Classifier

__all__ = ["encode_images", "logits_over_angles", "sampled_representation", "random_invariant_projection",
           "irrep_norms", "knn_f1"]


@torch.no_grad()
def encode_images(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 500) -> np.ndarray:
    """Latents ``(N, d)`` of images ``(N, 1, 29, 29)`` (the model is put in eval mode)."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model.latent(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)]).numpy()


@torch.no_grad()
def logits_over_angles(model: torch.nn.Module, image: torch.Tensor, angles: np.ndarray) -> np.ndarray:
    """Logits of one image ``(1, 29, 29)`` rotated by each angle (radians): ``(len(angles), classes)``."""
    if image.dim() != 3:
        raise ValueError(f"expected one image of shape (1, H, W), got {tuple(image.shape)}")
    model.eval()
    device = next(model.parameters()).device
    batch = image[None].expand(len(angles), *image.shape).contiguous()
    rotated = rotate(batch, torch.as_tensor(np.asarray(angles), dtype=torch.float32))
    return model(rotated.to(device)).cpu().numpy()


def sampled_representation(model: SO2Classifier, n_angles: int | None = None) -> np.ndarray:
    """``rho(2 pi j / N)`` for ``j = 0..N-1``: shape ``(N, d, d)``.

    ``N`` defaults to ``2 L + 2`` for a latent with frequencies up to ``L``; any ``N > L`` makes the
    average of these matrices equal to the SO(2) average (the Reynolds operator).
    """
    top = max(freq for freq, _ in model.latent_irrep_blocks())
    n = n_angles or 2 * top + 2
    if n <= top:
        raise ValueError(f"need more than {top} angles to average a representation with frequencies up to {top}")
    return np.stack([model.latent_representation(2 * np.pi * j / n) for j in range(n)])


def random_invariant_projection(model: SO2Classifier, out_dim: int, seed: int = 0) -> np.ndarray:
    """A random SO(2)-invariant linear map of the latent, ``(out_dim, d)``: ``A rho(g) = A`` for all g."""
    return random_invariant_linear_map(sampled_representation(model), out_dim, seed=seed)


def irrep_norms(model: SO2Classifier, z: np.ndarray) -> np.ndarray:
    """Norm of every irreducible block of latents ``z`` ``(N, d)``: ``(N, number of blocks)``.

    Rotations act on each block by an orthogonal matrix, so the norms are invariant.
    """
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != model.latent_dim:
        raise ValueError(f"expected latents of shape (N, {model.latent_dim}), got {z.shape}")
    z_irr = np.linalg.solve(model.latent_change_of_basis(), z.T).T  # coordinates in the irreducible basis
    return np.stack([np.linalg.norm(z_irr[:, block], axis=1) for _, block in model.latent_irrep_blocks()], axis=1)


def knn_f1(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray,
           ks: Sequence[int] = (1, 3, 5, 10, 20, 50)) -> np.ndarray:
    """Macro-averaged F1 score of k-nearest-neighbour classification for each ``k``: ``(len(ks),)``.

    Args:
        train_x: ``(M, d)``; train_y: ``(M,)``; test_x: ``(T, d)``; test_y: ``(T,)``.
    """
    train_x, test_x = np.asarray(train_x, dtype=float), np.asarray(test_x, dtype=float)
    if train_x.ndim != 2 or test_x.ndim != 2 or test_x.shape[1] != train_x.shape[1]:
        raise ValueError(f"features must be (M, d) and (T, d), got {train_x.shape} and {test_x.shape}")
    return np.array([f1_score(test_y, KNeighborsClassifier(n_neighbors=k).fit(train_x, train_y).predict(test_x),
                              average="macro", zero_division=0) for k in ks])
