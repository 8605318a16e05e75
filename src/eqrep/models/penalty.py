"""The parameter-free regular-representation penalty (Sec. 5 of *Parameter-free approximate
equivariance for tasks with finite group symmetry*).

Section 4 finds that a learned latent action is always a multiple of the regular
representation. So fix it: on a latent of dimension ``d`` let ``G`` act by::

    rho_Z(g) = (I_m (x) rho_reg(g)) (+) I_p,    m = floor(d / |G|),  p = d - m |G|,

``m`` copies of the regular representation (``rho_reg(g) e_h = e_{gh}``) and ``p`` trivial
coordinates of padding, and train with::

    l(k(f(x)), y) + l(k(rho_Z(g) f(x)), rho_Y(g) y) + lambda ||rho_Z(g) f(x) - f(rho_X(g) x)||^2,

``g`` uniform. ``rho_Z`` has no learnable parameters. Product groups (two digits transformed
independently) use the regular representation of the product, isomorphic to the Kronecker
product of the factors' regular representations.

``rho_Z`` is a permutation representation, so it is applied as an index gather
(``(rho_Z(g) z)_i = z_{src[g, i]}``), which equals the matrix product and costs ``O(d)``.

The network of App. C.1 (:class:`PenaltyCNN`):

``f`` (:attr:`PenaltyCNN.encoder`): upsample to ``57 x 57``; conv 7 (6 channels), conv 5 (12),
average pool, conv 3 stride 2 (24), average pool, conv 3 stride 2 (36), conv 3 (36), each conv
followed by batch norm and ELU; average pool down to ``1 x 1``; a ``1 x 1`` conv to 66 channels,
flattened. The 66-channel latent (48 in the original benchmark) holds one copy of the regular
representation of ``D_4 x D_4`` (64) plus 2 trivial coordinates, four of ``C_4 x C_4`` (16)
plus 2, or sixteen of ``D_1 x D_1`` (4) plus 2.

``k`` (:attr:`PenaltyCNN.head`): batch norm, ELU, linear to the 100 classes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from eqrep.groups import FiniteGroup
from eqrep.models.latent_representation import Action, objective_terms
from eqrep.representations import Representation, regular

__all__ = [
    "regular_copies",
    "latent_regular_representation",
    "permutation_sources",
    "RegularRepresentationPenalty",
    "penalty_objective",
    "PenaltyCNN",
    "parameter_count",
]


def regular_copies(group: FiniteGroup, dim: int) -> tuple[int, int]:
    """``(m, p)``: copies of the regular representation and trivial padding in dimension ``dim``.

    Raises:
        ValueError: ``dim < |G|`` (not even one copy fits).
    """
    if dim < group.order:
        raise ValueError(f"a latent of dimension {dim} cannot hold the regular representation of "
                         f"{group.name} (needs dim >= |G| = {group.order})")
    return dim // group.order, dim % group.order


def latent_regular_representation(group: FiniteGroup, dim: int) -> Representation:
    """``rho_Z = (I_m (x) rho_reg) (+) I_p`` on ``R^dim``: ``m`` consecutive blocks of size ``|G|``,
    then ``p`` fixed coordinates. Checked to be a homomorphism."""
    m, p = regular_copies(group, dim)
    gens = []
    for r in regular(group).generator_matrices:
        mat = np.eye(dim)
        mat[: m * group.order, : m * group.order] = np.kron(np.eye(m), r)
        gens.append(mat)
    return Representation(group, gens, name=f"{m} x regular (+) {p} x trivial")


def permutation_sources(matrices: np.ndarray) -> np.ndarray:
    """Index form of permutation matrices: ``src[g, i]`` with ``(M_g z)_i = z_{src[g, i]}``.

    Args:
        matrices: Shape ``(|G|, d, d)``.

    Returns:
        ``int64`` array ``(|G|, d)``.

    Raises:
        ValueError: some matrix is not a permutation matrix.
    """
    mats = np.asarray(matrices)
    ok = np.isin(mats, (0.0, 1.0)).all() and (mats.sum(1) == 1).all() and (mats.sum(2) == 1).all()
    if not ok:
        raise ValueError("the matrices are not all permutation matrices")
    return mats.argmax(axis=2).astype(np.int64)


class RegularRepresentationPenalty(nn.Module):
    """``lambda MSE(rho_Z(g) f(x), f(rho_X(g) x))`` with ``rho_Z`` fixed (no parameters).

    Args:
        group: The finite group acting (e.g. ``C_4 x C_4`` for double digits).
        dim: Latent dimension ``d`` (the channel axis, axis 1, of the latent).
        weight: ``lambda``.

    Buffers: ``matrices`` ``(|G|, d, d)`` float32 and ``sources`` ``(|G|, d)`` int64.
    """

    def __init__(self, group: FiniteGroup, dim: int, weight: float = 1.0) -> None:
        super().__init__()
        self.group = group
        self.weight = float(weight)
        self.copies, self.padding = regular_copies(group, dim)
        mats = latent_regular_representation(group, dim).matrices
        self.register_buffer("matrices", torch.as_tensor(mats, dtype=torch.float32))
        self.register_buffer("sources", torch.as_tensor(permutation_sources(mats)))

    @property
    def dim(self) -> int:
        """Latent dimension ``d``."""
        return int(self.sources.shape[1])

    def _check(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        if z.dim() < 2 or z.shape[1] != self.dim:
            raise ValueError(f"latents need shape (B, {self.dim}, ...), got {tuple(z.shape)}")
        g = torch.as_tensor(g, dtype=torch.long, device=z.device)
        if g.shape != (z.shape[0],):
            raise ValueError(f"need one group element per sample: shape ({z.shape[0]},), got {tuple(g.shape)}")
        if g.numel() and (g.min() < 0 or g.max() >= self.group.order):
            raise ValueError(f"group element indices must lie in [0, {self.group.order})")
        return g

    def act(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``rho_Z(g[b])`` applied to ``z[b]`` along axis 1 by gathering; ``z`` is ``(B, d, ...)``."""
        g = self._check(z, g)
        idx = self.sources[g].reshape(z.shape[0], self.dim, *([1] * (z.dim() - 2))).expand_as(z)
        return torch.gather(z, 1, idx)

    def act_matmul(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """The same action as a batched matrix product (reference for :meth:`act`); ``z`` is ``(B, d, ...)``."""
        g = self._check(z, g)
        return torch.einsum("bij,bj...->bi...", self.matrices[g].to(z.dtype), z)

    def sample(self, n: int, generator: torch.Generator | None = None,
               device: torch.device | str | None = None) -> torch.Tensor:
        """``n`` group elements drawn uniformly, shape ``(n,)``."""
        return torch.randint(self.group.order, (n,), generator=generator).to(device or self.sources.device)

    def forward(self, z: torch.Tensor, z_of_gx: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """``lambda MSE(rho_Z(g) z, z_of_gx)`` with ``z = f(x)``, ``z_of_gx = f(rho_X(g) x)``."""
        if z.shape != z_of_gx.shape:
            raise ValueError(f"latent shapes differ: {tuple(z.shape)} vs {tuple(z_of_gx.shape)}")
        return self.weight * F.mse_loss(self.act(z, g), z_of_gx)


def penalty_objective(encoder: Callable[[torch.Tensor], torch.Tensor], head: Callable[[torch.Tensor], torch.Tensor],
                      x: torch.Tensor, y: torch.Tensor, g: torch.Tensor, act_x: Action,
                      penalty: RegularRepresentationPenalty, act_y: Action | None = None,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                      shifted_weight: float = 1.0, shifted_on: str = "latent") -> dict[str, torch.Tensor]:
    """Sec. 5's objective for one batch: task + shifted task + ``lambda`` latent equivariance.

    Returns ``{"task", "shifted", "equivariance", "total"}``; ``"equivariance"`` is the unweighted
    MSE and ``total = task + shifted_weight * shifted + lambda equivariance`` (``shifted_weight = 1``
    in the paper). ``act_y=None``: invariant targets. ``shifted_on``: ``"latent"`` for
    ``l(k(rho_Z(g) f(x)), rho_Y(g) y)``, ``"input"`` for ``l(k(f(rho_X(g) x)), rho_Y(g) y)`` (the two
    readings of the paper's "task loss shifted by g", see :func:`~eqrep.models.latent_representation.objective_terms`).
    """
    return objective_terms(encoder, head, x, y, g, act_x, penalty.act, act_y, loss_fn,
                           alpha=shifted_weight, beta=penalty.weight, shifted_on=shifted_on)


# ----------------------------------------------------------------------------- the CNN of App. C.1

def _block(c_in: int, c_out: int, kernel: int, stride: int, padding: int) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ELU())


class PenaltyCNN(nn.Module):
    """CNN classifier ``k(f(x))`` with the latent ``z = f(x)`` of shape ``(B, latent_dim)``.

    Args:
        n_classes: Output classes (100 for DDMNIST).
        in_channels: Image channels.
        c: Width unit (6 in the paper); the blocks (conv, batch norm, ELU) have ``c, 2c, 4c, 6c, 6c``
            channels; with the three average pools the feature maps have sides 55, 55, 27, 15, 7, 3, 3, 1.
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
