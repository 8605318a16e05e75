"""Helpers shared by the tests of the learned latent representation and its read-off."""

import numpy as np
import torch
from scipy.stats import ortho_group

from eqrep.representations import direct_sum, regular


def set_generators(model, mats):
    with torch.no_grad():
        model.generators.copy_(torch.as_tensor(np.stack(mats), dtype=model.generators.dtype))


def conjugated_regular(group, copies, seed=0, orthogonal=True):
    """``copies`` x regular, conjugated by a random orthogonal (or just invertible) matrix."""
    rep = direct_sum(*[regular(group)] * copies)
    rng = np.random.default_rng(seed)
    if orthogonal:
        p = ortho_group.rvs(rep.dim, random_state=seed)
    else:
        p = np.eye(rep.dim) + 0.3 * rng.standard_normal((rep.dim,) * 2)
    return [p @ m @ np.linalg.inv(p) for m in rep.generator_matrices]
