"""Double-digit MNIST (DDMNIST): two digits side by side, each transformed independently.

The benchmark of Veefkind & Cesa (ICML 2024), used in Sec. 6.1 / App. C.1 of *Parameter-free
approximate equivariance for tasks with finite group symmetry*. A sample is a ``56 x 56`` image
holding two ``28 x 28`` MNIST digits next to each other (rows 14-41, columns 0-27 and 28-55);
its class is ``10 * first + second`` (100 classes). Each digit is transformed by its own
element of a small group ``G``:

* ``"C4"``: quarter turns (counter-clockwise on screen, :func:`torch.rot90`);
* ``"D1"``: a mirror image (left <-> right);
* ``"D4"``: quarter turns and the mirror, the element ``r^k s^f`` acting as mirror first.

so the product group ``G x G`` acts on the pair image (:func:`act_on_pairs`). Class labels
are invariant: ``rho_Y`` is trivial (:func:`act_on_labels`). For ``C4`` and ``D4`` each digit
also gets the benchmark's interpolation artefacts: a bilinear rotation by a random angle and
back, before its exact quarter turn.

Sizes follow the reference code: 100 / 20 / 50 images per class (train / val / test), i.e.
17,000 images. Digits are drawn with replacement from three disjoint pools: train and val
from MNIST's training digits (``val_fraction`` of them held out for val), test from MNIST's
test digits. With the offline MNIST sample (400 train + 100 test digits per class) the val
pool holds 40 digits per class; each training digit then appears in about 2 x 100 x 10 / 360
~ 5-6 training pairs. Any sizes work; more distinct digits need ``load_mnist("full")``.
Pixels are kept as ``uint8`` (53 MB at the default sizes); :meth:`DDMNIST.part` returns float32
images in ``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from eqrep.actions import rotate
from eqrep.data.mnist import MNIST, load_mnist
from eqrep.groups import FiniteGroup, cyclic, dihedral, direct_product

__all__ = ["DIGIT_GROUPS", "DIGIT_SIZE", "IMAGE_SIZE", "digit_group", "pair_group", "transform_digit",
           "pixel_sources", "act_on_digits", "act_on_pairs", "act_on_labels", "DDMNIST", "make_ddmnist"]

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
    """``rho_Y`` for DDMNIST classes: trivial (transforming a digit does not change its class)."""
    return labels


@dataclass
class DDMNIST:
    """A DDMNIST dataset.

    Attributes:
        pixels: ``uint8 (N, 56, 56)`` pair images.
        labels: ``int64 (N,)`` classes ``10 * first + second``.
        digits: ``int64 (N, 2)`` the two digit classes.
        sources: ``int64 (N, 2)`` indices of the two digits in the MNIST arrays used.
        elements: ``int64 (N,)`` element of :func:`pair_group` applied to each pair.
        split: ``{"train", "val", "test"}`` -> index arrays.
        group: Digit group name, e.g. ``"C4"``.
        source: Where the digits came from, and the sizes.
    """

    pixels: np.ndarray
    labels: np.ndarray
    digits: np.ndarray
    sources: np.ndarray
    elements: np.ndarray
    split: dict[str, np.ndarray]
    group: str
    source: str

    @property
    def product(self) -> FiniteGroup:
        """The group ``G x G`` acting on pair images."""
        return pair_group(self.group)

    def part(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``float32 (M, 1, 56, 56)`` in ``[0, 1]`` and labels ``int64 (M,)`` of one split."""
        idx = self.split[name]
        images = torch.from_numpy(self.pixels[idx]).float().div_(255.0)[:, None]
        return images, torch.from_numpy(self.labels[idx])


