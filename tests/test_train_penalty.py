"""Training the penalty model and the CNN baselines on DDMNIST: checkpoints, resume, sweep, metrics."""

import dataclasses

import numpy as np
import pytest
import torch

from eqrep.actions import act_on_pairs, pair_group
from eqrep.analysis.penalty import latent_equivariance
from eqrep.data.ddmnist import make_ddmnist
from eqrep.data.mnist import MNIST
from eqrep.models.penalty import PenaltyCNN
from eqrep.train.checkpoints import CheckpointError
from eqrep.train.penalty import CONFIGS, PAPER_HYPERPARAMETERS, evaluate, load_penalty_model, make_config, train_penalty
from eqrep.train.penalty_sweep import collect, load_sweep_model, summarise_sweep


def _bar_mnist(n_train=6, n_test=3, seed=0):
    """Digits whose class is the length of a bar (plus noise): learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.repeat(np.arange(10), n_train), np.repeat(np.arange(10), n_test)])
    images = rng.integers(0, 40, (len(labels), 28, 28), dtype=np.uint8)
    for i, y in enumerate(labels):
        images[i, 6:10, 4:6 + 2 * y] = 255
    split = {"train": np.arange(10 * n_train), "test": np.arange(10 * n_train, len(labels))}
    return MNIST(images, labels.astype(np.int64), split, source="bar digits")


@pytest.fixture(scope="module")
def data():
    return make_ddmnist("D1", per_class=(1, 1, 1), mnist=_bar_mnist(), seed=0, verbose=False)


def _config(model="penalty", **changes):
    return make_config("tiny", "D1", model, **{"max_train": 48, "batch_size": 16, **changes})


def test_configs_follow_the_paper():
    assert PAPER_HYPERPARAMETERS[("C4", "penalty")] == (1e-3, 2.0)
    assert PAPER_HYPERPARAMETERS[("D4", "penalty")] == (5e-4, 1.0)
    assert make_config("paper", "C4", "penalty").resolved() == (1e-3, 2.0)
    assert make_config("paper", "C4", "cnn_aug").resolved() == (5e-4, 0.0)  # no penalty for the CNNs
    assert make_config("default", "D4", "penalty").resolved() == (1e-3, 1.0)  # one lr on the CPU budget
    assert make_config("default", "C4", "cnn").resolved() == (1e-3, 0.0)
    assert make_config("default", "D1", "penalty", weight=3.0, lr=1e-2).resolved() == (1e-2, 3.0)
    assert CONFIGS["paper"].source == "full" and CONFIGS["paper"].batch_size == 256
    assert CONFIGS["default"].shifted_on == "latent"  # the seeds README's reading; "input" is the other
    assert make_config("default", "D4", "penalty", shifted_on="input").shifted_on == "input"
    with pytest.raises(ValueError, match="unknown shifted_on 'output'"):
        make_config("default", "D4", "penalty", shifted_on="output")
    assert CONFIGS["default"].per_class == (100, 20, 50) and CONFIGS["default"].source == "offline"


@pytest.mark.parametrize("model", ["penalty", "cnn_aug", "cnn"])
def test_training_writes_checkpoints_manifest_and_metrics(data, tmp_path, model):
    manifest = train_penalty(_config(model), tmp_path, data=data, progress=False, n_equivariance=40)
    assert {"best.pt", "last.pt", "manifest.json"} <= {p.name for p in tmp_path.iterdir()}
    assert manifest["model"] == model and manifest["group"] == "D1" and manifest["epochs_done"] == 1
    assert manifest["train_size"] == 48 and manifest["val_size"] == 100 and manifest["test_size"] == 100
    assert manifest["parameters"] == 33_742  # the same network for all three
    assert manifest["latent"] == "16 x regular(D_1xD_1) + 2 x trivial"
    assert 0.0 <= manifest["test_accuracy"] <= 1.0
    assert manifest["test_equivariance"]["relative_error"] >= 0
    record = manifest["history"][0]
    assert (record.get("train_equivariance", 0.0) > 0) == (model == "penalty")
    assert ("train_accuracy" in record) == (model != "penalty")
    loaded, config = load_penalty_model(tmp_path)
    assert config["model"] == model and not loaded.training
    assert evaluate(loaded, *data.part("test"))["accuracy"] == manifest["test_accuracy"]


@pytest.mark.parametrize("stop", [2, 4])  # inside epoch 1, inside epoch 2 (3 steps per epoch)
def test_resumed_run_equals_uninterrupted_run(data, tmp_path, stop):
    config = _config("penalty", epochs=2)
    full = train_penalty(config, tmp_path / "a", data=data, progress=False, n_equivariance=8)
    part = train_penalty(config, tmp_path / "b", data=data, progress=False, max_steps=stop, n_equivariance=8)
    assert part["interrupted_at"] == stop
    manifest = train_penalty(config, tmp_path / "b", data=data, progress=False, n_equivariance=8)
    assert manifest["epochs_done"] == 2 and manifest["test_accuracy"] == full["test_accuracy"]
    a, _ = load_penalty_model(tmp_path / "a", which="last")
    b, _ = load_penalty_model(tmp_path / "b", which="last")
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    with pytest.raises(CheckpointError, match="another config"):
        train_penalty(dataclasses.replace(config, lr=0.5), tmp_path / "b", data=data, progress=False)


def test_checkpoints_from_before_a_new_field_resume_with_its_default(data, tmp_path):
    config = _config("penalty", epochs=2)
    train_penalty(config, tmp_path, data=data, progress=False, max_steps=2, n_equivariance=8)
    state = torch.load(tmp_path / "last.pt", weights_only=False)
    del state["config"]["shifted_on"]  # as written before the field existed
    torch.save(state, tmp_path / "last.pt")
    with pytest.raises(CheckpointError, match="another config"):
        train_penalty(dataclasses.replace(config, shifted_on="input"), tmp_path, data=data, progress=False)
    assert train_penalty(config, tmp_path, data=data, progress=False, n_equivariance=8)["epochs_done"] == 2


def test_early_stopping_stops_and_stays_stopped(data, tmp_path):
    config = _config("cnn", epochs=6, patience=1, lr=1e-6, max_train=16)  # a tiny lr: no progress
    manifest = train_penalty(config, tmp_path, data=data, progress=False, n_equivariance=8)
    assert manifest["early_stopped"] and manifest["epochs_done"] < 6
    again = train_penalty(config, tmp_path, data=data, progress=False, n_equivariance=8)
    assert again["epochs_done"] == manifest["epochs_done"]


def test_the_penalty_term_shrinks_with_its_weight(data, tmp_path):
    """Same data, seed and steps: a large lambda drives the latent equivariance term down."""
    changes = {"epochs": 3, "max_train": 48, "lr": 3e-3}
    terms = {}
    for weight in (0.0, 20.0):
        m = train_penalty(_config("penalty", weight=weight, **changes), tmp_path / str(weight), data=data,
                          progress=False, n_equivariance=8)
        terms[weight] = m["history"][-1]["train_equivariance"]
        assert m["weight"] == weight
    assert terms[20.0] < 0.7 * terms[0.0]


class _Lifted(torch.nn.Module):
    """``f(x)_(c, h) = tanh(<t_c, rho_X(h)^-1 x>)``: exactly equivariant to the regular
    representation of ``C_4 x C_4``; 4 templates give 4 copies, plus 2 invariant coordinates."""

    latent_dim = 66

    def __init__(self, shuffle=False):
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.templates = torch.nn.Parameter(torch.randn(4, 56 * 56, generator=gen) / 56)
        self.inv = torch.as_tensor(pair_group("C4").inverses)
        self.perm = torch.randperm(66, generator=gen) if shuffle else torch.arange(66)
        self.head = lambda z: z[:, :64].reshape(len(z), 4, 16).sum(2)  # an invariant head, 4 "classes"

    def encode(self, x):
        cols = [act_on_pairs(x, "C4", self.inv[h].expand(len(x))).flatten(1) @ self.templates.T for h in range(16)]
        lifted = torch.tanh(torch.stack(cols, 2)).flatten(1)  # (B, 4 * 16), copy-major
        mean = x.flatten(1).mean(1, keepdim=True)
        return torch.cat([lifted, mean, mean ** 2], 1)[:, self.perm]


def test_latent_equivariance_is_zero_exactly_for_an_equivariant_encoder():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(12, 1, 56, 56, generator=gen)
    g = torch.randint(16, (12,), generator=gen)
    exact = latent_equivariance(_Lifted(), x, "C4", g)
    assert exact["relative_error"] < 1e-10 and exact["prediction_agreement"] == 1.0
    assert latent_equivariance(_Lifted(shuffle=True), x, "C4", g)["relative_error"] > 0.1
    identity = torch.zeros(12, dtype=torch.long)
    assert latent_equivariance(PenaltyCNN(), x, "C4", identity)["relative_error"] == 0.0


def test_sweep_table_bundle_and_loading(data, tmp_path):
    folders = []
    for seed in (3, 4):
        for model in ("penalty", "cnn"):
            folder = tmp_path / f"model={model},seed={seed}"
            train_penalty(_config(model, seed=seed, max_train=16), folder, data=data, progress=False, n_equivariance=8)
            folders.append(folder)
    manifest = collect(tmp_path, folders, command="python -m eqrep sweep penalty ...")
    assert len(manifest["runs"]) == 4 and manifest["shipped_seed"] == 3 and manifest["system"] == "penalty"
    assert {r["model"] for r in manifest["table"]} == {"penalty", "cnn"} and manifest["command"].endswith("...")
    row = next(r for r in manifest["table"] if r["model"] == "penalty")
    accs = [r["test_accuracy"] for r in manifest["runs"] if r["model"] == "penalty"]
    assert row["seeds"] == [3, 4] and row["test_accuracy_mean"] == pytest.approx(np.mean(accs))
    assert row["test_accuracy_std"] == pytest.approx(np.std(accs))
    model, config = load_sweep_model(tmp_path, "D1", "penalty")
    assert config["seed"] == 3 and evaluate(model, *data.part("test"))["accuracy"] == accs[0]
    with pytest.raises(CheckpointError, match="no model 'C4/penalty'"):
        load_sweep_model(tmp_path, "C4", "penalty")
    assert summarise_sweep([]) == []


def test_bad_input_is_rejected(data, tmp_path):
    with pytest.raises(ValueError, match="unknown model"):
        make_config("tiny", "D1", "mlp")
    with pytest.raises(ValueError, match="unknown group"):
        dataclasses.replace(CONFIGS["tiny"], group="C5")  # the config validates itself (--set group=C5)
    with pytest.raises(ValueError, match="unknown group"):
        make_config("tiny", "C3", "penalty")
    with pytest.raises(ValueError, match="unknown config"):
        make_config("huge")
    with pytest.raises(ValueError, match="DDMNIST-D1, the config asks for C4"):
        train_penalty(make_config("tiny", "C4"), tmp_path, data=data, progress=False)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_penalty_model(tmp_path / "missing")
    with pytest.raises(ValueError, match="at least two images"):
        latent_equivariance(PenaltyCNN(), torch.rand(1, 1, 56, 56), "C4", torch.zeros(1, dtype=torch.long))
