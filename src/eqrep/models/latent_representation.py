"""A learnable group representation on the latent space, and the objective that trains it.

Section 4 of *Parameter-free approximate equivariance for tasks with finite group symmetry*
asks which action of a finite group ``G`` a latent space ``Z`` *wants*. Between an encoder
``f: X -> Z`` and a head ``k: Z -> Y`` it places free matrices, one ``d x d`` matrix per
generator of a presentation of ``G``, and trains them with the network on

    l(k(f(x)), y) + alpha l(k(rho_Z(g) f(x)), rho_Y(g) y)
        + beta ||rho_Z(g) f(x) - f(rho_X(g) x)||^2 + gamma L_alg,

``g`` uniform. ``rho_Z(g)`` is the product of the generator matrices along ``g``'s word
(:attr:`eqrep.groups.FiniteGroup.words`). The algebra loss ``L_alg`` pushes the generator
matrices to satisfy the presentation's relations (``C_n``: ``A^n = I``; ``D_3 ~ S_3``:
``r^3 = s^2 = (sr)^2 = I``), with the regularisers of the paper's reference code (``A^(n-1)``
should equal ``A^-1``) and a condition-number penalty that keeps the matrices invertible.

Once trained, the matrices are (nearly) a representation, and Part I's tools read it off:
eigenvalues of a generator snapped to roots of unity (cyclic groups) or character inner
products (any group, :func:`eqrep.representations.multiplicities`). The paper finds a multiple
of the regular representation every time; :func:`eqrep.decompositions.regular_ratios`
measures how close.

A group action on data is passed around as a function ``act(v, g) -> rho(g) v`` with ``v`` of
shape ``(B, ...)`` and one element index per sample, ``g`` of shape ``(B,)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from eqrep.groups import FiniteGroup
from eqrep.representations import (
    Representation,
)

__all__ = [
    "Action",
    "SHIFTED_ON",
    "LearnedRepresentation",
    "task_loss",
    "shifted_task_loss",
    "latent_equivariance_loss",
    "objective_terms",
]

Action = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``act(v, g)``: apply ``rho(g[b])`` to sample ``v[b]``; ``v`` is ``(B, ...)``, ``g`` is ``(B,)``."""

SHIFTED_ON = ("latent", "input")
"""Where the shifted task loss applies ``g``: to the latent code or to the input (:func:`objective_terms`)."""


