"""EquiVAE training: checkpoints and manifest, exact resume, semi-supervised mode, the benchmark classifier."""

import dataclasses
import json

import pytest
import torch

from eqrep.analysis import equivae as P
from eqrep.analysis import equivae_tables as E
from eqrep.data.image_splits import split_labelled
from eqrep.models.equivae import EquiVAEConfig, embed_images
from eqrep.train import classifier_fit as C
from eqrep.train import equivae as T
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, save_checkpoint

MODEL = EquiVAEConfig(image_shape=(1, 12, 12), n_classes=3, filters=(4, 4, 8, 8, 8), dense=(16, 8), latent_dim=3)
CONFIG = T.TrainConfig(model=MODEL, m_max=3, epochs=2, batch_size=8, double_every=1, max_batch_size=64, lr=3e-3)
SEMI = dataclasses.replace(CONFIG, model=dataclasses.replace(MODEL, label_posterior=True), labels=15)


def _images(n, gen):
    """Three classes: a binary pattern each, 5 % of the pixels flipped."""
    templates = torch.rand(3, 1, 12, 12, generator=torch.Generator().manual_seed(0)).round()
    y = torch.arange(n) % 3
    flips = (torch.rand(n, 1, 12, 12, generator=gen) < 0.05).float()
    return (templates[y] - flips).abs(), y


@pytest.fixture
def data():
    gen = torch.Generator().manual_seed(1)
    (tx, ty), (vx, vy), (sx, sy) = _images(48, gen), _images(12, gen), _images(12, gen)
    return T.ImageData(tx, ty, vx, vy, sx, sy, source="test patterns")


def _train(config, out, data, **kw):
    return T.train_equivae(config, out, data=data, device="cpu", progress=False, **kw)


def test_training_writes_checkpoints_and_manifest(data, tmp_path):
    manifest = _train(CONFIG, tmp_path, data)
    assert {p.name for p in tmp_path.iterdir()} == {"last.pt", "best.pt", "manifest.json"}
    assert manifest["epochs_done"] == 2 and manifest["config"] == json.loads(json.dumps(dataclasses.asdict(CONFIG)))
    assert manifest["data_source"] == "test patterns" and manifest["labelled"] == 48 and manifest["commit"]
    first, second = manifest["history"]
    assert (first["batch_size"], second["batch_size"]) == (8, 16)  # doubled after one epoch
    assert (first["step"], second["step"]) == (6, 9)
    for key in ("train_reconstruction", "train_kl", "val_reconstruction", "val_kl", "val_loss", "val_accuracy"):
        assert key in second and second[key] == second[key]  # present and not NaN
    assert second["val_kl"] >= 0 and 0 <= second["val_accuracy"] <= 1
    model, _ = T.load_equivae(tmp_path)
    assert not model.training and model.config == MODEL


