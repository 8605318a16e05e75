"""Rotations of images: exact quarter turns, bilinear angles, rotated MNIST, and C_4 / D_3 per sample."""

import math

import numpy as np
import pytest
import torch

from eqrep.actions import act_c4_on_images, act_d3_on_images, rotate, rotate90, rotate_digits
from eqrep.data.mnist import load_mnist
from eqrep.groups import dihedral

D3 = dihedral(3)


def test_rotate90_is_exact_group_action(gen):
    x = torch.randn(2, 9, 9, generator=gen)
    assert torch.equal(rotate90(rotate90(x, 1), 3), x)
    assert torch.equal(rotate90(x, 4), x)
    assert torch.equal(rotate90(rotate90(x, 1), 1), rotate90(x, 2))

@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rotate_agrees_with_rotate90_on_quarter_turns(k, gen):
    x = torch.randn(4, 29, 29, generator=gen)
    torch.testing.assert_close(rotate(x, k * math.pi / 2), rotate90(x, k), atol=1e-4, rtol=0)

def test_rotate_needs_square_images():
    with pytest.raises(ValueError, match="square"):
        rotate(torch.zeros(2, 5, 6), 0.3)


def test_rotate_is_counter_clockwise_and_batched(gen):
    img = torch.zeros(1, 1, 5, 5)
    img[0, 0, 2, 4] = 1.0  # a pixel right of the centre
    out = rotate(img, math.pi / 2)
    assert out[0, 0, 0, 2] == pytest.approx(1.0, abs=1e-5)  # moves to the top (counter-clockwise)
    x = torch.randn(3, 1, 9, 9, generator=gen)
    angles = torch.tensor([0.0, math.pi / 2, math.pi])
    out = rotate(x, angles)
    torch.testing.assert_close(out[1], rotate90(x[1], 1), atol=1e-4, rtol=0)
    torch.testing.assert_close(out[2], rotate90(x[2], 2), atol=1e-4, rtol=0)

def test_arbitrary_rotation_only_approximately_composes(gen):
    x = torch.zeros(1, 29, 29)
    x[0, 8:21, 12:17] = 1.0
    y = x
    for _ in range(12):
        y = rotate(y, 2 * math.pi / 12)
    err = (y - x).abs().max().item()
    assert 1e-3 < err  # interpolation is lossy: SO(2) acts on the pixel grid only approximately


def test_rotated_digits_are_reproducible_and_exact_on_quarter_turns():
    digits = load_mnist(verbose=False).images[:6]
    a, angles = rotate_digits(digits, seed=3)
    b, _ = rotate_digits(digits, seed=3)
    assert a.shape == (6, 1, 29, 29) and a.dtype == torch.float32 and torch.equal(a, b)
    assert ((angles >= 0) & (angles < 2 * math.pi)).all()
    quarter, _ = rotate_digits(digits, angles=np.full(6, math.pi / 2))
    upright, _ = rotate_digits(digits, angles=np.zeros(6))
    torch.testing.assert_close(quarter, rotate90(upright, 1), atol=1e-4, rtol=0)
    assert upright.max() <= 1.0 and abs(upright.sum() - digits.sum() / 255.0) < 1e-2

@pytest.mark.parametrize("bad", [np.zeros((3, 28, 27), np.uint8), np.zeros((28, 28), np.uint8)])
def test_bad_image_shapes_are_rejected(bad):
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        rotate_digits(bad)


def _blob(n=4, size=29, seed=0):
    """Smooth random images (sums of Gaussian bumps), ``(n, 1, size, size)``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, 1, size, size), dtype=np.float32)
    for i in range(n):
        for cy, cx in rng.uniform(9, 19, size=(3, 2)):
            out[i, 0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)
    return torch.as_tensor(out)

def _e(label):
    return D3.elements.index(label)

def test_d3_action_exact_relations_and_approximate_rotation():
    x = _blob()
    n = len(x)
    s, r = torch.full((n,), _e((0, 1))), torch.full((n,), _e((1, 0)))
    torch.testing.assert_close(act_d3_on_images(x, torch.full((n,), _e((0, 0)))), x, atol=1e-6, rtol=0)
    torch.testing.assert_close(act_d3_on_images(act_d3_on_images(x, s), s), x)  # s^2 = e exactly
    srs = act_d3_on_images(act_d3_on_images(act_d3_on_images(x, s), r), s)
    r_inv = act_d3_on_images(x, torch.full((n,), _e((2, 0))))
    torch.testing.assert_close(srs, r_inv, atol=1e-5, rtol=0)  # s r s = r^-1
    # the element r s acts as "mirror, then turn": rho(r s) = rho(r) rho(s) exactly
    rs = act_d3_on_images(x, torch.full((n,), _e((1, 1))))
    torch.testing.assert_close(rs, act_d3_on_images(act_d3_on_images(x, s), r))
    r3 = act_d3_on_images(act_d3_on_images(act_d3_on_images(x, r), r), r)
    rel = ((r3 - x).norm() / x.norm()).item()
    assert 1e-3 < rel < 0.2  # r^3 = e only up to interpolation blur on the pixel grid

def test_c4_action_is_an_exact_representation():
    x = torch.rand(8, 1, 28, 28)
    g, h = torch.randint(4, (8,)), torch.randint(4, (8,))
    assert torch.equal(act_c4_on_images(act_c4_on_images(x, h), g), act_c4_on_images(x, (g + h) % 4))
    assert torch.equal(act_c4_on_images(x, torch.ones(8, dtype=torch.long))[0, 0], torch.rot90(x[0, 0]))
