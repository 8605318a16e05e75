"""Sec. 4 training: the group actions on images, tiny runs of every experiment, resume, collect."""

import dataclasses

import numpy as np
import pytest
import torch

from eqrep.decompositions import irreducible_counts
from eqrep.groups import cyclic, dihedral
from eqrep.train.checkpoints import CheckpointError, load_checkpoint
from eqrep.train.latent_representation import CONFIGS, load_run, train_latent_representation
from eqrep.train.latent_representation_sweep import collect
from eqrep.train.latent_representation_tasks import EXPERIMENTS, experiment_group, make_representation, make_task

D3 = dihedral(3)


def test_experiment_groups():
    assert experiment_group("c2-typeface").order == 2 and experiment_group("c4-mnist").name == cyclic(4).name
    assert experiment_group("s3-mnist").name == D3.name
    with pytest.raises(ValueError, match="unknown experiment"):
        experiment_group("c5-cifar")


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_tiny_run_writes_checkpoints_and_a_readable_manifest(experiment, tmp_path):
    config = CONFIGS[f"{experiment}-tiny"]
    manifest = train_latent_representation(config, tmp_path, progress=False)
    assert {p.name for p in tmp_path.iterdir()} >= {"best.pt", "last.pt", "manifest.json"}
    assert [h["step"] for h in manifest["history"]] == [0, 3, 6]
    final = manifest["history"][-1]
    degrees = np.array([1, 1, 2]) if experiment == "s3-mnist" else np.ones(len(final["counts"]))
    assert np.isclose(np.array(list(final["counts"].values())) @ degrees, config.latent_dim)
    model, rep, _ = load_run(tmp_path)
    assert rep.dim == config.latent_dim and not model.training
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["extra"]["eigenvalues"].shape == (3, config.latent_dim)  # at steps 0, 3 and 6
    assert last["extra"]["eigenvalue_steps"].tolist() == [0, 3, 6]


def test_training_reduces_the_objective(tmp_path):
    config = dataclasses.replace(CONFIGS["c2-typeface-tiny"], steps=40, eval_every=40, batch_size=16)
    manifest = train_latent_representation(config, tmp_path, progress=False)
    start, end = manifest["history"][0], manifest["history"][-1]
    assert end["total"] < 0.7 * start["total"] and end["relations"] < start["relations"]


@pytest.mark.parametrize("stop", [2, 3, 4])  # inside the first evaluation period, at its end, inside the second
def test_resume_gives_the_uninterrupted_run_and_refuses_another_config(tmp_path, stop):
    config = CONFIGS["c4-mnist-tiny"]
    task = make_task(config)
    full = train_latent_representation(config, tmp_path / "full", progress=False)
    first = train_latent_representation(config, tmp_path / "split", progress=False, max_steps=stop)
    assert load_checkpoint(tmp_path / "split" / "last.pt")["step"] == stop and first["interrupted_at"] == stop
    second = train_latent_representation(config, tmp_path / "split", progress=False, task=task)
    assert second["seconds"] > first["seconds"] > 0  # time accumulates over resumes
    a = load_checkpoint(tmp_path / "full" / "last.pt")
    b = load_checkpoint(tmp_path / "split" / "last.pt")
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert torch.equal(a["representation"]["generators"], b["representation"]["generators"])
    assert torch.equal(a["extra"]["eigenvalues"], b["extra"]["eigenvalues"])
    assert [h["total"] for h in full["history"]] == [h["total"] for h in second["history"]]
    with pytest.raises(CheckpointError, match="another config"):
        train_latent_representation(dataclasses.replace(config, lr=1e-4), tmp_path / "full", progress=False)


def test_seeds_are_collected(tmp_path):
    config = CONFIGS["c2-typeface-tiny"]
    folders = [tmp_path / f"seed={s}" for s in (0, 1)]
    for seed, folder in zip((0, 1), folders, strict=True):
        train_latent_representation(dataclasses.replace(config, seed=seed), folder, progress=False)
    summary = collect(tmp_path, folders, command="python -m eqrep sweep latent-representation ...")
    assert [r["seed"] for r in summary["runs"]] == [0, 1] and summary["command"].endswith("...")
    runs = load_checkpoint(tmp_path / "best.pt")["runs"]
    assert not torch.equal(runs["seed=0"]["generators"], runs["seed=1"]["generators"])  # seeds differ
    assert runs["seed=1"]["eigenvalues"].shape == (3, config.latent_dim)
    _, rep, manifest = load_run(tmp_path)
    torch.testing.assert_close(rep.generators.detach(), runs["seed=0"]["generators"])
    assert [r["name"] for r in manifest["runs"]] == ["seed=0", "seed=1"]


def test_exact_starting_representations_and_their_summary(tmp_path):
    config = dataclasses.replace(CONFIGS["c2-typeface-tiny"], steps=3, eval_every=3)
    folders = []
    for mults in ((6, 0), (2, 4)):
        folders.append(tmp_path / f"init_multiplicities={mults[0]},{mults[1]}")
        train_latent_representation(dataclasses.replace(config, init_multiplicities=mults), folders[-1],
                                    progress=False)
    summary = collect(tmp_path, folders, keep_model=False)
    starts = {r["name"]: r for r in summary["runs"]}
    assert starts["init_multiplicities=6,0"]["counts_at_init"] == {"trivial": 6.0, "-1": 0.0}
    assert starts["init_multiplicities=2,4"]["counts_at_init"] == {"trivial": 2.0, "-1": 4.0}
    assert starts["init_multiplicities=2,4"]["init_multiplicities"] == [2, 4]
    assert "model" not in load_checkpoint(tmp_path / "best.pt")
    s3 = dataclasses.replace(CONFIGS["s3-mnist-tiny"], init_multiplicities=(0, 2, 2))
    rep = make_representation(s3, dihedral(3)).to_representation()
    assert rep.defect() < 1e-5  # an exact representation, in a random basis
    np.testing.assert_allclose(list(irreducible_counts(rep).values()), [0, 2, 2], atol=1e-5)
    with pytest.raises(ValueError, match="add up to dimension 6"):
        make_representation(dataclasses.replace(s3, init_multiplicities=(1, 1, 1)), dihedral(3))