@pytest.mark.parametrize("config", [CONFIG, SEMI], ids=["supervised", "semi-supervised"])
def test_resumed_run_equals_uninterrupted_run(config, data, tmp_path):
    full = _train(config, tmp_path / "full", data)
    part = _train(config, tmp_path / "split", data, max_steps=4)  # stops inside the first epoch
    assert part["epochs_done"] == 0 and part["interrupted_at"] == 4
    assert load_checkpoint(tmp_path / "split" / "last.pt")["position"] == 4
    resumed = _train(config, tmp_path / "split", data)
    assert resumed["epochs_done"] == full["epochs_done"] == 2
    a = load_checkpoint(tmp_path / "full" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "split" / "last.pt")["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    drop = ("seconds", "images_per_second")
    assert [{k: v for k, v in h.items() if k not in drop} for h in full["history"]] == \
           [{k: v for k, v in h.items() if k not in drop} for h in resumed["history"]]


def test_resume_refuses_another_config_and_finished_runs_stay_finished(data, tmp_path):
    _train(dataclasses.replace(CONFIG, epochs=1), tmp_path, data)
    with pytest.raises(CheckpointError, match="another config"):
        _train(dataclasses.replace(CONFIG, epochs=1, lr=1.0), tmp_path, data)
    step = load_checkpoint(tmp_path / "last.pt")["step"]
    assert _train(dataclasses.replace(CONFIG, epochs=1), tmp_path, data)["epochs_done"] == 1
    assert load_checkpoint(tmp_path / "last.pt")["step"] == step


def test_semi_supervised_run_uses_the_labels_it_is_given(data, tmp_path):
    manifest = _train(dataclasses.replace(SEMI, epochs=1), tmp_path, data)
    assert (manifest["labelled"], manifest["unlabelled"]) == (15, 33)
    last = manifest["history"][-1]
    assert {"train_unlabelled_bound", "train_log_q", "val_label_accuracy"} <= set(last)
    assert last["train_log_q"] <= 0 and last["step"] == 5  # 33 unlabelled images in batches of 8


def test_an_epoch_draws_as_many_labelled_batches_as_the_larger_set_fills(data, tmp_path):
    seed = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    assert torch.equal(T.epoch_order(10, 4, seed()), torch.randperm(10, generator=seed()))  # one pass, as before
    order = T.epoch_order(4, 10, seed())
    assert len(order) == 10 and sorted(order[:4].tolist()) == sorted(order[4:8].tolist()) == [0, 1, 2, 3]
    assert set(order[8:].tolist()) <= {0, 1, 2, 3} and len(set(order[8:].tolist())) == 2  # a fresh order, cut
    with pytest.raises(ValueError, match="at least one image"):
        T.epoch_order(0, 3, seed())
    manifest = _train(dataclasses.replace(SEMI, labels=36, epochs=1), tmp_path, data)
    assert (manifest["labelled"], manifest["unlabelled"]) == (36, 12)
    assert manifest["history"][-1]["step"] == 5  # 36 labelled images in batches of 8, not 12 unlabelled ones


def test_warm_up_trains_on_the_labelled_bound_alone_then_adds_the_unlabelled_one(data, tmp_path, monkeypatch):
    calls = []
    real = T.unlabelled_elbo
    monkeypatch.setattr(T, "unlabelled_elbo", lambda *a, **k: calls.append(1) or real(*a, **k))  # noqa: B023
    manifest = _train(dataclasses.replace(SEMI, epochs=2, warmup_epochs=1, double_every=5), tmp_path, data)
    first, second = manifest["history"]
    assert "train_unlabelled_bound" not in first and "train_log_q" in first
    assert "train_unlabelled_bound" in second
    assert len(calls) == second["step"] - first["step"] == 5  # only the second epoch decodes unlabelled images
    with pytest.raises(ValueError, match="warmup_epochs"):
        dataclasses.replace(CONFIG, warmup_epochs=1)  # supervised: nothing to warm up for
    with pytest.raises(ValueError, match="warmup_epochs"):
        dataclasses.replace(SEMI, warmup_epochs=-1)


def test_split_labelled_is_balanced_and_disjoint():
    labels = torch.arange(30) % 3
    lab, unlab = split_labelled(labels, 9, 3, seed=0)
    assert torch.bincount(labels[lab]).tolist() == [3, 3, 3]
    assert len(unlab) == 21 and not set(lab.tolist()) & set(unlab.tolist())
    assert not torch.equal(lab, split_labelled(labels, 9, 3, seed=1)[0])  # the seed draws the labels
    lab, unlab = split_labelled(labels, None, 3, seed=0)
    assert len(lab) == 30 and len(unlab) == 0


def test_bad_configs_and_data_are_clear_errors(data, tmp_path):
    with pytest.raises(ValueError, match="multiple of the 3 classes"):
        dataclasses.replace(SEMI, labels=10)
    with pytest.raises(ValueError, match="label_posterior=True"):
        dataclasses.replace(CONFIG, labels=9)
    with pytest.raises(ValueError, match="unknown data"):
        dataclasses.replace(CONFIG, data="cifar")
    with pytest.raises(ValueError, match="at least 4 per class"):  # 6 labels: 2 per class, m_max 3
        _train(dataclasses.replace(SEMI, labels=6), tmp_path, data)
    with pytest.raises(ValueError, match="the model expects"):
        _train(dataclasses.replace(CONFIG, model=dataclasses.replace(MODEL, image_shape=(1, 28, 28))), tmp_path, data)


def test_batch_size_doubles_on_schedule():
    sizes = [C.batch_size_at(e, 32, 10, 256) for e in range(45)]
    assert sizes[:10] == [32] * 10 and sizes[10] == 64 and sizes[20] == 128 and sizes[30:] == [256] * 15


def test_corrupt_or_mismatched_checkpoints(data, tmp_path):
    (tmp_path / "best.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="unreadable"):
        T.load_equivae(tmp_path)
    save_checkpoint(tmp_path / "best.pt", {"model": {}, "config": dataclasses.asdict(CONFIG)})
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(CheckpointError, match="does not fit"):
        T.load_equivae(tmp_path)


def test_configs_follow_the_paper():
    paper, semi, svhn = T.CONFIGS["paper"], T.CONFIGS["paper-semi"], T.CONFIGS["paper-svhn"]
    assert (paper.batch_size, paper.m_max, paper.model.latent_dim, paper.model.dense) == (32, 7, 16, (128, 64))
    assert paper.model.filters == (8, 16, 32, 64, 64) and paper.val_size == 5000 and paper.labels is None
    assert (semi.m_max, semi.model.latent_dim, semi.model.dense, semi.labels) == (4, 8, (64, 32), 100)
    assert (svhn.m_max, svhn.model.image_shape, svhn.model.likelihood, svhn.val_size) == (10, (3, 32, 32),
                                                                                           "gaussian", 3257)
    assert T.CONFIGS["default"].data == "mnist-offline" and T.CONFIGS["default-semi"].labels == 100
    assert T.CONFIGS["default-2d"].model.latent_dim == 2


def test_offline_data_of_the_tiny_config():
    data = T.load_data(T.CONFIGS["tiny"], verbose=False)
    assert data.train_x.shape == (300, 1, 28, 28) and data.val_x.shape == (100, 1, 28, 28)
    assert data.test_x.shape == (1000, 1, 28, 28) and data.train_x.dtype == torch.float32
    assert 0 <= data.train_x.min() and data.train_x.max() <= 1
    assert torch.bincount(data.val_y).tolist() == [10] * 10 and torch.bincount(data.train_y).tolist() == [30] * 10


def test_command_line(data, tmp_path, monkeypatch, caplog):
    from eqrep.train import cli

    monkeypatch.setitem(T.CONFIGS, "tiny", dataclasses.replace(CONFIG, epochs=1))
    monkeypatch.setattr(T, "load_data", lambda config, verbose=True: data)
    out = str(tmp_path / "run")
    with caplog.at_level("INFO", logger="eqrep.train"):
        assert cli.main(["equivae", "--config", "tiny", "--out", out, "--no-progress", "--set", "model.v_dim=2",
                         "--set", "train_size=40", "--set", "seed=3"]) == 0
    assert any(r.getMessage().startswith("done: 1 epochs") for r in caplog.records)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 3 and "--set seed=3" in manifest["command"]
    assert manifest["command"].startswith("python -m eqrep train equivae --config tiny")
    assert manifest["config"]["model"]["v_dim"] == 2 and T.load_equivae(out)[0].config.v_size == 2
    assert manifest["config"]["train_size"] == 40
    with pytest.raises(SystemExit):
        cli.main(["equivae", "--config", "tiny", "--set", "labels=7", "--out", out])  # not a multiple of 3 classes


def test_benchmark_classifier_and_head_learn_the_patterns(data, tmp_path):
    config = C.ClassifierConfig(epochs=6, batch_size=8, double_every=100, lr=1e-2, dropout=0.1)
    bench, history = P.train_benchmark(MODEL, data.train_x, data.train_y, config, val=(data.val_x, data.val_y),
                                       device="cpu", progress=False)
    assert len(history) == 6 and history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    assert C.error_rate(C.predict(bench, data.test_x), data.test_y) < 0.5
    _train(dataclasses.replace(CONFIG, epochs=1), tmp_path, data)
    model, _ = T.load_equivae(tmp_path)
    classifier, history = P.train_head(model, data.train_x, data.train_y, config, progress=False)
    assert C.predict(classifier, data.test_x).shape == (12, 3) and len(history) == 6
    torch.testing.assert_close(C.error_rate(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])), 0.5)


