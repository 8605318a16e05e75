"""How equivariant a trained DDMNIST network's latent is, for ``rho_Z`` = copies of the regular representation.

Chapter 8 reads the penalty model and its CNN baselines through :func:`latent_equivariance`:
the relative equivariance error of the latent and how often a prediction survives a group element.
"""

from __future__ import annotations

import torch

from eqrep.actions import act_on_pairs, pair_group
from eqrep.models.penalty import PenaltyCNN, RegularRepresentationPenalty

__all__ = ["latent_equivariance"]


@torch.no_grad()
def latent_equivariance(model: PenaltyCNN, images: torch.Tensor, group: str, g: torch.Tensor,
                        batch_size: int = 500) -> dict[str, float]:
    """How equivariant the latent ``z = f(x)`` is for ``rho_Z`` = copies of the regular representation.

    Args:
        model: The network (switched to eval mode and back).
        images: Pair images ``(M, 1, 56, 56)``, ``M >= 2``.
        group: Digit group name (``"C4"``, ``"D1"``, ``"D4"``); ``G x G`` acts.
        g: Element of ``G x G`` per image, ``(M,)``.

    Returns:
        ``relative_error``: ``sum_b ||rho_Z(g_b) f(x_b) - f(rho_X(g_b) x_b)||^2`` divided by the
        same sum with the code of *another* image in place of ``f(rho_X(g_b) x_b)``, namely
        ``f(rho_X(g_b') x_b')`` with ``b -> b'`` a fixed random cyclic permutation (so sorted
        inputs do not bias it): 0 for an exactly equivariant latent, about 1 when
        ``f(rho_X(g) x)`` is no closer to ``rho_Z(g) f(x)`` than the code of an unrelated image.
        ``prediction_agreement``: the share of images classified the same before and after the
        transformation.
    """
    if len(images) < 2:
        raise ValueError("need at least two images (the error is compared with mismatched pairs)")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    rho_z = RegularRepresentationPenalty(pair_group(group), model.latent_dim).to(device)
    g = torch.as_tensor(g, dtype=torch.long)
    moved, codes, same = [], [], 0
    for start in range(0, len(images), batch_size):
        x, h = images[start:start + batch_size].to(device), g[start:start + batch_size].to(device)
        z, z_gx = model.encode(x), model.encode(act_on_pairs(x, group, h))
        moved.append(rho_z.act(z, h))
        codes.append(z_gx)
        same += (model.head(z).argmax(1) == model.head(z_gx).argmax(1)).sum().item()
    model.train(was_training)
    moved_z, codes_z = torch.cat(moved), torch.cat(codes)
    error = (moved_z - codes_z).pow(2).sum().item()
    cycle = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    partner = torch.empty_like(cycle)
    partner[cycle] = cycle.roll(1)  # a random cyclic permutation: nobody is paired with itself
    baseline = (moved_z - codes_z[partner.to(codes_z.device)]).pow(2).sum().item()
    return {"relative_error": error / baseline, "prediction_agreement": same / len(images)}
