"""C_4 on velocity fields: the picture and the arrows turn together."""

import pytest
import torch

from eqrep import actions as A


def _constant(vx, vy, n=6):
    return torch.stack([torch.full((n, n), float(vx)), torch.full((n, n), float(vy))])

def test_rotating_a_constant_field_rotates_its_vector():
    # a quarter turn counter-clockwise on screen: "right" (+x) becomes "up" (-y, rows grow downwards)
    torch.testing.assert_close(A.rotate_velocity(_constant(1, 0), 1), _constant(0, -1))
    torch.testing.assert_close(A.rotate_velocity(_constant(0, -1), 1), _constant(-1, 0))
    torch.testing.assert_close(A.rotate_velocity(_constant(2, 3), 2), _constant(-2, -3))
    torch.testing.assert_close(A.rotate_velocity(_constant(2, 3), -1), _constant(-3, 2))

def test_four_quarter_turns_are_the_identity_and_turns_compose():
    u = torch.randn(3, 2, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(A.rotate_velocity(u, 4), u, atol=0, rtol=0)
    out = u
    for _ in range(4):
        out = A.rotate_velocity(out, 1)
    torch.testing.assert_close(out, u, atol=0, rtol=0)
    for a in range(4):
        for b in range(4):
            torch.testing.assert_close(A.rotate_velocity(A.rotate_velocity(u, b), a), A.rotate_velocity(u, a + b))
    assert not torch.allclose(A.rotate_velocity(u, 1), torch.rot90(u, 1, dims=(-2, -1)))  # vectors turn too

def test_rotation_commutes_with_the_gradient():
    """A gradient field v = grad phi must rotate like the gradient of the rotated potential."""
    n = 9
    yy, xx = torch.meshgrid(torch.arange(n, dtype=torch.float64), torch.arange(n, dtype=torch.float64),
                            indexing="ij")
    phi = torch.sin(0.7 * xx) + 0.1 * xx * yy ** 2 - 0.3 * yy

    def grad(p):
        dy, dx = torch.gradient(p)  # along rows (y), along columns (x)
        return torch.stack([dx, dy])

    for k in range(4):
        torch.testing.assert_close(A.rotate_velocity(grad(phi), k), grad(torch.rot90(phi, k)))

def test_per_sample_action_on_stacked_frames():
    x = torch.randn(4, 2 * 3, 6, 6, generator=torch.Generator().manual_seed(1))
    g = torch.tensor([0, 1, 2, 3])
    out = A.act_on_frames(x, g)
    for b in range(4):
        want = A.rotate_velocity(x[b].reshape(3, 2, 6, 6), int(g[b])).reshape(6, 6, 6)
        torch.testing.assert_close(out[b], want)
    torch.testing.assert_close(A.act_on_frames(A.act_on_frames(x, g), g), A.act_on_frames(x, (2 * g) % 4))
    five = torch.randn(2, 3, 2, 6, 6)
    torch.testing.assert_close(A.act_on_frames(five, torch.tensor([1, 3]))[1], A.rotate_velocity(five[1], 3))
    with pytest.raises(ValueError, match="even channel count"):
        A.act_on_frames(torch.zeros(1, 3, 4, 4), torch.tensor([1]))
    with pytest.raises(ValueError, match=r"\(\.\.\., 2, H, H\)"):
        A.rotate_velocity(torch.zeros(3, 4, 4), 1)