def test_rotated_digits(monkeypatch):
    import numpy as np

    import eqrep.data.mnist as mnist

    rng = np.random.default_rng(0)
    images = np.zeros((60, 28, 28), dtype=np.uint8)
    images[:, 6:22, 12:16] = 255  # a vertical bar: its rotations are easy to recognise
    images = (images * rng.uniform(0.5, 1.0, (60, 1, 1))).astype(np.uint8)
    fake = mnist.MNIST(images, np.arange(60) % 10, {"train": np.arange(40), "test": np.arange(40, 60)}, "fake")
    monkeypatch.setattr(mnist, "load_mnist", lambda source, verbose=True: fake)
    config = dataclasses.replace(T.CONFIGS["default-rotated"], val_size=10)
    upright_config = dataclasses.replace(T.CONFIGS["default"], val_size=10)
    data, upright = T.load_data(config, verbose=False), T.load_data(upright_config, verbose=False)
    assert data.train_x.shape == (30, 1, 29, 29) and data.test_x.shape == (20, 1, 29, 29)
    assert data.source.endswith("rotated by random angles") and torch.equal(data.test_y, upright.test_y)
    from eqrep.actions import rotate_digits

    expected, angles = rotate_digits(upright.test_x[:, 0], seed=3)  # the test split's seed
    torch.testing.assert_close(data.test_x, expected)
    assert np.ptp(angles) > 1.0  # every digit has its own angle
    with pytest.raises(ValueError, match="29, 29"):
        T.TrainConfig(rotated=True)


