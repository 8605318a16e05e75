"""Orbits and stabilisers (chapter 1): a finite group acting on vectors by matrices, or on square images.

:func:`orbit_and_stabiliser_sizes` counts ``|G . x|`` and ``|G_x|`` for a vector (the
standard representation of a dihedral group) or a square image (:func:`~eqrep.actions.images.act_d4`),
the numbers the orbit-stabiliser theorem relates.
"""

from __future__ import annotations

import numpy as np
import torch

from eqrep.actions.images import act_d4
from eqrep.groups import FiniteGroup, dihedral

__all__ = ["orbit", "orbit_and_stabiliser_sizes"]

_D4 = dihedral(4)


def orbit(x: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """The orbit ``{rho(g) x : g in G}`` of a vector under a finite group.

    Args:
        x: Shape ``(d,)``.
        matrices: ``rho(g)`` for every element, shape ``(|G|, d, d)``.

    Returns:
        Shape ``(|G|, d)``; rows may repeat when ``x`` has a non-trivial stabiliser.
    """
    return np.einsum("gij,j->gi", matrices, x)


def orbit_and_stabiliser_sizes(x: np.ndarray | torch.Tensor, group: FiniteGroup) -> tuple[int, int]:
    """``(|G . x|, |G_x|)`` for a point ``x`` of ``R^2`` (``(2,)``, acted on by the standard
    representation of the dihedral group ``group``) or a square image ``(H, H)`` (acted on by
    :func:`~eqrep.actions.images.act_d4`, so ``group`` must be ``dihedral(4)``).

    Points count as equal when they agree to 8 decimals; images when they are equal exactly.
    """
    if isinstance(x, torch.Tensor):
        if list(group.elements) != list(_D4.elements):
            raise ValueError(f"images are acted on by D_4 (act_d4), not by {group.name}")
        images = [act_d4(g, x) for g in range(group.order)]
        size = len({tuple(img.flatten().tolist()) for img in images})
        stab = sum(torch.equal(img, x) for img in images)
        return size, int(stab)
    from eqrep.representations import standard

    points = orbit(np.asarray(x, dtype=np.float64), standard(group).matrices).round(8)
    size = len(np.unique(points, axis=0))
    stab = int(np.all(np.isclose(points, x), axis=1).sum())
    return size, stab
