"""The groups of double-digit MNIST (DDMNIST) and their action on pair images (chapter 8).

A pair image is ``56 x 56`` with two ``28 x 28`` digits side by side (rows 14-41, columns 0-27 and
28-55). Each digit is transformed by its own element of a small group ``G``:

* ``"C4"``: quarter turns (counter-clockwise on screen, :func:`torch.rot90`);
* ``"D1"``: a mirror image (left <-> right);
* ``"D4"``: quarter turns and the mirror, the element ``r^k s^f`` acting as mirror first,

so the product group ``G x G`` acts on the pair image (:func:`act_on_pairs`); class labels are
invariant (:func:`act_on_labels`). The data set itself is :mod:`eqrep.data.ddmnist`.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from eqrep.groups import FiniteGroup, cyclic, dihedral, direct_product

__all__ = ["DIGIT_GROUPS", "DIGIT_SIZE", "IMAGE_SIZE", "digit_group", "pair_group", "transform_digit",
           "pixel_sources", "act_on_digits", "act_on_pairs", "act_on_labels"]


DIGIT_GROUPS = ("C4", "D1", "D4")

DIGIT_SIZE = 28

IMAGE_SIZE = 56

_TOP = (IMAGE_SIZE - DIGIT_SIZE) // 2  # first row of the digits

@lru_cache(maxsize=None)
def digit_group(name: str) -> FiniteGroup:
    """The group acting on one digit: ``"C4"`` (also ``"C1"``, ``"C2"``), ``"D1"``, ``"D4"`` (also ``"D2"``)."""
    kind, n = name[:1], name[1:]
    if kind not in ("C", "D") or n not in ("1", "2", "4"):
        raise ValueError(f"unknown digit group '{name}'; use one of {DIGIT_GROUPS} (or C1, C2, D2)")
    return cyclic(int(n)) if kind == "C" else dihedral(int(n))

@lru_cache(maxsize=None)
def pair_group(name: str) -> FiniteGroup:
    """``G x G`` acting on a pair image; element ``p`` is the pair ``pair_group(name).elements[p]``
    of element indices of ``digit_group(name)`` (first digit, second digit)."""
    g = digit_group(name)
    return direct_product(g, g)

def _quarter_turns_and_flip(group: FiniteGroup, g: int) -> tuple[int, int]:
    n = int(group.name.split("_")[1])
    el = group.elements[g]
    k, f = (el, 0) if group.name.startswith("C") else el
    return k * 4 // n, f

def transform_digit(images: torch.Tensor, group: FiniteGroup, g: int) -> torch.Tensor:
    """Apply element ``g`` of a digit group to images ``(..., H, W)``: mirror (left <-> right) if
    the element has one, then ``k`` counter-clockwise quarter turns. Exact (a pixel permutation)."""
    k, f = _quarter_turns_and_flip(group, g)
    out = torch.flip(images, dims=(-1,)) if f else images
    return torch.rot90(out, k, dims=(-2, -1))

@lru_cache(maxsize=None)
def pixel_sources(name: str, pairs: bool = False) -> torch.Tensor:
    """Each element's action as a gather index on flattened images, shape ``(|G|, H * W)``.

    ``act(x).flatten()[i] = x.flatten()[src[g, i]]``. ``pairs=False``: ``digit_group(name)`` on
    ``28 x 28`` digits; ``pairs=True``: ``pair_group(name)`` on ``56 x 56`` pair images (each
    element transforms the two digit squares independently and leaves the padding in place).
    """
    group = digit_group(name)
    base = torch.arange(DIGIT_SIZE * DIGIT_SIZE).reshape(DIGIT_SIZE, DIGIT_SIZE)
    digit = torch.stack([transform_digit(base, group, g).flatten() for g in range(group.order)])
    if not pairs:
        return digit
    full = torch.arange(IMAGE_SIZE * IMAGE_SIZE).reshape(IMAGE_SIZE, IMAGE_SIZE)
    out = []
    for g1, g2 in pair_group(name).elements:
        src = full.clone()
        for col, g in ((0, g1), (DIGIT_SIZE, g2)):
            block = full[_TOP:_TOP + DIGIT_SIZE, col:col + DIGIT_SIZE].flatten()
            src[_TOP:_TOP + DIGIT_SIZE, col:col + DIGIT_SIZE] = block[digit[g]].reshape(DIGIT_SIZE, DIGIT_SIZE)
        out.append(src.flatten())
    return torch.stack(out)

def _gather(images: torch.Tensor, sources: torch.Tensor, g: torch.Tensor, size: int, what: str) -> torch.Tensor:
    if images.dim() < 3 or tuple(images.shape[-2:]) != (size, size):
        raise ValueError(f"{what} need shape (B, ..., {size}, {size}), got {tuple(images.shape)}")
    g = torch.as_tensor(g, dtype=torch.long, device=images.device)
    if g.shape != (images.shape[0],):
        raise ValueError(f"need one group element per image: shape ({images.shape[0]},), got {tuple(g.shape)}")
    if g.numel() and (g.min() < 0 or g.max() >= len(sources)):
        raise ValueError(f"group element indices must lie in [0, {len(sources)})")
    flat = images.reshape(images.shape[0], -1, size * size)
    idx = sources.to(images.device)[g][:, None, :].expand_as(flat)
    return torch.gather(flat, 2, idx).reshape(images.shape)

def act_on_digits(images: torch.Tensor, name: str, g: torch.Tensor) -> torch.Tensor:
    """Per-sample action of ``digit_group(name)`` on digits ``(B, ..., 28, 28)``; ``g`` is ``(B,)``."""
    return _gather(images, pixel_sources(name), g, DIGIT_SIZE, "digits")

def act_on_pairs(images: torch.Tensor, name: str, g: torch.Tensor) -> torch.Tensor:
    """``rho_X``: per-sample action of ``pair_group(name)`` on pair images ``(B, C, 56, 56)``;
    ``g`` is ``(B,)`` element indices of the product group."""
    return _gather(images, pixel_sources(name, pairs=True), g, IMAGE_SIZE, "pair images")

def act_on_labels(labels: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """``rho_Y`` for DDMNIST classes ``(B,)``: trivial (transforming a digit does not change its class);
    ``g`` ``(B,)`` is ignored and ``labels`` returned as they are."""
    return labels
