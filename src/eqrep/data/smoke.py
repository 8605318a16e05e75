"""SMOKE: 2-D smoke-plume velocity fields, and the rotation group ``C_4`` acting on them.

Sec. 6.3 / App. C.3 of *Parameter-free approximate equivariance for tasks with finite group
symmetry* uses the rotation smoke-plume data of Wang, Walters & Yu (ICML 2022), simulated with
PhiFlow: 40 simulations (an inflow on one of the four sides, buoyancy pointing inwards with
varying strength), each a sequence of velocity fields ``(T, 2, 64, 64)``; channel 0 is the
``x`` component (along the width axis, the last one), channel 1 the ``y`` component (along the
height axis). The task: from 10 frames predict the next 6, autoregressively.

A rotation must turn the picture *and* the arrows (:func:`rotate_velocity`): a quarter turn
counter-clockwise on screen, ``torch.rot90(., 1, dims=(-2, -1))``, maps a vector ``(v_x, v_y)``
in index coordinates to ``(v_y, -v_x)``. The task is only approximately equivariant
(buoyancy breaks the symmetry).

File format (as written by the authors' data-preparation notebook): one ``torch.save``d float
tensor ``(T, 2, H, W)`` per simulation, named ``raw_data_{i}_{j}.pt``. The authors share the
files from a Seafile folder (https://roselab1.ucsd.edu/seafile/d/8886a9ee4c5248afab26/, folder
``Rotation``) without per-file links or checksums, so :data:`SMOKE_ARCHIVE_URL` and
:data:`SMOKE_ARCHIVE_SHA256` are left to fill: until then :func:`download_smoke` raises
:class:`~eqrep.data.mnist.DownloadError` saying where to put the files by hand.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import torch

from eqrep.data.download import CorruptFileError, DownloadError, fetch
from eqrep.data.paths import data_dir

__all__ = ["SMOKE_ARCHIVE_URL", "SMOKE_ARCHIVE_SHA256", "SEAFILE_FOLDER", "TRAIN_TASKS", "TEST_DOMAIN_TASKS",
           "TIME_RANGES", "download_smoke", "read_smoke_file",
           "load_smoke", "smoke_windows"]

SMOKE_ARCHIVE_URL: str | None = None
"""Direct URL of an archive (zip / tar) holding the ``raw_data_*.pt`` files of the rotation data. TO FILL."""
SMOKE_ARCHIVE_SHA256: str | None = None
"""SHA-256 of that archive. TO FILL together with :data:`SMOKE_ARCHIVE_URL`."""
SEAFILE_FOLDER = "https://roselab1.ucsd.edu/seafile/d/8886a9ee4c5248afab26/"

# Split of Wang et al.'s rotation experiment: simulations (i, j) for training (and the "future"
# test, later frames of the same simulations) and unseen simulations for the "domain" test.
TRAIN_TASKS = ((27, 2), (33, 0), (3, 2), (28, 3), (9, 0), (12, 3), (22, 1), (8, 3), (30, 1), (25, 0),
               (16, 3), (11, 2), (23, 2), (29, 0), (36, 3), (26, 1), (1, 0), (35, 2), (19, 2), (34, 1),
               (4, 3), (2, 1), (7, 2), (31, 2), (17, 0))
TEST_DOMAIN_TASKS = ((6, 1), (14, 1), (15, 2), (10, 1), (18, 1), (20, 3), (24, 3), (13, 0), (21, 0), (5, 0))
TIME_RANGES = {"train": range(0, 160), "val": range(160, 200), "test_future": range(200, 250),
               "test_domain": range(0, 100)}  # window start indices per split


def download_smoke(folder: Path | str | None = None, url: str | None = None, sha256: str | None = None,
                   timeout: float = 60.0, verbose: bool = True) -> Path:
    """Download and unpack the rotation smoke data into ``folder`` (default ``data_dir()/"smoke"``).

    ``url``/``sha256`` default to :data:`SMOKE_ARCHIVE_URL` / :data:`SMOKE_ARCHIVE_SHA256`.

    Raises:
        DownloadError: no URL is configured, or the download failed; the message says how to
            place the files by hand.
        CorruptFileError: the archive has the wrong SHA-256.
    """
    folder = Path(folder) if folder is not None else data_dir() / "smoke"
    url, sha256 = url or SMOKE_ARCHIVE_URL, sha256 or SMOKE_ARCHIVE_SHA256
    manual = (f"download the folder 'Rotation' from {SEAFILE_FOLDER} (Wang et al., ICML 2022) and put its "
              f"raw_data_*.pt files into {folder}, then call load_smoke('{folder}')")
    if url is None or sha256 is None:
        raise DownloadError(f"no download URL with checksum is configured for SMOKE (SMOKE_ARCHIVE_URL); {manual}")
    name = Path(url.split("?")[0]).name or "smoke_archive"
    archive = fetch([url], folder / f".download-{name}", sha256, timeout=timeout, verbose=verbose, hint=manual)
    try:
        fmt = next((f for f, exts, _ in shutil.get_unpack_formats() if any(name.endswith(e) for e in exts)), "zip")
        shutil.unpack_archive(archive, folder, format=fmt)
    finally:
        archive.unlink(missing_ok=True)
    if verbose:
        print(f"unpacked {url} into {folder}")
    return folder


def read_smoke_file(path: Path | str) -> torch.Tensor:
    """One simulation, float32 ``(T, 2, H, W)``.

    Raises:
        CorruptFileError: not a torch file holding a tensor of that shape.
    """
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises various types for broken files
        raise CorruptFileError(f"{path} is not a readable torch file ({err})") from err
    if not torch.is_tensor(data) or data.dim() != 4 or data.shape[1] != 2:
        shape = tuple(data.shape) if torch.is_tensor(data) else type(data).__name__
        raise CorruptFileError(f"{path} should hold a velocity tensor (T, 2, H, W), got {shape}")
    return data.float()


def load_smoke(folder: Path | str | None = None, tasks: Sequence[tuple[int, int]] = TRAIN_TASKS + TEST_DOMAIN_TASKS,
               ) -> dict[tuple[int, int], torch.Tensor]:
    """Read the simulations ``raw_data_{i}_{j}.pt`` of ``tasks`` from ``folder``.

    Returns ``{(i, j): (T, 2, H, W)}``. A missing file raises :class:`FileNotFoundError` naming
    it and :func:`download_smoke`.
    """
    folder = Path(folder) if folder is not None else data_dir() / "smoke"
    out = {}
    for i, j in tasks:
        path = folder / f"raw_data_{i}_{j}.pt"
        if not path.exists():
            raise FileNotFoundError(f"{path} is missing; see download_smoke() for where to get the SMOKE data")
        out[(i, j)] = read_smoke_file(path)
    return out


def smoke_windows(series: torch.Tensor, starts: Sequence[int], input_length: int = 10, output_length: int = 6,
                  offset: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """Input / target windows of one simulation.

    Window ``s`` reads input frames ``offset + s ... offset + s + input_length - 1`` (stacked to
    ``2 input_length`` channels) and the next ``output_length`` frames as target (the reference
    code starts at ``offset = 2``).

    Returns:
        ``x`` ``(N, 2 input_length, H, W)`` and ``y`` ``(N, output_length, 2, H, W)``.
    """
    t = series.shape[0]
    last = offset + max(starts) + input_length + output_length
    if last > t:
        raise ValueError(f"window start {max(starts)} needs {last} frames, the series has {t}")
    xs, ys = [], []
    for s in starts:
        a = offset + s
        xs.append(series[a:a + input_length].reshape(-1, *series.shape[-2:]))
        ys.append(series[a + input_length:a + input_length + output_length])
    return torch.stack(xs), torch.stack(ys)