def test_classifier_errors_and_replicates_in_the_manifest(data, tmp_path, monkeypatch):
    semi = dataclasses.replace(SEMI, labels=15, epochs=1)
    for seed in (0, 1):
        _train(dataclasses.replace(semi, seed=seed), tmp_path / f"s{seed}", data)
    model, _ = T.load_equivae(tmp_path / "s0")
    head = C.ClassifierConfig(epochs=2, batch_size=8)
    errors = P.classifier_errors(model, semi, data, head)
    assert set(errors) == {"distance", "head", "label_posterior"} and all(0 <= e <= 1 for e in errors.values())
    # the distance classifier by hand: class means of r({x}) over the 15 labelled images of seed 0
    lab, _ = split_labelled(data.train_y, 15, 3, 0)
    means = torch.stack([embed_images(model, data.train_x[lab][data.train_y[lab] == c]).mean(0) for c in range(3)])
    nearest = torch.cdist(embed_images(model, data.test_x), means).argmin(1)
    assert errors["distance"] == pytest.approx(float((nearest != data.test_y).float().mean()))
    bench = P.benchmark_errors(semi, [0, 1], head, data)
    assert len(bench) == 2 and all(0 <= e <= 1 for e in bench)

    original = json.loads((tmp_path / "s0" / "manifest.json").read_text())
    monkeypatch.setattr(E, "load_data", lambda config, verbose=True: data)
    entry = E.record_replicates(tmp_path / "s0", [tmp_path / "s1"], head, head, command="test")
    assert entry["benchmark_seeds"] == [0, 1]
    stored = json.loads((tmp_path / "s0" / "manifest.json").read_text())
    assert stored["replicates"]["seeds"] == [0, 1] and len(stored["replicates"]["distance"]) == 2
    assert stored["replicates"]["benchmark"] == entry["benchmark"] == bench  # same seeds, same numbers
    assert stored["commit"] == original["commit"] and stored["history"] == original["history"]
    assert E.record_replicates(tmp_path / "s0", [], head, head, benchmark_seeds=[1])["benchmark"] == bench[1:]
    # related runs (here: seed 1 alone, no head) stored in another run's manifest, under nested keys
    other = E.record_replicates(tmp_path / "s1", [], None, head, store_in=tmp_path / "s0", keys=("label_counts", "15"))
    stored = json.loads((tmp_path / "s0" / "manifest.json").read_text())
    assert stored["label_counts"]["15"] == other and "head" not in other and other["benchmark"] == bench[1:]
    history = json.loads((tmp_path / "s1" / "manifest.json").read_text())["history"]
    best = min(history, key=lambda h: h["val_loss"])
    assert other["best_val_loss"] == [best["val_loss"]] and other["val_accuracy_at_best"] == [best["val_accuracy"]]
    assert other["config"]["seed"] == 1 and other["train_command"] == [None] and "label_counts" not in \
        json.loads((tmp_path / "s1" / "manifest.json").read_text())
    assert stored["replicates"]["seeds"] == [0]  # the run's own replicates are left alone
    _train(dataclasses.replace(semi, seed=2, lr=1e-2), tmp_path / "other", data)
    with pytest.raises(ValueError, match="another config"):
        E.record_replicates(tmp_path / "s0", [tmp_path / "other"], head, head)
    # a control run (here: warm-up only) is evaluated like the run and stored beside its replicates
    control = dataclasses.replace(semi, warmup_epochs=1)
    for seed in (0, 1):
        _train(dataclasses.replace(control, seed=seed), tmp_path / f"control{seed}", data,
               command="python -m eqrep train equivae --set warmup_epochs=1")
    entry = E.record_control(tmp_path / "s0", [tmp_path / "control0", tmp_path / "control1"], "warm-up only",
                             which="last")
    stored = json.loads((tmp_path / "s0" / "manifest.json").read_text())
    assert stored["controls"]["warm-up only"] == entry and stored["replicates"]["seeds"] == [0]
    assert entry["seeds"] == [0, 1] and entry["epochs_done"] == [1, 1] and entry["which"] == "last"
    assert entry["command"] == "python -m eqrep train equivae --set warmup_epochs=1"
    for i, seed in enumerate((0, 1)):
        model, _ = T.load_equivae(tmp_path / f"control{seed}", "last")
        errors = P.classifier_errors(model, dataclasses.replace(control, seed=seed), data)
        assert {k: entry[k][i] for k in errors} == errors
    with pytest.raises(ValueError, match="another config"):
        E.record_control(tmp_path / "s0", [tmp_path / "control0", tmp_path / "other"], "mixed")
    (tmp_path / "control1" / "last.pt").unlink()  # `which` picks the checkpoint that is read
    assert E.record_control(tmp_path / "s0", [tmp_path / "control1"], "best", which="best")["seeds"] == [1]
    with pytest.raises(CheckpointError, match="last.pt"):
        E.record_control(tmp_path / "s0", [tmp_path / "control1"], "last", which="last")


def test_a_non_finite_loss_stops_training_with_a_clear_error(data, tmp_path, monkeypatch):
    monkeypatch.setattr(T, "supervised_loss", lambda labelled: labelled["bound"].mean() * float("nan"))
    with pytest.raises(FloatingPointError, match="at step 1"):
        _train(CONFIG, tmp_path, data)
