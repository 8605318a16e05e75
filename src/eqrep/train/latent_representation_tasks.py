"""The three experiments of Sec. 4 of *Parameter-free approximate equivariance*: data, network, group.

* ``c2-typeface``: digits in two fonts, randomly rotated and scaled
  (:mod:`eqrep.data.typeface_digits`, our stand-in for TMNIST); ``C_2`` swaps the font;
  CNN autoencoder (App. B.1), latent 42, MSE; ``rho_Y = rho_X``.
* ``s3-mnist``: MNIST digits padded to 29 x 29 at random angles; ``S_3 ~ D_3`` acts by
  rotations through 120 degrees (``r``) and the mirror image left <-> right (``s``), with bilinear
  interpolation (:func:`eqrep.actions.rotate`); MLP autoencoder (App. B.2), latent 30, MSE.
* ``c4-mnist``: MNIST at random quarter turns; ``C_4`` acts by exact quarter turns
  (:func:`eqrep.actions.rotate90`); CNN classifier (App. B.3; the paper uses CIFAR-10), latent
  64, cross-entropy; ``rho_Y`` trivial (labels are invariant).

:func:`make_task` returns a :class:`LatentTask`, what :mod:`eqrep.train.latent_representation`
trains: a batch sampler, a fixed validation batch, the network and the group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from eqrep.actions import act_c4_on_images, act_d3_on_images, rotate
from eqrep.data.mnist import load_mnist
from eqrep.data.typeface_digits import DigitParameters, TypefaceDigits
from eqrep.groups import FiniteGroup, cyclic, dihedral
from eqrep.models.encoder_head import ConvAutoencoder, ConvClassifier, MLPAutoencoder
from eqrep.models.latent_representation import LearnedRepresentation
from eqrep.representations import direct_sum, real_irreps_cyclic, real_irreps_dihedral

if TYPE_CHECKING:
    from eqrep.train.latent_representation import LatentRepConfig

__all__ = ["EXPERIMENTS", "experiment_group", "Batch", "LatentTask",
           "make_task", "make_network", "make_representation"]

EXPERIMENTS = ("c2-typeface", "s3-mnist", "c4-mnist")


def experiment_group(experiment: str) -> FiniteGroup:
    """``C_2``, ``D_3`` (``= S_3``) or ``C_4``, with the presentation whose relations are penalised."""
    groups = {"c2-typeface": lambda: cyclic(2), "s3-mnist": lambda: dihedral(3), "c4-mnist": lambda: cyclic(4)}
    if experiment not in groups:
        raise ValueError(f"unknown experiment '{experiment}'; choose from {list(EXPERIMENTS)}")
    return groups[experiment]()


@dataclass
class Batch:
    """One batch: inputs ``x``, targets ``y``, group elements ``g`` ``(B,)`` and the transformed
    inputs ``gx = rho_X(g) x`` (and targets ``gy = rho_Y(g) y``, ``None`` when ``rho_Y`` is trivial)."""

    x: torch.Tensor
    y: torch.Tensor
    g: torch.Tensor
    gx: torch.Tensor
    gy: torch.Tensor | None

    def to(self, device: torch.device) -> "Batch":
        return Batch(*(None if t is None else t.to(device) for t in (self.x, self.y, self.g, self.gx, self.gy)))


@dataclass
class LatentTask:
    """What an experiment supplies to the training loop.

    Attributes:
        group: The group acting.
        model: Network with ``.encoder`` and ``.head``.
        loss_fn: Task loss ``l(prediction, target)``.
        sample: ``sample(n, generator) -> Batch`` of training data.
        val: A fixed validation :class:`Batch`.
        act_x: ``rho_X`` on images, ``act_x(x, g)`` (the image action, for analysis).
        data_source: Description of the data.
    """

    group: FiniteGroup
    model: nn.Module
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    sample: Callable[[int, torch.Generator], Batch]
    val: Batch
    act_x: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None
    data_source: str


def _typeface_task(config: LatentRepConfig) -> LatentTask:
    data = TypefaceDigits()

    def sample(n: int, gen: torch.Generator, params: DigitParameters | None = None) -> Batch:
        params = params if params is not None else data.sample(n, gen)
        x, swapped = data.pairs(params)
        g = torch.randint(2, (n,), generator=gen)
        gx = torch.where((g == 1)[:, None, None, None], swapped, x)
        return Batch(x, x, g, gx, gx)

    val = sample(config.val_size, torch.Generator().manual_seed(10_000 + config.seed))
    return LatentTask(cyclic(2), make_network(config), F.mse_loss, sample, val, None,
                      f"typeface digits: fonts {data.fonts}, angles within +-{np.degrees(data.max_angle):.0f} deg, "
                      f"scales {data.scales} (rendered with matplotlib; stand-in for TMNIST)")


@lru_cache(maxsize=2)
def _mnist(source: str):
    return load_mnist(source, verbose=False)


def _mnist_images(config: LatentRepConfig, size: int):
    data = _mnist(config.source)
    out = {}
    for part in ("train", "test"):
        images, labels = data.part(part)
        x = torch.as_tensor(images, dtype=torch.float32)[:, None] / 255.0
        if size == 29:
            x = F.pad(x, (0, 1, 0, 1))  # odd size: the rotation centre is a pixel centre
        out[part] = (x, torch.as_tensor(labels))
    return out, data.source


def _s3_task(config: LatentRepConfig) -> LatentTask:
    parts, source = _mnist_images(config, 29)
    train_x = parts["train"][0]
    group = dihedral(3)

    def draw(images: torch.Tensor, n: int, gen: torch.Generator) -> Batch:
        idx = torch.randint(len(images), (n,), generator=gen)
        angles = 2 * np.pi * torch.rand(n, generator=gen)  # the data are augmented by arbitrary rotations
        x = rotate(images[idx], angles).clamp(0, 1)
        g = torch.randint(group.order, (n,), generator=gen)
        gx = act_d3_on_images(x, g)
        return Batch(x, x, g, gx, gx)

    val_gen = torch.Generator().manual_seed(10_000 + config.seed)
    val = draw(parts["test"][0][: config.val_size], config.val_size, val_gen)
    model = make_network(config)
    return LatentTask(group, model, F.mse_loss, lambda n, gen: draw(train_x, n, gen), val, act_d3_on_images,
                      f"{source}; padded to 29 x 29, random angles; D_3 by 120-degree turns and the mirror")


def _c4_task(config: LatentRepConfig) -> LatentTask:
    parts, source = _mnist_images(config, 28)
    train_x, train_y = parts["train"]

    def draw(images: torch.Tensor, labels: torch.Tensor, n: int, gen: torch.Generator) -> Batch:
        idx = torch.randint(len(images), (n,), generator=gen)
        x = act_c4_on_images(images[idx], torch.randint(4, (n,), generator=gen))  # C_4-augmented data
        g = torch.randint(4, (n,), generator=gen)
        return Batch(x, labels[idx], g, act_c4_on_images(x, g), None)

    test_x, test_y = parts["test"]
    val = draw(test_x, test_y, config.val_size, torch.Generator().manual_seed(10_000 + config.seed))
    return LatentTask(cyclic(4), make_network(config), F.cross_entropy,
                      lambda n, gen: draw(train_x, train_y, n, gen), val, act_c4_on_images,
                      f"{source}; random quarter turns; C_4 by exact quarter turns")


def make_task(config: LatentRepConfig) -> LatentTask:
    """Data, model and group of ``config.experiment``."""
    builders = {"c2-typeface": _typeface_task, "s3-mnist": _s3_task, "c4-mnist": _c4_task}
    if config.experiment not in builders:
        raise ValueError(f"unknown experiment '{config.experiment}'; choose from {list(EXPERIMENTS)}")
    return builders[config.experiment](config)


def make_network(config: LatentRepConfig) -> nn.Module:
    """The experiment's network ``x -> f -> z -> k -> y`` (attributes ``encoder`` and ``head``)."""
    builders = {"c2-typeface": lambda: ConvAutoencoder(config.latent_dim),
                "s3-mnist": lambda: MLPAutoencoder(config.latent_dim, config.hidden, image_size=29),
                "c4-mnist": lambda: ConvClassifier(config.latent_dim, c_hid=config.channels)}
    if config.experiment not in builders:
        raise ValueError(f"unknown experiment '{config.experiment}'; choose from {list(EXPERIMENTS)}")
    return builders[config.experiment]()


