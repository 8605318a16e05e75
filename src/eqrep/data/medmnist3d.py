"""MedMNIST3D volumes and the octahedral group of the 24 rotations of the cube acting on them.

Sec. 6.2 / App. C.2 of *Parameter-free approximate equivariance for tasks with finite group
symmetry* trains on three subsets of MedMNIST v3 (Yang et al., Scientific Data 2023):
OrganMNIST3D (11 organs), NoduleMNIST3D (benign / malignant) and SynapseMNIST3D (inhibitory /
excitatory), each ``28 x 28 x 28`` voxels, with the rotation group ``O ~ S_4`` of the cube.

:func:`octahedral` builds that group from two rotations (a quarter turn and the cyclic
permutation of the axes, ``<a, b | a^4, b^3, (ab)^2>``) as ``3 x 3`` signed permutation
matrices. A matrix ``R`` acts on a volume by moving the voxel at centred index coordinates
``c = (d, h, w) - (n - 1)/2`` to ``R c`` -- an exact axis permutation plus flips
(:func:`rotate_volume`); the quarter turn about the depth axis is ``torch.rot90`` in ``(H, W)``.

The data are the official ``.npz`` archives from Zenodo, checked against the MD5 sums the
``medmnist`` package publishes (keys ``{train,val,test}_{images,labels}``; images ``uint8
(N, 28, 28, 28)``, labels ``(N, 1)``). Without internet :func:`load_medmnist3d` raises
:class:`~eqrep.data.mnist.DownloadError`; there is no offline sample.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from eqrep.data.download import CorruptFileError, fetch, md5_of
from eqrep.data.paths import data_dir

__all__ = ["MEDMNIST3D_FILES", "MEDMNIST3D_MIRRORS",
           "md5_of", "download_medmnist3d", "read_medmnist_npz", "MedMNIST3D", "load_medmnist3d"]


# ----------------------------------------------------------------------------- the data

MEDMNIST3D_FILES = {  # name: (file, MD5 as published by the medmnist package, v3.0)
    "organmnist3d": ("organmnist3d.npz", "a0c5a1ff56af4f155c46d46fbb45a2fe"),
    "nodulemnist3d": ("nodulemnist3d.npz", "8755a7e9e05a4d9ce80a24c3e7a256f3"),
    "synapsemnist3d": ("synapsemnist3d.npz", "1235b78a3cd6280881dd7850a78eadb6"),
}
MEDMNIST3D_MIRRORS = ("https://zenodo.org/records/10519652/files/{file}?download=1",)
_SPLITS = ("train", "val", "test")


def download_medmnist3d(name: str, folder: Path | str, mirrors: Sequence[str] = MEDMNIST3D_MIRRORS,
                        timeout: float = 60.0, verbose: bool = True) -> Path:
    """Download one archive into ``folder`` (skipped when a verified copy is there).

    Args:
        name: A key of :data:`MEDMNIST3D_FILES`.
        mirrors: URL templates with ``{file}``, tried in order.

    Raises:
        DownloadError: no mirror could deliver the file.
        CorruptFileError: the delivered file has the wrong MD5.
    """
    if name not in MEDMNIST3D_FILES:
        raise ValueError(f"unknown MedMNIST3D subset '{name}'; use one of {sorted(MEDMNIST3D_FILES)}")
    file_name, checksum = MEDMNIST3D_FILES[name]
    folder = Path(folder)
    hint = (f"MedMNIST3D needs internet (there is no offline sample); or place the file, MD5 {checksum}, "
            f"in {folder}.")
    return fetch([mirror.format(file=file_name) for mirror in mirrors], folder / file_name, checksum,
                 algorithm="md5", timeout=timeout, verbose=verbose, hint=hint)


@dataclass
class MedMNIST3D:
    """Volumes and labels with the official train / val / test split.

    Attributes:
        images: ``uint8 (N, 28, 28, 28)``; labels: ``int64 (N,)``.
        split: ``{"train", "val", "test"}`` -> index arrays.
        name: Subset name; source: where the file came from.
    """

    images: np.ndarray
    labels: np.ndarray
    split: dict[str, np.ndarray]
    name: str
    source: str

    @property
    def n_classes(self) -> int:
        """Number of classes (largest label + 1)."""
        return int(self.labels.max()) + 1

    def part(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Volumes ``float32 (M, 1, 28, 28, 28)`` in ``[0, 1]`` and labels ``int64 (M,)``."""
        idx = self.split[split]
        return torch.from_numpy(self.images[idx]).float().div_(255.0)[:, None], torch.from_numpy(self.labels[idx])


def read_medmnist_npz(path: Path | str, name: str = "") -> MedMNIST3D:
    """Read a MedMNIST3D ``.npz`` archive, validating keys, shapes and types.

    Raises:
        CorruptFileError: not a readable archive, a missing key, or inconsistent arrays.
    """
    path = Path(path)
    try:
        archive = np.load(path)
        arrays = {f"{s}_{k}": archive[f"{s}_{k}"] for s in _SPLITS for k in ("images", "labels")}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise CorruptFileError(f"{path} is not a readable .npz archive ({err}); delete it to download again") from err
    except KeyError as err:
        raise CorruptFileError(f"{path} lacks the array {err}; expected {{train,val,test}}_{{images,labels}}") from err
    images, labels, split, start = [], [], {}, 0
    for s in _SPLITS:
        x, y = arrays[f"{s}_images"], arrays[f"{s}_labels"].reshape(-1)
        if x.dtype != np.uint8 or x.ndim != 4 or len(set(x.shape[1:])) != 1 or len(x) != len(y):
            raise CorruptFileError(f"{path}: {s} images {x.shape} {x.dtype} and labels {y.shape} do not form "
                                   f"a uint8 (N, n, n, n) volume set with one label each")
        images.append(x)
        labels.append(y.astype(np.int64))
        split[s] = np.arange(start, start + len(x))
        start += len(x)
    return MedMNIST3D(np.concatenate(images), np.concatenate(labels), split, name or path.stem, source=str(path))


def load_medmnist3d(name: str = "organmnist3d", folder: Path | str | None = None,
                    mirrors: Sequence[str] = MEDMNIST3D_MIRRORS, verbose: bool = True) -> MedMNIST3D:
    """Download (once, MD5-verified) and read one MedMNIST3D subset; prints the source.

    ``folder`` defaults to ``data_dir() / "medmnist3d"``.
    """
    folder = Path(folder) if folder is not None else data_dir() / "medmnist3d"
    path = download_medmnist3d(name, folder, mirrors=mirrors, verbose=verbose)
    data = read_medmnist_npz(path, name)
    sizes = " / ".join(f"{len(data.split[s]):,}" for s in _SPLITS)
    data.source = f"MedMNIST v3 {name} ({sizes} train / val / test) from {path}, MD5 verified"
    if verbose:
        print(f"MedMNIST3D source: {data.source}")
    return data
