"""The octahedral group acting on volumes, and the MedMNIST3D loader on small fixtures
written in the official .npz format and served from local file:// mirrors."""

import itertools
import re

import numpy as np
import pytest
import torch

from eqrep.data import medmnist3d as M
from eqrep.data.mnist import CorruptFileError, DownloadError
from eqrep.groups import check_group_axioms
from eqrep.representations import character_table


def test_the_24_cube_rotations_form_a_group():
    group, mats = M.octahedral()
    assert group.order == 24 and mats.shape == (24, 3, 3)
    assert len({m.tobytes() for m in mats}) == 24  # distinct
    np.testing.assert_allclose(np.linalg.det(mats), 1.0)
    np.testing.assert_array_equal(np.einsum("gji,gjk->gik", mats, mats), np.broadcast_to(np.eye(3), (24, 3, 3)))
    for g, h in itertools.product(range(24), repeat=2):  # closure, and the table is the matrix product
        np.testing.assert_array_equal(mats[g] @ mats[h], mats[group.mul(g, h)])
    check_group_axioms(group)
    eye = np.eye(3, dtype=np.int64)
    for word in group.relations:  # a^4 = b^3 = (ab)^2 = 1
        m = eye
        for k in word:
            m = m @ mats[group.generators[k]]
        np.testing.assert_array_equal(m, eye)
    # all signed permutation matrices of determinant 1 -- and the group is S_4
    signed = [np.diag(s) @ np.eye(3)[list(p)] for p in itertools.permutations(range(3))
              for s in itertools.product((1, -1), repeat=3)]
    assert {m.astype(int).tobytes() for m in signed if np.linalg.det(m) > 0} == {m.tobytes() for m in mats}
    assert sorted(len(c) for c in group.conjugacy_classes) == [1, 3, 6, 6, 8]
    assert sorted(character_table(group).degrees.tolist()) == [1, 1, 2, 3, 3]


def test_a_voxel_moves_to_the_rotated_position():
    group, mats = M.octahedral()
    n = 5
    centre = (n - 1) / 2
    pos = np.array([0, 1, 4])
    vol = torch.zeros(n, n, n)
    vol[tuple(pos)] = 1.0
    for m in mats:
        out = M.rotate_volume(vol, m)
        target = np.rint(m @ (pos - centre) + centre).astype(int)
        assert out[tuple(target)] == 1.0 and out.sum() == 1.0


def test_volume_action_is_a_homomorphism_and_the_quarter_turn_is_rot90():
    group, mats = M.octahedral()
    vol = torch.rand(2, 4, 4, 4, generator=torch.Generator().manual_seed(0))
    for g, h in [(1, 2), (5, 7), (23, 11), (3, 3)]:
        torch.testing.assert_close(M.rotate_volume(M.rotate_volume(vol, mats[h]), mats[g]),
                                   M.rotate_volume(vol, mats[group.mul(g, h)]), atol=0, rtol=0)
    a = mats[group.generators[0]]
    torch.testing.assert_close(M.rotate_volume(vol, a), torch.rot90(vol, 1, dims=(-2, -1)))
    torch.testing.assert_close(M.rotate_volume(vol, np.eye(3)), vol)
    g = torch.tensor([4, 17])
    batched = M.act_on_volumes(vol[:, None], g, mats)
    for b in range(2):
        torch.testing.assert_close(batched[b, 0], M.rotate_volume(vol[b], mats[g[b]]))


def test_rotation_input_checks():
    with pytest.raises(ValueError, match="signed permutation"):
        M.rotate_volume(torch.zeros(3, 3, 3), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"\(\.\.\., n, n, n\)"):
        M.rotate_volume(torch.zeros(3, 3, 4), np.eye(3))
    with pytest.raises(ValueError, match="one group element per volume"):
        M.act_on_volumes(torch.zeros(2, 1, 3, 3, 3), torch.tensor([0]), M.octahedral()[1])


def _write_fixture(path, n=(4, 2, 3), size=5, classes=11, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {}
    for s, k in zip(("train", "val", "test"), n):
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
