"""Typeface digits: the digits 0-9 rendered in two fonts, randomly rotated and scaled.

Our offline stand-in for the two-typeface subset of TMNIST (Typography-MNIST, Magre & Brown
2022) used in Sec. 4.1 / App. B.1 of *Parameter-free approximate equivariance for tasks with
finite group symmetry*. The paper picks two TMNIST typefaces, augments the 20 glyphs by random
rotations and scalings, and lets the group ``C_2`` act by **swapping the font** while keeping
the digit, the angle and the scale. We render the glyphs ourselves from two fonts that ship
with matplotlib (by default DejaVu Sans and DejaVu Serif Italic), so nothing is downloaded.

A sample is described by its parameters ``(digit, font, angle, scale)``; the image is the
glyph of ``digit`` in ``font``, rotated counter-clockwise by ``angle`` and scaled by ``scale``
about the image centre. The font swap is then exact: it renders the same parameters with the
other font (:meth:`TypefaceDigits.render` with ``swap=True``). It is not a function of the pixels
alone, which is why the data set hands out ``(x, swapped x)`` pairs.

Images are ``float32 (N, 1, 28, 28)`` in ``[0, 1]`` (white glyph on black, like MNIST), the
glyph's bounding box fitted into ``20 x 20`` pixels at ``scale = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["FONTS", "IMAGE_SIZE", "FontNotFoundError", "font_path", "render_glyphs", "DigitParameters",
           "TypefaceDigits"]

FONTS = ("DejaVuSans.ttf", "DejaVuSerif-Italic.ttf")
"""Default fonts: file names in matplotlib's bundled ``mpl-data/fonts/ttf`` folder."""
IMAGE_SIZE = 28
_SUPERSAMPLE = 2  # glyphs are rendered and transformed at 2x resolution, then area-averaged
_BOX = 20  # the glyph's larger side, in pixels of the 28 x 28 image, at scale 1


class FontNotFoundError(FileNotFoundError):
    """A requested font file is neither a path nor bundled with matplotlib."""


def font_path(font: str | Path) -> Path:
    """Resolve a font: an existing path, or a file name in matplotlib's bundled fonts."""
    import matplotlib

    path = Path(font)
    if path.is_file():
        return path
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / str(font)
    if bundled.is_file():
        return bundled
    available = sorted(p.name for p in bundled.parent.glob("*.ttf"))
    raise FontNotFoundError(f"font '{font}' is not a file and not bundled with matplotlib; bundled: {available}")


@lru_cache(maxsize=8)
def _glyphs(fonts: tuple[str, ...], size: int) -> np.ndarray:
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    out = np.zeros((len(fonts), 10, size, size), dtype=np.float32)
    box = _BOX * size / IMAGE_SIZE
    for f, font in enumerate(fonts):
        prop = FontProperties(fname=str(font_path(font)))
        for digit in range(10):
            path = TextPath((0, 0), str(digit), size=100, prop=prop)
            (x0, y0), (x1, y1) = path.get_extents().get_points()
            s = box / max(x1 - x0, y1 - y0)
            centred = Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2).scale(s).translate(size / 2, size / 2)
            fig = Figure(figsize=(1, 1), dpi=size)
            canvas = FigureCanvasAgg(fig)
            ax = fig.add_axes((0, 0, 1, 1))
            ax.set_xlim(0, size)
            ax.set_ylim(0, size)
            ax.axis("off")
            ax.add_patch(PathPatch(centred.transform_path(path), color="black", lw=0))
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba(), dtype=np.float32)
            out[f, digit] = 1.0 - rgba[..., 0] / 255.0  # ink = 1
    return out