def make_representation(config: LatentRepConfig, group: FiniteGroup) -> LearnedRepresentation:
    """The learned generator matrices of a run: Haar-random or near the identity (``config.init``),
    or an exact sum of real irreducibles in a random basis (``config.init_multiplicities``)."""
    rep = LearnedRepresentation(group, config.latent_dim, init=config.init, noise=config.init_noise,
                                seed=config.seed + 7_919)
    if config.init_multiplicities is not None:
        # one generator: cyclic; two of orders n and 2 with (sr)^2 = e: dihedral (by structure, not by name)
        irreps = real_irreps_cyclic(group) if len(group.generators) == 1 else real_irreps_dihedral(group)
        mults = config.init_multiplicities
        total = sum(n * ir.dim for n, ir in zip(mults, irreps, strict=True)) if len(mults) == len(irreps) else -1
        if total != config.latent_dim:
            raise ValueError(f"init_multiplicities {mults} must give one count per real irreducible "
                             f"{[ir.name for ir in irreps]} and add up to dimension {config.latent_dim}")
        block = direct_sum(*[ir for ir, n in zip(irreps, mults, strict=True) for _ in range(n)])
        q, _ = torch.linalg.qr(torch.randn(config.latent_dim, config.latent_dim,
                                           generator=torch.Generator().manual_seed(config.seed + 7_919)))
        mats = torch.stack([q @ torch.as_tensor(m, dtype=torch.float32) @ q.T for m in block.generator_matrices])
        with torch.no_grad():
            rep.generators.copy_(mats)
    return rep
