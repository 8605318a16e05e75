"""SVHN (Street View House Numbers, cropped digits; Netzer et al. 2011) for the EquiVAE chapter.

The two MATLAB files ``train_32x32.mat`` (73,257 digits) and ``test_32x32.mat`` (26,032) are
downloaded from the dataset's home page into ``data/svhn/`` with the download helper of
:mod:`eqrep.data.mnist`, which verifies each file's SHA-256 and raises
:class:`~eqrep.data.mnist.DownloadError` without internet (there is no offline copy of SVHN;
the chapter's default data is MNIST). Checksums: the SHA-256 values are those that TensorFlow
Datasets records for these URLs (``url_checksums/svhn_cropped.txt``, with the sizes below); the
MD5 values are those torchvision's ``SVHN`` class checks. They could not be recomputed here
(no internet), so :data:`SVHN_MD5` is kept for reference.

Each file holds ``X`` of shape ``(32, 32, 3, N)`` (uint8) and ``y`` of shape ``(N, 1)`` with
labels 1..10, where 10 stands for the digit 0. :func:`read_svhn_mat` returns channels-first
``(N, 3, 32, 32)`` images and labels 0..9.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.io

from eqrep.data.download import CorruptFileError, DownloadError
from eqrep.data.mnist import download
from eqrep.data.labelled_images import LabelledImages
from eqrep.data.paths import data_dir

__all__ = ["SVHN_FILES", "SVHN_MD5", "SVHN_SIZES", "MIRRORS", "SVHN", "read_svhn_mat", "load_svhn"]

SVHN_FILES = {  # name: (file, SHA-256)
    "train": ("train_32x32.mat", "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8"),
    "test": ("test_32x32.mat", "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b"),
}
SVHN_MD5 = {"train": "e26dedcc434d2e4c54c9b2d4a06d8373", "test": "eb5a983be6a315427106f1b164d9cef3"}
SVHN_SIZES = {"train": 182_040_794, "test": 64_275_384}  # bytes
MIRRORS = ("http://ufldl.stanford.edu/housenumbers/",)


class SVHN(LabelledImages):
    """Digits and labels with a train/test split (:class:`~eqrep.data.labelled_images.LabelledImages`):
    ``images`` ``uint8 (N, 3, 32, 32)``, ``labels`` ``int64 (N,)`` in ``0..9``."""


def read_svhn_mat(path: Path | str) -> tuple[np.ndarray, np.ndarray]:
    """Read one SVHN ``.mat`` file: images ``uint8 (N, 3, 32, 32)`` and labels ``int64 (N,)`` (``10 -> 0``).

    Raises:
        CorruptFileError: not a MATLAB file, ``X``/``y`` missing, wrong shapes, or labels outside 1..10.
    """
    path = Path(path)
    try:
        mat = scipy.io.loadmat(path)
    except Exception as err:  # noqa: BLE001 - scipy raises many types (IndexError, MatReadError, ...) for junk
        raise CorruptFileError(f"{path} is not a readable MATLAB file ({err}); delete it to download again") from err
    if "X" not in mat or "y" not in mat:
        keys = sorted(k for k in mat if not k.startswith("_"))
        raise CorruptFileError(f"{path} lacks the SVHN arrays 'X' and 'y' (has {keys})")
    x, y = mat["X"], np.asarray(mat["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.shape[3] != len(y):
        raise CorruptFileError(f"{path}: expected X of shape (32, 32, 3, N) and N labels, got {x.shape} and {len(y)}")
    if x.dtype != np.uint8:
        raise CorruptFileError(f"{path}: expected uint8 pixels, got {x.dtype}")
    if len(y) and (y.min() < 1 or y.max() > 10):
        raise CorruptFileError(f"{path}: SVHN labels lie in 1..10, got {y.min()}..{y.max()}")
    images = np.ascontiguousarray(x.transpose(3, 2, 0, 1))  # (H, W, C, N) -> (N, C, H, W)
    return images, (y % 10).astype(np.int64)


def load_svhn(folder: Path | str | None = None, mirrors: Sequence[str] = MIRRORS, verbose: bool = True) -> SVHN:
    """Download (once, SHA-256 verified) and load SVHN; ``folder`` defaults to ``data_dir() / "svhn"``.

    Raises:
        DownloadError: the files are not cached and cannot be downloaded (no internet).
        CorruptFileError: a file has the wrong checksum or is not a valid SVHN ``.mat`` file.
    """
    folder = Path(folder) if folder is not None else data_dir() / "svhn"
    try:
        paths = download(folder, files=SVHN_FILES, mirrors=mirrors, verbose=verbose)
    except DownloadError as err:
        raise DownloadError(f"could not download SVHN (train_32x32.mat and test_32x32.mat, about 250 MB) from "
                            f"{', '.join(mirrors)}. SVHN has no offline copy; the EquiVAE chapter uses MNIST "
                            f"by default. Without internet, copy the two files into {folder}.") from err
    train_x, train_y = read_svhn_mat(paths["train"])
    test_x, test_y = read_svhn_mat(paths["test"])
    n = len(train_x)
    data = SVHN(np.concatenate([train_x, test_x]), np.concatenate([train_y, test_y]),
                {"train": np.arange(n), "test": np.arange(n, n + len(test_x))},
                source=f"SVHN ({n:,} train / {len(test_x):,} test) from {folder}, SHA-256 verified")
    if verbose:
        print(f"SVHN source: {data.source}")
    return data
