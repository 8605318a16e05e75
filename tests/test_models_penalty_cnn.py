"""The App. C.1 DDMNIST CNN split into encoder f and head k."""

import pytest
import torch

from eqrep.actions import act_on_pairs, pair_group
from eqrep.models.penalty_cnn import PenaltyCNN, parameter_count
from eqrep.penalty import RegularRepresentationPenalty, penalty_objective


def test_shapes_and_the_66_channel_latent():
    torch.manual_seed(0)
    model = PenaltyCNN()
    x = torch.rand(3, 1, 56, 56)
    z = model.encode(x)
    assert z.shape == (3, 66) and model.latent_dim == 66
    assert model(x).shape == (3, 100)
    torch.testing.assert_close(model.head(z), model(x))
    assert PenaltyCNN(latent_dim=48).encode(x).shape == (3, 48)  # the original benchmark's width


def test_parameter_count_by_hand():
    conv = lambda i, o, k: i * o * k * k + o
    bn = lambda c: 2 * c
    encoder = (conv(1, 6, 7) + bn(6) + conv(6, 12, 5) + bn(12) + conv(12, 24, 3) + bn(24)
               + conv(24, 36, 3) + bn(36) + conv(36, 36, 3) + bn(36) + conv(36, 66, 1))
    head = bn(66) + 66 * 100 + 100
    model = PenaltyCNN()
    assert parameter_count(model.encoder) == encoder
    assert parameter_count(model.head) == head
    assert parameter_count(model) == encoder + head == 33_742  # "0.03 M" in the paper's Table 4
    model.head[-1].weight.requires_grad_(False)
    assert parameter_count(model) == encoder + head - 6600
    assert parameter_count(model, trainable_only=False) == encoder + head


def test_penalty_training_step_on_a_tiny_batch_reduces_the_objective():
    torch.manual_seed(0)
    model = PenaltyCNN()
    pen = RegularRepresentationPenalty(pair_group("C4"), model.latent_dim, weight=2.0)
    x, y = torch.rand(8, 1, 56, 56), torch.randint(100, (8,))
    g = pen.sample(8, generator=torch.Generator().manual_seed(0))
    act_x = lambda v, h: act_on_pairs(v, "C4", h)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(12):
        terms = penalty_objective(model.encode, model.head, x, y, g, act_x, pen)
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
        losses.append(terms["total"].item())
    assert losses[-1] < 0.7 * losses[0]


def test_bad_input_is_rejected():
    model = PenaltyCNN()
    with pytest.raises(ValueError, match=r"expected images \(B, 1, H, W\)"):
        model(torch.rand(2, 3, 56, 56))
    with pytest.raises(ValueError, match="did not shrink"):
        PenaltyCNN(size=80).encode(torch.rand(2, 1, 56, 56))
