"""The groups of double-digit MNIST acting on pair images: conventions, homomorphism, invariant labels, bad input."""

import pytest
import torch

from eqrep import actions as A


def test_transform_conventions():
    x = torch.arange(16.0).reshape(4, 4)
    c4, d1, d4 = A.digit_group("C4"), A.digit_group("D1"), A.digit_group("D4")
    assert torch.equal(A.transform_digit(x, c4, 1), torch.rot90(x, 1, dims=(0, 1)))
    assert torch.equal(A.transform_digit(x, d1, 1), x.flip(1))  # left <-> right
    assert torch.equal(A.transform_digit(x, d1, 0), x)
    for g, (k, f) in enumerate(d4.elements):  # r^k s^f: mirror first, then k quarter turns
        assert torch.equal(A.transform_digit(x, d4, g), torch.rot90(x.flip(1) if f else x, k, dims=(0, 1)))

@pytest.mark.parametrize("name", A.DIGIT_GROUPS)
def test_pair_action_is_a_homomorphism_and_acts_on_each_digit(name):
    product = A.pair_group(name)
    group = A.digit_group(name)
    x = torch.rand(product.order, 1, 56, 56, generator=torch.Generator().manual_seed(0))
    for h in range(product.order):
        gs = torch.arange(product.order)
        hs = torch.full_like(gs, h)
        gh = torch.as_tensor(product.table[:, h])
        torch.testing.assert_close(A.act_on_pairs(A.act_on_pairs(x, name, hs), name, gs), A.act_on_pairs(x, name, gh),
                                   atol=0, rtol=0)
    top = 14
    for p, (g1, g2) in enumerate(product.elements):
        y = A.act_on_pairs(x[:1], name, torch.tensor([p]))[0, 0]
        torch.testing.assert_close(y[top:top + 28, :28], A.transform_digit(x[0, 0, top:top + 28, :28], group, g1))
        torch.testing.assert_close(y[top:top + 28, 28:], A.transform_digit(x[0, 0, top:top + 28, 28:], group, g2))
        torch.testing.assert_close(y[:top], x[0, 0, :top])  # padding stays
    digits = torch.rand(4, 28, 28)
    g = torch.tensor([0, 1, 0, 1])
    torch.testing.assert_close(A.act_on_digits(digits, name, g)[1], A.transform_digit(digits[1], group, 1))

def test_labels_are_invariant():
    y = torch.arange(10)
    assert torch.equal(A.act_on_labels(y, torch.randint(16, (10,))), y)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="unknown digit group"):
        A.digit_group("C3")
    with pytest.raises(ValueError, match=r"pair images need shape \(B, ..., 56, 56\)"):
        A.act_on_pairs(torch.zeros(2, 1, 28, 56), "C4", torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="one group element per image"):
        A.act_on_pairs(torch.zeros(2, 1, 56, 56), "C4", torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"lie in \[0, 16\)"):
        A.act_on_pairs(torch.zeros(1, 1, 56, 56), "C4", torch.tensor([16]))
