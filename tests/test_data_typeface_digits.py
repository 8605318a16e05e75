"""Typeface digits: rendering, the exact font swap, rotations and scalings, bad input."""

import pytest
import torch

from eqrep.data.typeface_digits import DigitParameters, FontNotFoundError, TypefaceDigits, font_path, render_glyphs


@pytest.fixture(scope="module")
def data():
    return TypefaceDigits()


def _params(digit, font, angle=0.0, scale=1.0):
    n = len(digit)
    return DigitParameters(torch.as_tensor(digit), torch.as_tensor(font), torch.full((n,), float(angle)),
                           torch.full((n,), float(scale)))


def test_glyphs_are_distinct_digits_in_two_distinct_fonts():
    glyphs = render_glyphs()
    assert glyphs.shape == (2, 10, 56, 56) and glyphs.dtype == torch.float32
    assert glyphs.min() >= 0 and glyphs.max() <= 1 and glyphs.max() > 0.99
    flat = glyphs.reshape(20, -1)
    dist = torch.cdist(flat, flat) + 1e9 * torch.eye(20)
    assert dist.min() > 1.0  # no two of the 20 glyphs coincide (same digit, other font included)
    # the glyph's larger side spans about 20 of the 28 pixels (40 of 56 at 2x)
    ink = glyphs[0, 1].sum(1) > 0.5
    assert 36 <= ink.sum() <= 42


def test_font_swap_is_exact_and_an_involution(data):
    gen = torch.Generator().manual_seed(0)
    params = data.sample(16, gen)
    x, gx = data.pairs(params)
    other = DigitParameters(params.digit, 1 - params.font, params.angle, params.scale)
    assert torch.equal(gx, data.render(other))
    assert torch.equal(data.render(other, swap=True), x)
    assert (gx - x).abs().sum((1, 2, 3)).min() > 1.0  # every image changes
    per_sample = data.render(params, swap=torch.arange(16) % 2)
    assert torch.equal(per_sample[::2], x[::2]) and torch.equal(per_sample[1::2], gx[1::2])


def test_rotation_and_scale(data):
    upright = data.render(_params(range(10), [0] * 10))
    quarter = data.render(_params(range(10), [0] * 10, angle=torch.pi / 2))
    torch.testing.assert_close(quarter, torch.rot90(upright, 1, dims=(-2, -1)), atol=1e-5, rtol=0)
    assert upright.shape == (10, 1, 28, 28)
    half = data.render(_params(range(10), [0] * 10, scale=0.5))
    ratio = half.sum() / upright.sum()
    assert 0.2 < ratio < 0.3  # area scales with the square of the scale


def test_sampling_is_seeded_and_within_the_ranges(data):
    a = data.sample(200, torch.Generator().manual_seed(3))
    b = data.sample(200, torch.Generator().manual_seed(3))
    assert torch.equal(a.angle, b.angle) and torch.equal(a.digit, b.digit)
    assert a.angle.abs().max() <= data.max_angle and a.scale.min() >= 0.8 and a.scale.max() <= 1.2
    assert set(a.font.tolist()) == {0, 1} and set(a.digit.tolist()) == set(range(10))
    assert len(a[:5]) == 5


def test_bad_fonts_raise_clear_errors():
    with pytest.raises(FontNotFoundError, match="not bundled with matplotlib"):
        font_path("NoSuchFont.ttf")
    with pytest.raises(ValueError, match="exactly two fonts"):
        TypefaceDigits(fonts=("DejaVuSans.ttf",) * 3)
    with pytest.raises(ValueError, match="scales"):
        TypefaceDigits(scales=(1.2, 0.8))
