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

import numpy as np
import torch

from eqrep.actions import rotate
from eqrep.actions.digit_pairs import _TOP, DIGIT_SIZE, IMAGE_SIZE, act_on_digits, pair_group
from eqrep.data.mnist import MNIST, load_mnist
from eqrep.groups import FiniteGroup

__all__ = ["DDMNIST", "make_ddmnist"]


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