def render_glyphs(fonts: tuple[str, ...] = FONTS, supersample: int = _SUPERSAMPLE) -> torch.Tensor:
    """Upright glyphs, shape ``(len(fonts), 10, 28 s, 28 s)`` float32 in ``[0, 1]``, ``s = supersample``.

    The glyph's bounding box is centred, its larger side ``20 s`` pixels. Rendered once per
    process with matplotlib's Agg rasteriser (anti-aliased) and cached.
    """
    if supersample < 1:
        raise ValueError(f"supersample must be >= 1, got {supersample}")
    return torch.from_numpy(_glyphs(tuple(str(f) for f in fonts), IMAGE_SIZE * supersample).copy())


@dataclass(frozen=True)
class DigitParameters:
    """Parameters of ``N`` samples: ``digit``, ``font`` (int64 ``(N,)``), ``angle`` (radians) and
    ``scale`` (float32 ``(N,)``)."""

    digit: torch.Tensor
    font: torch.Tensor
    angle: torch.Tensor
    scale: torch.Tensor

    def __len__(self) -> int:
        return len(self.digit)

    def __getitem__(self, idx) -> "DigitParameters":
        return DigitParameters(self.digit[idx], self.font[idx], self.angle[idx], self.scale[idx])


class TypefaceDigits:
    """Digits in two fonts under random rotations and scalings, with ``C_2`` swapping the font.

    Args:
        fonts: Two font files (paths or names of matplotlib's bundled fonts).
        max_angle: Angles are uniform in ``[-max_angle, max_angle]`` (radians).
        scales: Scales are uniform in ``[scales[0], scales[1]]``.
    """

    def __init__(self, fonts: tuple[str, str] = FONTS, max_angle: float = np.pi / 4,
                 scales: tuple[float, float] = (0.8, 1.2)) -> None:
        if len(fonts) != 2:
            raise ValueError(f"the font swap needs exactly two fonts, got {len(fonts)}")
        if not 0 < scales[0] <= scales[1]:
            raise ValueError(f"scales must satisfy 0 < low <= high, got {scales}")
        self.fonts = tuple(str(f) for f in fonts)
        self.max_angle, self.scales = float(max_angle), (float(scales[0]), float(scales[1]))
        self.glyphs = render_glyphs(self.fonts)  # (2, 10, 56, 56)

    def sample(self, n: int, generator: torch.Generator | None = None) -> DigitParameters:
        """``n`` random parameter sets (digit and font uniform, angle and scale uniform in their ranges)."""
        u = torch.rand(n, 2, generator=generator)
        return DigitParameters(
            digit=torch.randint(10, (n,), generator=generator),
            font=torch.randint(2, (n,), generator=generator),
            angle=(2 * u[:, 0] - 1) * self.max_angle,
            scale=self.scales[0] + (self.scales[1] - self.scales[0]) * u[:, 1],
        )

    def render(self, params: DigitParameters, swap: bool | torch.Tensor = False) -> torch.Tensor:
        """Images ``(N, 1, 28, 28)``; ``swap`` (a bool, or a bool/0-1 tensor ``(N,)``) uses the other font."""
        swap = torch.as_tensor(swap, dtype=torch.long).expand(len(params))
        font = (params.font + swap) % 2
        base = self.glyphs[font, params.digit][:, None]  # (N, 1, S, S)
        cos, sin = torch.cos(params.angle), torch.sin(params.angle)
        zero = torch.zeros_like(cos)
        # the grid maps output pixels to input locations: inverse rotation, divided by the scale
        theta = torch.stack([torch.stack([cos, -sin, zero], -1), torch.stack([sin, cos, zero], -1)], -2)
        theta = theta / params.scale[:, None, None]
        theta[:, :, 2] = 0.0
        grid = F.affine_grid(theta, list(base.shape), align_corners=False)
        big = F.grid_sample(base, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return F.avg_pool2d(big, base.shape[-1] // IMAGE_SIZE).clamp(0.0, 1.0)

    def pairs(self, params: DigitParameters) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x, g x)`` with ``g`` the font swap: two image batches ``(N, 1, 28, 28)``."""
        return self.render(params), self.render(params, swap=True)
