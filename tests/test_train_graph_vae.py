import dataclasses
import json

import numpy as np
import pytest
import torch

from eqrep.data.qm9 import QM9, smiles_to_dense
from eqrep.models.graph_vae import GraphVAEConfig
from eqrep.train.checkpoints import CheckpointError, atomic_write_bytes, load_checkpoint, save_checkpoint
from eqrep.train.graph_vae import CONFIGS, TrainConfig, load_graph_vae, train_graph_vae

SMILES = ["C=CC#N", "c1ccoc1", "CC(O)CN", "OC1CC1F", "CCOC(=O)C", "N#CC1CC1", "CCO", "CC(C)=O"] * 4


@pytest.fixture
def tiny_qm9():
    pairs = [smiles_to_dense(s) for s in SMILES]
    n = len(SMILES)
    return QM9(nodes=np.stack([p[0] for p in pairs]), edges=np.stack([p[1] for p in pairs]),
               properties=np.zeros((n, 12), np.float32), smiles=np.array(SMILES),
               split={"train": np.arange(24), "val": np.arange(24, 32), "test": np.arange(24, 32)},
               source="test molecules")


CONFIG = TrainConfig(model=GraphVAEConfig(hidden=8), epochs=2, batch_size=8, lr=3e-3)


def test_training_writes_checkpoints_and_manifest(tiny_qm9, tmp_path):
    manifest = train_graph_vae(CONFIG, tmp_path, data=tiny_qm9, device="cpu", progress=False)
    assert {p.name for p in tmp_path.iterdir()} == {"last.pt", "best.pt", "manifest.json"}
    assert manifest["epochs_done"] == 2 and len(manifest["history"]) == 2
    assert manifest["config"] == dataclasses.asdict(CONFIG) and manifest["system"] == "graph_vae"
    assert manifest["data_source"] == "test molecules" and manifest["commit"]
    assert (manifest["train_size"], manifest["val_size"]) == (24, 8) and manifest["history"][0]["graphs_per_second"] > 0
    assert np.isfinite(manifest["best_val_loss"])
    model, _ = load_graph_vae(tmp_path)
    assert sum(p.numel() for p in model.parameters()) > 0 and not model.training


def test_resume_continues_where_it_stopped(tiny_qm9, tmp_path):
    train_graph_vae(dataclasses.replace(CONFIG, epochs=1), tmp_path, data=tiny_qm9, device="cpu", progress=False)
    with pytest.raises(CheckpointError, match="another config"):
        train_graph_vae(dataclasses.replace(CONFIG, lr=1.0), tmp_path, data=tiny_qm9, device="cpu",
                        progress=False)
    first = load_checkpoint(tmp_path / "last.pt")
    manifest = train_graph_vae(dataclasses.replace(CONFIG, epochs=1), tmp_path, data=tiny_qm9, device="cpu",
                               progress=False)
    assert manifest["epochs_done"] == 1  # nothing left to do
    state = load_checkpoint(tmp_path / "last.pt")
    assert state["step"] == first["step"] and state["epoch"] == 1


@pytest.mark.parametrize("stop", [2, 3, 4])  # inside epoch 1, at its end, inside epoch 2
def test_resumed_run_equals_uninterrupted_run(tiny_qm9, tmp_path, stop):
    full = train_graph_vae(CONFIG, tmp_path / "full", data=tiny_qm9, device="cpu", progress=False)
    part = train_graph_vae(CONFIG, tmp_path / "split", data=tiny_qm9, device="cpu", progress=False, max_steps=stop)
    assert part["interrupted_at"] == stop
    resumed = train_graph_vae(CONFIG, tmp_path / "split", data=tiny_qm9, device="cpu", progress=False)
    a = load_checkpoint(tmp_path / "full" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "split" / "last.pt")["model"]
    assert resumed["epochs_done"] == full["epochs_done"] == 2
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert [h["val_loss"] for h in full["history"]] == [h["val_loss"] for h in resumed["history"]]


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")

    with pytest.raises(TypeError):
        atomic_write_bytes(target, object())  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_corrupt_checkpoint_and_manifest_errors(tmp_path):
    (tmp_path / "best.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(tmp_path / "best.pt")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    save_checkpoint(tmp_path / "best.pt", {"model": {}, "config": dataclasses.asdict(CONFIG)})
    (tmp_path / "manifest.json").write_text(json.dumps({}))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_graph_vae(tmp_path)


def test_configs():
    assert CONFIGS["paper"].lr == 1e-4 and CONFIGS["paper"].batch_size == 32 and CONFIGS["paper"].epochs == 1000
    assert CONFIGS["default"].batch_size == 256 and CONFIGS["default"].model.hidden == 20


def test_the_noise_of_a_step_is_drawn_for_the_whole_batch_and_can_be_given(tiny_qm9):
    from eqrep.data.qm9 import one_hot_graphs
    from eqrep.models.graph_vae import GraphVAE

    model = GraphVAE(GraphVAEConfig(hidden=8))
    nodes, edges = tiny_qm9.tensors("train")
    v, e = one_hot_graphs(nodes[:4], edges[:4])
    noise = torch.randn(4, nodes.shape[1], 1)
    out = model(v, e, noise=noise)
    torch.testing.assert_close(out.z, out.mu + noise * torch.exp(0.5 * out.logvar))
    with pytest.raises(ValueError, match="noise has shape"):
        model(v, e, noise=torch.randn(4, 3, 1))
