import json
import shutil

import numpy as np
import pytest

from eqrep.data.qm9 import (
    BOND_TYPES,
    NODE_TYPES,
    CorruptCacheError,
    canonical_smiles,
    dense_to_molecule,
    dense_to_smiles,
    load_qm9,
    smiles_to_dense,
)


@pytest.fixture(scope="module")
def qm9():
    return load_qm9(verbose=False)


def test_encoding_of_a_known_molecule():
    nodes, edges = smiles_to_dense("C=CC#N")  # acrylonitrile: C, C, C, N
    assert [NODE_TYPES[i] for i in nodes[:4]] == ["C", "C", "C", "N"]
    assert (nodes[4:] == NODE_TYPES.index("not-a-node")).all()
    assert BOND_TYPES[edges[0, 1]] == "double" and BOND_TYPES[edges[2, 3]] == "triple"
    assert BOND_TYPES[edges[1, 2]] == "single" and BOND_TYPES[edges[0, 3]] == "not-an-edge"
    assert (edges == edges.T).all() and (np.diag(edges) == BOND_TYPES.index("not-an-edge")).all()


def test_aromatic_rings_are_kekulized():
    nodes, edges = smiles_to_dense("c1ccoc1")  # furan
    bonds = edges[np.triu_indices(9, 1)]
    assert (bonds == BOND_TYPES.index("double")).sum() == 2 and (bonds == BOND_TYPES.index("single")).sum() == 3
    assert dense_to_smiles(nodes, edges) == canonical_smiles("c1ccoc1")


@pytest.mark.parametrize("smiles, message", [
    ("C1CC", "invalid SMILES"),
    ("not a molecule", "invalid SMILES"),
    ("CCCCCCCCCC", "10 heavy atoms"),
    ("CCCl", "contains Cl"),
])
def test_bad_smiles_give_clear_errors(smiles, message):
    with pytest.raises(ValueError, match=message):
        smiles_to_dense(smiles)


def test_decoding_rejects_invalid_graphs():
    nodes = np.array([2, 2, 2, 4, 4, 4, 4, 4, 4])  # three oxygens ...
    edges = np.full((9, 9), 3)
    edges[0, 1] = edges[1, 0] = edges[0, 2] = edges[2, 0] = 1  # ... the first with two double bonds
    assert dense_to_molecule(nodes, edges) is None
    edges = np.full((9, 9), 3)
    assert dense_to_molecule(nodes, edges) is None  # three fragments
    assert dense_to_molecule(np.full(9, 4), edges) is None  # empty


def test_full_dataset_size_split_and_properties(qm9):
    assert len(qm9) == 130_831
    sizes = {k: len(v) for k, v in qm9.split.items()}
    assert sizes == {"train": 104_664, "val": 13_083, "test": 13_084}
    joined = np.concatenate(list(qm9.split.values()))
    assert len(np.unique(joined)) == len(qm9)
    assert qm9.properties.shape == (130_831, 12) and np.isfinite(qm9.properties).all()
    assert qm9.properties[0, 1] == pytest.approx(13.21)  # methane's polarizability, bohr^3
    assert "qm9pack" in qm9.source


def test_round_trip_over_the_whole_dataset(qm9, record_property):
    agree = sum(canonical_smiles(str(s)) == dense_to_smiles(v, e)
                for s, v, e in zip(qm9.smiles, qm9.nodes, qm9.edges, strict=True))
    rate = agree / len(qm9)
    record_property("round_trip_rate", rate)
    print(f"\nQM9 round trip SMILES -> tensors -> molecule -> canonical SMILES: {agree:,}/{len(qm9):,} = {rate:.4%}")
    # the rest are zwitterions: atom types carry no formal charges
    assert rate > 0.995


def test_corrupt_cache_gives_a_clear_error(qm9, tmp_path):
    from eqrep.data.paths import data_dir

    shutil.copy(data_dir() / "qm9" / "manifest.json", tmp_path / "manifest.json")
    (tmp_path / "qm9_dense.npz").write_bytes(b"this is not an npz file")
    with pytest.raises(CorruptCacheError, match="corrupt"):
        load_qm9(tmp_path, verbose=False)
    (tmp_path / "manifest.json").write_text("{ not json")
    with pytest.raises(CorruptCacheError, match="not valid JSON"):
        load_qm9(tmp_path, verbose=False)


def test_stale_manifest_triggers_a_rebuild_decision(qm9, tmp_path, monkeypatch):
    from eqrep.data import qm9 as module
    from eqrep.data.paths import data_dir

    manifest = json.loads((data_dir() / "qm9" / "manifest.json").read_text())
    manifest["version"] = -1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    called = {}

    def fake_build(files, verbose):
        called["yes"] = True
        raise RuntimeError("rebuild requested")

    monkeypatch.setattr(module, "_build", fake_build)
    with pytest.raises(RuntimeError, match="rebuild requested"):
        load_qm9(tmp_path, verbose=False)
    assert called
