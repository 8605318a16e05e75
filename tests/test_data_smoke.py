"""SMOKE: rotating velocity fields (grid and vectors), windows, and the loader on fixtures in
the authors' format (one torch tensor (T, 2, H, W) per simulation)."""

import shutil

import pytest
import torch

from eqrep.data import smoke as S
from eqrep.data.download import CorruptFileError, DownloadError, sha256_of


def _write_series(folder, tasks, t=30, n=8):
    folder.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    series = {}
    for i, j in tasks:
        series[(i, j)] = torch.randn(t, 2, n, n, generator=gen)
        torch.save(series[(i, j)], folder / f"raw_data_{i}_{j}.pt")
    return series


def test_loader_and_windows_on_fixtures(tmp_path):
    series = _write_series(tmp_path / "smoke", [(1, 0), (2, 1)])
    data = S.load_smoke(tmp_path / "smoke", tasks=[(1, 0), (2, 1)])
    torch.testing.assert_close(data[(2, 1)], series[(2, 1)])
    x, y = S.smoke_windows(data[(1, 0)], starts=[0, 5], input_length=4, output_length=3)
    assert x.shape == (2, 8, 8, 8) and y.shape == (2, 3, 2, 8, 8)
    torch.testing.assert_close(x[1], series[(1, 0)][7:11].reshape(8, 8, 8))  # frames 2 + 5 ... 2 + 5 + 3
    torch.testing.assert_close(y[1], series[(1, 0)][11:14])
    with pytest.raises(ValueError, match="needs 36 frames"):
        S.smoke_windows(data[(1, 0)], starts=[20], input_length=10, output_length=4)
    with pytest.raises(FileNotFoundError, match=r"raw_data_3_3.pt is missing"):
        S.load_smoke(tmp_path / "smoke", tasks=[(3, 3)])


def test_broken_files_are_named(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(CorruptFileError, match="not a readable torch file"):
        S.read_smoke_file(tmp_path / "junk.pt")
    torch.save(torch.zeros(3, 3, 4, 4), tmp_path / "bad.pt")
    with pytest.raises(CorruptFileError, match=r"\(T, 2, H, W\), got \(3, 3, 4, 4\)"):
        S.read_smoke_file(tmp_path / "bad.pt")


def test_download_without_a_configured_url_explains_what_to_do(tmp_path):
    assert S.SMOKE_ARCHIVE_URL is None  # to be filled when a checksummed direct link exists
    with pytest.raises(DownloadError, match="seafile"):
        S.download_smoke(tmp_path)


def test_download_of_an_archive_fixture(tmp_path):
    _write_series(tmp_path / "payload", [(1, 0)])
    archive = shutil.make_archive(str(tmp_path / "rotation"), "zip", tmp_path / "payload")
    digest = sha256_of(archive)
    url = (tmp_path / "rotation.zip").as_uri()
    folder = S.download_smoke(tmp_path / "data", url=url, sha256=digest, verbose=False)
    assert S.load_smoke(folder, tasks=[(1, 0)])[(1, 0)].shape == (30, 2, 8, 8)
    with pytest.raises(CorruptFileError, match="expected"):
        S.download_smoke(tmp_path / "other", url=url, sha256="0" * 64, verbose=False)
    assert not list((tmp_path / "other").glob(".smoke.*"))
    with pytest.raises(DownloadError, match="could not download"):
        S.download_smoke(tmp_path / "x", url="file:///nonexistent/rotation.zip", sha256=digest)