def _mse_to_identity(m: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(m, torch.eye(m.shape[-1], dtype=m.dtype, device=m.device))


class LearnedRepresentation(nn.Module):
    """Free generator matrices of a finite group, extended to all elements along their words.

    Args:
        group: The group; its generators and relations (the presentation) are used.
        dim: Latent dimension ``d``.
        init: ``"orthogonal"`` (default: independent Haar-random orthogonal matrices, whose
            eigenvalues are spread over the unit circle; Haar-random in ``SO(d)`` for generators
            of odd order, which a representation must send to ``det = +1``) or ``"identity"``
            (``I + noise N(0, 1/d)``).
        noise: Scale of the perturbation for ``init="identity"``.
        seed: Seed of the initialisation.

    Attributes:
        generators: The learnable parameter, shape ``(k, d, d)`` for ``k`` generators.
    """

    def __init__(self, group: FiniteGroup, dim: int, init: str = "orthogonal", noise: float = 0.1,
                 seed: int = 0) -> None:
        super().__init__()
        if dim < 1:
            raise ValueError(f"latent dimension must be >= 1, got {dim}")
        self.group = group
        k = len(group.generator_names)
        gen = torch.Generator().manual_seed(seed)
        if init == "orthogonal":
            q, r = torch.linalg.qr(torch.randn(k, dim, dim, generator=gen))
            mats = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]  # Haar measure
            # a real representation sends an element of odd order n to a matrix with det = +1
            # (det^n = 1); a start with det < 0 cannot reach one without passing a singular matrix,
            # so such generators start Haar-random in SO(d) (flip the first column if needed)
            odd = torch.tensor([group.element_order(g) % 2 == 1 for g in group.generators])
            flip = odd & (torch.linalg.det(mats) < 0)
            mats[flip, :, 0] *= -1
        elif init == "identity":
            mats = torch.eye(dim) + noise * torch.randn(k, dim, dim, generator=gen) / dim**0.5
        else:
            raise ValueError(f"unknown init '{init}'; use 'orthogonal' or 'identity'")
        self.generators = nn.Parameter(mats)
        # words are built breadth first: words[i] = words[parent[i]] + (last[i],)
        parent = [group.evaluate_word(w[:-1]) for w in group.words[1:]]
        last = [w[-1] for w in group.words[1:]]
        self._parent, self._last = parent, last

    @property
    def dim(self) -> int:
        """Latent dimension ``d``."""
        return int(self.generators.shape[-1])

    def word(self, word: Sequence[int]) -> torch.Tensor:
        """Product of the generator matrices named by ``word`` (left to right), shape ``(d, d)``."""
        m = torch.eye(self.dim, dtype=self.generators.dtype, device=self.generators.device)
        for k in word:
            m = m @ self.generators[k]
        return m

    def matrices(self) -> torch.Tensor:
        """``rho(g)`` for every element along its word, shape ``(|G|, d, d)`` (differentiable)."""
        mats = [torch.eye(self.dim, dtype=self.generators.dtype, device=self.generators.device)]
        for p, k in zip(self._parent, self._last, strict=True):
            mats.append(mats[p] @ self.generators[k])
        return torch.stack(mats)

    def forward(self, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """Act on latents: ``rho(g[b]) z[b]``; ``z`` is ``(B, d)``, ``g`` is ``(B,)``; returns ``(B, d)``."""
        if z.dim() != 2 or z.shape[1] != self.dim:
            raise ValueError(f"latents must have shape (B, {self.dim}), got {tuple(z.shape)}")
        return torch.einsum("bij,bj->bi", self.matrices()[g], z)

    def relation_loss(self, weights: Sequence[float] | None = None) -> torch.Tensor:
        """``sum_i w_i MSE(W_i, I)`` over the relation words ``W_i`` of the presentation (``w_i = 1``)."""
        rels = self.group.relations
        if not rels:
            raise ValueError(f"{self.group.name} has no relations; build it with a presentation")
        weights = [1.0] * len(rels) if weights is None else list(weights)
        if len(weights) != len(rels):
            raise ValueError(f"{len(rels)} relations but {len(weights)} weights")
        return sum(w * _mse_to_identity(self.word(r)) for w, r in zip(weights, rels, strict=True))

    def inverse_loss(self) -> torch.Tensor:
        """``sum_a MSE(A^(n_a - 1), A^-1)`` over the generators, ``n_a`` the generator's order.

        Zero at a representation; the reference code adds it to steer ``A^-1`` (computed by
        ``torch.linalg.solve``, not by inverting explicitly).
        """
        total = self.generators.new_zeros(())
        eye = torch.eye(self.dim, dtype=self.generators.dtype, device=self.generators.device)
        for k, g in enumerate(self.group.generators):
            n = self.group.element_order(g)
            a = self.generators[k]
            total = total + F.mse_loss(torch.linalg.matrix_power(a, n - 1), torch.linalg.solve(a, eye))
        return total

    def conditioning_loss(self) -> torch.Tensor:
        """Mean over generators of ``(log sigma_max - log sigma_min)^2``: zero exactly for
        multiples of orthogonal matrices, large for nearly singular ones.

        The squared singular values are the eigenvalues of ``A^T A`` (``eigvalsh``): unlike an SVD,
        this neither fails to converge nor has unstable gradients when singular values repeat
        (e.g. at ``A = I``, where the identity initialisation starts).
        """
        a = self.generators
        lam = torch.linalg.eigvalsh(a.transpose(-2, -1) @ a)  # (k, d), ascending: sigma^2
        tiny = torch.finfo(a.dtype).tiny
        return (0.25 * (torch.log(lam[:, -1]) - torch.log(lam[:, 0].clamp_min(tiny))) ** 2).mean()

    def algebra_loss(self, relation_weights: Sequence[float] | None = None, inverse_weight: float = 1.0,
                     conditioning_weight: float = 0.0) -> torch.Tensor:
        """``L_alg = relation_loss + inverse_weight inverse_loss + conditioning_weight conditioning_loss``.

        With the default ``conditioning_weight=0`` it is zero exactly when the generator matrices
        satisfy the presentation, i.e. define a representation. The paper's reference code uses
        ``inverse_weight=1`` for ``C_2`` and ``C_4``, and for ``S_3 ~ D_3`` relation weights
        ``(1/2, 1/2, lambda)`` for ``r^3, s^2, (sr)^2`` without the inverse term.
        """
        loss = self.relation_loss(relation_weights)
        if inverse_weight:
            loss = loss + inverse_weight * self.inverse_loss()
        if conditioning_weight:
            loss = loss + conditioning_weight * self.conditioning_loss()
        return loss

    def to_representation(self, name: str = "learned") -> Representation:
        """The current matrices as an (approximate) :class:`~eqrep.representations.Representation`
        (``float64``, ``check=False``; see its :meth:`~eqrep.representations.Representation.defect`)."""
        mats = self.generators.detach().cpu().double().numpy()
        return Representation(self.group, list(mats), name=name, check=False)


# ----------------------------------------------------------------------------- objective

def task_loss(head: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, y: torch.Tensor,
              loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy) -> torch.Tensor:
    """``l(k(z), y)`` with ``z = f(x)``."""
    return loss_fn(head(z), y)


def shifted_task_loss(head: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, y: torch.Tensor,
                      g: torch.Tensor, act_z: Action, act_y: Action | None = None,
                      loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                      ) -> torch.Tensor:
    """``l(k(rho_Z(g) z), rho_Y(g) y)``: the head must map transformed latents to transformed
    targets. ``act_y=None`` means ``rho_Y`` is trivial (invariant targets such as class labels)."""
    target = y if act_y is None else act_y(y, g)
    return loss_fn(head(act_z(z, g)), target)


def latent_equivariance_loss(z: torch.Tensor, z_of_gx: torch.Tensor, g: torch.Tensor,
                             act_z: Action) -> torch.Tensor:
    """``MSE(rho_Z(g) f(x), f(rho_X(g) x))`` from ``z = f(x)`` and ``z_of_gx = f(rho_X(g) x)``."""
    if z.shape != z_of_gx.shape:
        raise ValueError(f"latent shapes differ: {tuple(z.shape)} vs {tuple(z_of_gx.shape)}")
    return F.mse_loss(act_z(z, g), z_of_gx)


def objective_terms(encoder: Callable[[torch.Tensor], torch.Tensor], head: Callable[[torch.Tensor], torch.Tensor],
                    x: torch.Tensor, y: torch.Tensor, g: torch.Tensor, act_x: Action, act_z: Action,
                    act_y: Action | None = None,
                    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
                    alpha: float = 1.0, beta: float = 1.0, shifted_on: str = "latent") -> dict[str, torch.Tensor]:
    """The three data terms of Sec. 4 (and, with ``alpha = 1``, of Sec. 5) for one batch.

    ``f`` runs once on ``x`` and ``rho_X(g) x`` concatenated (so batch norm sees both).
    ``shifted_on``: where the shifted task loss moves the sample by ``g``: ``"latent"``
    (:func:`shifted_task_loss`, ``l(k(rho_Z(g) f(x)), rho_Y(g) y)``, Sec. 4's term) or ``"input"``
    (``l(k(f(rho_X(g) x)), rho_Y(g) y)``, the "g-shift of the task loss" of the paper's footnote 5).

    Returns:
        ``{"task", "shifted", "equivariance", "total"}`` with
        ``total = task + alpha shifted + beta equivariance``. Add ``gamma L_alg`` for Sec. 4.
    """
    if g.shape != (x.shape[0],):
        raise ValueError(f"need one group element per sample: g of shape ({x.shape[0]},), got {tuple(g.shape)}")
    if shifted_on not in SHIFTED_ON:
        raise ValueError(f"shifted_on must be one of {SHIFTED_ON}, got '{shifted_on}'")
    z_both = encoder(torch.cat([x, act_x(x, g)]))
    z, z_of_gx = z_both[: len(x)], z_both[len(x):]
    if shifted_on == "latent":
        shifted = shifted_task_loss(head, z, y, g, act_z, act_y, loss_fn)
    else:
        shifted = task_loss(head, z_of_gx, y if act_y is None else act_y(y, g), loss_fn)
    terms = {
        "task": task_loss(head, z, y, loss_fn),
        "shifted": shifted,
        "equivariance": latent_equivariance_loss(z, z_of_gx, g, act_z),
    }
    terms["total"] = terms["task"] + alpha * terms["shifted"] + beta * terms["equivariance"]
    return terms
