"""The octahedral group acting on volumes, and the MedMNIST3D loader on small fixtures
written in the official .npz format and served from local file:// mirrors."""

import re

import numpy as np
import pytest
import torch

from eqrep.data import medmnist3d as M
from eqrep.data.download import CorruptFileError, DownloadError


def _write_fixture(path, n=(4, 2, 3), size=5, classes=11, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for s, k in zip(("train", "val", "test"), n, strict=True):
        arrays[f"{s}_images"] = rng.integers(0, 256, (k, size, size, size), dtype=np.uint8)
        arrays[f"{s}_labels"] = rng.integers(0, classes, (k, 1), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    return arrays


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    src = tmp_path / "mirror"
    src.mkdir()
    arrays = _write_fixture(src / "organmnist3d.npz")
    monkeypatch.setitem(M.MEDMNIST3D_FILES, "organmnist3d", ("organmnist3d.npz", M.md5_of(src / "organmnist3d.npz")))
    return src.as_uri() + "/{file}", arrays


def test_download_verifies_md5_and_loads(tmp_path, mirror, capsys):
    url, arrays = mirror
    data = M.load_medmnist3d("organmnist3d", folder=tmp_path / "cache", mirrors=["file:///nonexistent/{file}", url])
    assert "MD5 verified" in capsys.readouterr().out
    assert [len(data.split[s]) for s in ("train", "val", "test")] == [4, 2, 3]
    x, y = data.part("val")
    assert x.shape == (2, 1, 5, 5, 5) and x.dtype == torch.float32 and x.max() <= 1.0
    np.testing.assert_array_equal(y.numpy(), arrays["val_labels"].ravel())
    np.testing.assert_array_equal(data.images[data.split["test"]], arrays["test_images"])
    again = M.load_medmnist3d("organmnist3d", folder=tmp_path / "cache", mirrors=[], verbose=False)  # cached
    np.testing.assert_array_equal(again.images, data.images)
    assert data.n_classes <= 11


def test_wrong_checksum_is_refused(tmp_path, mirror, monkeypatch):
    url, _ = mirror
    monkeypatch.setitem(M.MEDMNIST3D_FILES, "organmnist3d", ("organmnist3d.npz", "0" * 32))
    with pytest.raises(CorruptFileError, match="expected 0000"):
        M.download_medmnist3d("organmnist3d", tmp_path / "cache", mirrors=[url], verbose=False)
    assert not list((tmp_path / "cache").glob("*.part"))


def test_offline_download_gives_a_clear_error(tmp_path, monkeypatch):
    import urllib.error

    def no_network(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(DownloadError, match="needs internet"):
        M.load_medmnist3d("nodulemnist3d", folder=tmp_path, verbose=False)


def test_corrupt_archives_are_named(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(CorruptFileError, match="not a readable .npz"):
        M.read_medmnist_npz(tmp_path / "junk.npz")
    np.savez(tmp_path / "partial.npz", train_images=np.zeros((1, 2, 2, 2), np.uint8))
    with pytest.raises(CorruptFileError, match="lacks the array"):
        M.read_medmnist_npz(tmp_path / "partial.npz")
    arrays = {f"{s}_{k}": np.zeros((2, 3, 3, 3) if k == "images" else (2, 1), np.uint8)
              for s in ("train", "val", "test") for k in ("images", "labels")}
    arrays["val_labels"] = np.zeros((3, 1), np.uint8)
    np.savez(tmp_path / "mismatch.npz", **arrays)
    with pytest.raises(CorruptFileError, match="one label each"):
        M.read_medmnist_npz(tmp_path / "mismatch.npz")


def test_official_sources_are_configured():
    assert set(M.MEDMNIST3D_FILES) == {"organmnist3d", "nodulemnist3d", "synapsemnist3d"}
    for file_name, md5 in M.MEDMNIST3D_FILES.values():
        assert re.fullmatch(r"[0-9a-f]{32}", md5) and file_name.endswith(".npz")
    assert M.MEDMNIST3D_MIRRORS[0].startswith("https://zenodo.org/records/")
    with pytest.raises(ValueError, match="unknown MedMNIST3D subset"):
        M.download_medmnist3d("pathmnist", "/tmp")