def _pools(mnist: MNIST, val_fraction: float, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """Per split and digit class, the MNIST indices a pair may draw from."""
    pools: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in range(10):
        train = rng.permutation(mnist.split["train"][mnist.labels[mnist.split["train"]] == c])
        test = mnist.split["test"][mnist.labels[mnist.split["test"]] == c]
        n_val = int(round(val_fraction * len(train)))
        for name, pool in (("train", train[n_val:]), ("val", train[:n_val]), ("test", test)):
            if len(pool) == 0:
                raise ValueError(f"no MNIST digits of class {c} for the {name} pool "
                                 f"(val_fraction={val_fraction}); use more digits")
            pools[name].append(pool)
    return pools


def make_ddmnist(group: str = "C4", per_class: tuple[int, int, int] = (100, 20, 50), mnist: MNIST | None = None,
                 val_fraction: float = 0.1, artefacts: bool | None = None, seed: int = 0,
                 verbose: bool = True) -> DDMNIST:
    """Build DDMNIST for one digit group.

    Args:
        group: ``"C4"``, ``"D1"`` or ``"D4"``.
        per_class: Pairs per class for (train, val, test); the reference uses ``(100, 20, 50)``.
        mnist: The digits (default :func:`~eqrep.data.mnist.load_mnist` ``("offline")``).
        val_fraction: Share of each class's MNIST training digits held out for the val pool.
        artefacts: Rotate each digit by a random angle and back (bilinear) before its
            transformation; default: for groups with rotations (``C4``, ``D4``), as in the benchmark.
        seed: Seed for the pairs, the group elements and the artefact angles.

    Returns:
        The dataset, split train / val / test in that order; group elements are uniform on ``G x G``.
        Within each split the pairs are stored sorted by class (``00, 01, ..., 99``): shuffle before
        taking a prefix or a mini-batch (the trainers draw random orders).
    """
    if len(per_class) != 3 or min(per_class) < 1:
        raise ValueError(f"per_class must be three positive counts (train, val, test), got {per_class}")
    product = pair_group(group)
    if artefacts is None:
        artefacts = int(group[1:]) > 1  # the groups with a rotation
    mnist = mnist if mnist is not None else load_mnist("offline", verbose=verbose)
    rng = np.random.default_rng(seed)
    pools = _pools(mnist, val_fraction, rng)
    sources, digits, split, start = [], [], {}, 0
    for name, count in zip(("train", "val", "test"), per_class, strict=True):
        for a in range(10):
            for b in range(10):
                first = rng.choice(pools[name][a], size=count)
                second = rng.choice(pools[name][b], size=count)
                sources.append(np.stack([first, second], 1))
                digits.append(np.tile([a, b], (count, 1)))
        n = 100 * count
        split[name] = np.arange(start, start + n)
        start += n
    sources_arr = np.concatenate(sources).astype(np.int64)
    digits_arr = np.concatenate(digits).astype(np.int64)
    elements = rng.integers(product.order, size=len(sources_arr)).astype(np.int64)
    pair_el = np.array(product.elements)[elements]  # (N, 2) digit-group elements

    x = torch.from_numpy(mnist.images[sources_arr.ravel()]).float().div_(255.0)  # (2N, 28, 28)
    if artefacts:
        angles = torch.as_tensor(rng.uniform(-np.pi, np.pi, size=len(x)), dtype=torch.float32)
        for i in range(0, len(x), 4096):  # chunks keep the sampling grids small
            a, chunk = angles[i:i + 4096], x[i:i + 4096, None]
            x[i:i + 4096] = rotate(rotate(chunk, a), -a)[:, 0].clamp_(0.0, 1.0)
    x = act_on_digits(x, group, torch.from_numpy(pair_el.ravel()))
    x = x.reshape(-1, 2, DIGIT_SIZE, DIGIT_SIZE)
    pixels = np.zeros((len(x), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    digit_bytes = torch.round(x * 255.0).to(torch.uint8).numpy()
    pixels[:, _TOP:_TOP + DIGIT_SIZE, :DIGIT_SIZE] = digit_bytes[:, 0]
    pixels[:, _TOP:_TOP + DIGIT_SIZE, DIGIT_SIZE:] = digit_bytes[:, 1]
    sizes = " / ".join(f"{c}" for c in per_class)
    data = DDMNIST(pixels=pixels, labels=10 * digits_arr[:, 0] + digits_arr[:, 1], digits=digits_arr,
                   sources=sources_arr, elements=elements, split=split, group=group,
                   source=f"DDMNIST-{group}: {sizes} pairs per class (train / val / test) from {mnist.source}"
                          f"{'; with rotation artefacts' if artefacts else ''}")
    if verbose:
        print(data.source)
    return data
