"""The octahedral group of the 24 rotations of the cube acting on volumes (MedMNIST3D, chapter 8).

:func:`octahedral` builds the group from two rotations (a quarter turn and the cyclic permutation
of the axes, ``<a, b | a^4, b^3, (ab)^2>``) as ``3 x 3`` signed permutation matrices. A matrix
``R`` acts on a volume by moving the voxel at centred index coordinates ``c = (d, h, w) - (n - 1)/2``
to ``R c``: an exact axis permutation plus flips (:func:`rotate_volume`). The data set itself is
:mod:`eqrep.data.medmnist3d`.
"""

from __future__ import annotations

import numpy as np
import torch

from eqrep.groups import FiniteGroup, closure

__all__ = ["octahedral", "rotate_volume", "act_on_volumes"]


def octahedral() -> tuple[FiniteGroup, np.ndarray]:
    """The 24 rotations of the cube.

    Returns:
        The group (generators ``a`` = quarter turn about the depth axis, ``b`` = cyclic
        permutation of the three axes; relations ``a^4, b^3, (ab)^2``; elements are the matrices
        as nested tuples, composed by matrix product) and its matrices, ``int64 (24, 3, 3)``,
        ``matrices[g]`` for element index ``g``.
    """
    a = ((1, 0, 0), (0, 0, -1), (0, 1, 0))
    b = ((0, 0, 1), (1, 0, 0), (0, 1, 0))

    def mul(x: tuple, y: tuple) -> tuple:
        return tuple(map(tuple, (np.array(x) @ np.array(y)).tolist()))

    identity = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
    group = closure("O", [a, b], mul, identity, ["a", "b"], relations=[(0,) * 4, (1,) * 3, (0, 1) * 2])
    return group, np.array(group.elements, dtype=np.int64)

def rotate_volume(volumes: torch.Tensor, matrix: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Rotate volumes ``(..., D, H, W)`` (a cube) by a signed permutation matrix ``R`` ``(3, 3)``.

    The voxel at centred coordinates ``c`` moves to ``R c``: ``out[c] = in[R^T c]``. Exact.
    """
    r = np.rint(np.asarray(matrix)).astype(int)
    if r.shape != (3, 3) or not (np.abs(r).sum(0) == 1).all() or not (np.abs(r).sum(1) == 1).all():
        raise ValueError(f"need a 3 x 3 signed permutation matrix, got {np.asarray(matrix).tolist()}")
    if volumes.dim() < 3 or len(set(volumes.shape[-3:])) != 1:
        raise ValueError(f"volumes need shape (..., n, n, n), got {tuple(volumes.shape)}")
    lead = volumes.dim() - 3
    # in[R^T c]: axis j of the input is read at sign_j * c_{i} for the row i with R[i, j] != 0
    flips = [lead + j for j in range(3) if r[:, j].sum() < 0]
    out = torch.flip(volumes, dims=flips) if flips else volumes
    order = [int(np.flatnonzero(r[i])[0]) for i in range(3)]  # output axis i = input axis order[i]
    return out.permute(*range(lead), *(lead + j for j in order))

def act_on_volumes(volumes: torch.Tensor, g: torch.Tensor, matrices: np.ndarray) -> torch.Tensor:
    """Per-sample action ``rho_X``: volume ``b`` of ``(B, ..., n, n, n)`` rotated by ``matrices[g[b]]``."""
    g = torch.as_tensor(g, dtype=torch.long)
    if g.shape != (volumes.shape[0],):
        raise ValueError(f"need one group element per volume: shape ({volumes.shape[0]},), got {tuple(g.shape)}")
    out = torch.empty_like(volumes)
    for e in torch.unique(g).tolist():
        mask = (g == e).to(volumes.device)
        out[mask] = rotate_volume(volumes[mask], matrices[e])
    return out
