"""SVHN loader, exercised on small fixtures written in the official .mat format (scipy.io.savemat)
and served from local file:// mirrors (no internet needed)."""

import re
import urllib.error

import numpy as np
import pytest
import scipy.io

from eqrep.data import svhn as S
from eqrep.data.download import CorruptFileError, DownloadError, sha256_of


def _write_mat(path, n, seed, labels=None):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (32, 32, 3, n), dtype=np.uint8)  # SVHN's layout: (H, W, C, N)
    y = (rng.integers(1, 11, n) if labels is None else np.asarray(labels)).reshape(n, 1)  # 10 means the digit 0
    scipy.io.savemat(path, {"X": x, "y": y})
    return x, y.reshape(-1)


def _fixture_mirror(tmp_path, corrupt=None):
    src = tmp_path / "mirror"
    src.mkdir()
    arrays = {"train": _write_mat(src / "train_32x32.mat", 7, 0, labels=[10, 1, 2, 10, 9, 5, 3]),
              "test": _write_mat(src / "test_32x32.mat", 4, 1)}
    files = {name: (file, sha256_of(src / file)) for name, (file, _) in S.SVHN_FILES.items()}
    if corrupt:
        (src / S.SVHN_FILES[corrupt][0]).write_bytes(b"tampered")
    return src.as_uri() + "/", files, arrays


def test_fixture_loads_channels_first_with_labels_mapped(tmp_path, monkeypatch, capsys):
    mirror, files, arrays = _fixture_mirror(tmp_path)
    monkeypatch.setattr(S, "SVHN_FILES", files)  # the fixtures' checksums instead of the official ones
    data = S.load_svhn(folder=tmp_path / "cache", mirrors=["file:///nonexistent/", mirror])
    assert "SHA-256 verified" in capsys.readouterr().out
    assert data.images.shape == (11, 3, 32, 32) and data.images.dtype == np.uint8
    train_x, train_y = data.part("train")
    assert train_y.tolist() == [0, 1, 2, 0, 9, 5, 3] and train_y.dtype == np.int64  # '10' -> 0
    x, _ = arrays["train"]
    np.testing.assert_array_equal(train_x[4, 2, 5, 7], x[5, 7, 2, 4])  # image n, channel c, row h, column w
    test_x, test_y = data.part("test")
    np.testing.assert_array_equal(test_y, arrays["test"][1] % 10)
    np.testing.assert_array_equal(test_x, arrays["test"][0].transpose(3, 2, 0, 1))
    # verified files are reused: no mirror is needed a second time
    again = S.load_svhn(folder=tmp_path / "cache", mirrors=[], verbose=False)
    np.testing.assert_array_equal(again.images, data.images)


def test_wrong_checksum_is_refused(tmp_path, monkeypatch):
    mirror, files, _ = _fixture_mirror(tmp_path, corrupt="test")
    monkeypatch.setattr(S, "SVHN_FILES", files)
    with pytest.raises(CorruptFileError, match="expected"):
        S.load_svhn(folder=tmp_path / "cache", mirrors=[mirror], verbose=False)
    assert not list((tmp_path / "cache").glob("*.part"))


def test_invalid_mat_files_are_corrupt(tmp_path):
    (tmp_path / "junk.mat").write_bytes(b"not a MATLAB file" * 20)
    with pytest.raises(CorruptFileError, match="not a readable MATLAB file"):
        S.read_svhn_mat(tmp_path / "junk.mat")
    scipy.io.savemat(tmp_path / "keys.mat", {"images": np.zeros(3)})
    with pytest.raises(CorruptFileError, match="lacks the SVHN arrays"):
        S.read_svhn_mat(tmp_path / "keys.mat")
    _write_mat(tmp_path / "zero.mat", 3, 0, labels=[0, 1, 2])
    with pytest.raises(CorruptFileError, match="labels lie in 1..10"):
        S.read_svhn_mat(tmp_path / "zero.mat")
    scipy.io.savemat(tmp_path / "shape.mat", {"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1))})
    with pytest.raises(CorruptFileError, match=r"\(32, 32, 3, N\)"):
        S.read_svhn_mat(tmp_path / "shape.mat")


def test_offline_download_gives_a_clear_error(tmp_path, monkeypatch):
    def no_network(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(DownloadError, match="could not download SVHN.*uses MNIST by default"):
        S.load_svhn(folder=tmp_path, verbose=False)


def test_checksum_tables_are_well_formed():
    assert set(S.SVHN_FILES) == set(S.SVHN_MD5) == set(S.SVHN_SIZES) == {"train", "test"}
    for name, (file, sha) in S.SVHN_FILES.items():
        assert file == f"{name}_32x32.mat" and re.fullmatch(r"[0-9a-f]{64}", sha)
        assert re.fullmatch(r"[0-9a-f]{32}", S.SVHN_MD5[name])
