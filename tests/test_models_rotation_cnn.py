"""The augmentation CNN: shapes, a latent in between, and no built-in invariance."""

import numpy as np
import pytest
import torch

from eqrep.actions import rotate90
from eqrep.models.rotation_cnn import RotationCNN, RotationCNNConfig


def test_shapes_and_latent_feeds_the_head():
    torch.manual_seed(0)
    model = RotationCNN(RotationCNNConfig(latent_dim=16)).eval()
    x = torch.rand(3, 1, 29, 29)
    z = model.latent(x)
    assert z.shape == (3, 16) and (z >= 0).all()  # after a ReLU
    assert torch.allclose(model.classify_latent(z), model(x))


def test_nothing_makes_it_invariant():
    torch.manual_seed(0)
    model = RotationCNN().eval()
    x = torch.rand(4, 1, 29, 29)
    with torch.no_grad():
        z, z90 = model.latent(x), model.latent(rotate90(x))
    assert ((z90 - z).norm(dim=1) / z.norm(dim=1)).min() > 0.1


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (29, 29)])
def test_bad_shapes(shape):
    with pytest.raises(ValueError, match="29 x 29"):
        RotationCNN()(torch.zeros(shape))
