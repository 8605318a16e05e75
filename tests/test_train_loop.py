"""The one training loop: exact resume (also inside an epoch), best/last checkpoints, early stopping,
max_steps, the manifest schema, logging instead of printing, and clear errors."""

import dataclasses
import json
import logging

import pytest
import torch
from torch import nn

from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest, upgrade_manifest
from eqrep.train.loop import Experiment, fit


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    epochs: int = 3
    batch_size: int = 4
    lr: float = 0.05
    seed: int = 0
    noise: float = 0.1  # each step adds global-RNG noise to the targets: resume must restore it
    patience: int | None = None


class Toy(Experiment):
    """Linear regression on 10 samples; the validation loss is the monitored metric."""

    system, unit = "toy", "points"

    def __init__(self, config: ToyConfig, evaluations: list | None = None):
        self.config = config
        torch.manual_seed(config.seed)
        self.model = nn.Linear(3, 1)
        gen = torch.Generator().manual_seed(123)
        self.x = torch.randn(10, 3, generator=gen)
        self.y = self.x @ torch.tensor([[1.0], [-2.0], [0.5]])
        self.gen = torch.Generator().manual_seed(config.seed + 1)  # an experiment's own generator
        self.patience, self.evaluations = config.patience, evaluations

    def epochs(self):
        return self.config.epochs

    def epoch_batches(self, epoch):
        order = torch.randperm(10, generator=torch.Generator().manual_seed(self.config.seed * 1000 + epoch))
        return list(order.split(self.config.batch_size))

    def training_step(self, batch, epoch):
        idx = self.shard(batch)
        jitter = self.config.noise * (torch.randn(len(idx), 1) + torch.randn(len(idx), 1, generator=self.gen))
        loss = (self.model(self.x[idx]) - self.y[idx] - jitter).pow(2).mean()
        return {"loss": loss, "half": loss / 2}

    def evaluate(self, epoch):
        if self.evaluations is not None:
            return {"val_loss": self.evaluations[epoch - 1]}
        with torch.no_grad():
            return {"val_loss": float((self.model(self.x) - self.y).pow(2).mean())}

    def extra_state(self):
        return {"gen": self.gen.get_state()}

    def load_extra_state(self, state):
        self.gen.set_state(state["gen"])

    def finish(self, out_dir):
        return {"final_weight": self.model.weight.detach().tolist()}


def _weights(folder):
    return load_checkpoint(folder / "last.pt")["model"]


@pytest.mark.parametrize("stop", [1, 2, 3, 5, 7])  # inside epochs 1, 2 and 3, and at the end of epoch 1 (3 steps)
def test_a_resumed_run_equals_the_uninterrupted_run(tmp_path, stop):
    full = fit(Toy(ToyConfig()), tmp_path / "full", progress=False)
    part = fit(Toy(ToyConfig()), tmp_path / "split", progress=False, max_steps=stop)
    assert part["interrupted_at"] == stop and part["steps_done"] == stop
    resumed = fit(Toy(ToyConfig()), tmp_path / "split", progress=False)
    assert "interrupted_at" not in resumed and resumed["steps_done"] == full["steps_done"] == 9
    for key, value in _weights(tmp_path / "full").items():
        assert torch.equal(value, _weights(tmp_path / "split")[key]), key
    strip = lambda h: [{k: v for k, v in r.items() if k not in ("seconds", "points_per_second")} for r in h]  # noqa
    assert strip(full["history"]) == strip(resumed["history"])
    assert resumed["final_weight"] == full["final_weight"]


def test_the_position_inside_the_epoch_is_saved(tmp_path):
    fit(Toy(ToyConfig()), tmp_path, progress=False, max_steps=4)
    state = load_checkpoint(tmp_path / "last.pt")
    assert (state["epoch"], state["position"], state["step"]) == (1, 1, 4)  # epoch 2, after its first batch
    assert set(state["rng"]) >= {"torch", "numpy", "python"} and "gen" in state["extra"]


def test_manifest_schema_and_the_history(tmp_path):
    manifest = fit(Toy(ToyConfig()), tmp_path, progress=False, command="python -m eqrep train toy")
    for key in ("schema", "system", "config", "data_source", "device", "command", "history", "epochs_done",
                "steps_done", "monitor", "best_val_loss", "best_epoch", "early_stopped", "seconds", "commit",
                "torch", "written", "parameters", "final_weight"):
        assert key in manifest, key
    assert manifest["schema"] == 1 and manifest["system"] == "toy" and manifest["monitor"] == "val_loss"
    assert manifest["config"] == dataclasses.asdict(ToyConfig()) and manifest["parameters"] == 4
    first = manifest["history"][0]
    assert set(first) >= {"epoch", "step", "seconds", "points_per_second", "train_loss", "train_half", "val_loss"}
    assert first["train_half"] == pytest.approx(first["train_loss"] / 2)
    assert [r["step"] for r in manifest["history"]] == [3, 6, 9]  # batches of 4, 4 and 2
    assert json.loads((tmp_path / "manifest.json").read_text())["best_val_loss"] == manifest["best_val_loss"]


def test_best_checkpoint_follows_the_monitor_in_either_direction(tmp_path):
    losses = [3.0, 1.0, 2.0]
    manifest = fit(Toy(ToyConfig(), evaluations=losses), tmp_path / "min", progress=False)
    assert manifest["best_epoch"] == 2 and manifest["best_val_loss"] == 1.0
    assert load_checkpoint(tmp_path / "min" / "best.pt")["epoch"] == 2
    toy = Toy(ToyConfig(), evaluations=losses)
    toy.mode = "max"
    assert fit(toy, tmp_path / "max", progress=False)["best_epoch"] == 1


def test_early_stopping_stops_and_stays_stopped(tmp_path):
    config = dataclasses.replace(ToyConfig(epochs=10), patience=2)
    losses = [1.0, 2.0, 3.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    manifest = fit(Toy(config, losses), tmp_path, progress=False)
    assert manifest["early_stopped"] and manifest["epochs_done"] == 3 and manifest["best_epoch"] == 1
    assert fit(Toy(config, losses), tmp_path, progress=False)["epochs_done"] == 3


def test_resume_refuses_another_config_unless_told_they_are_the_same(tmp_path):
    fit(Toy(ToyConfig()), tmp_path, progress=False, max_steps=2)
    with pytest.raises(CheckpointError, match="another config"):
        fit(Toy(ToyConfig(lr=0.5)), tmp_path, progress=False)
    assert fit(Toy(ToyConfig(lr=0.5)), tmp_path, progress=False, same_config=lambda saved, c: True)["steps_done"] == 9
    assert fit(Toy(ToyConfig(lr=0.5)), tmp_path, progress=False, resume=False)["steps_done"] == 9


def test_a_non_finite_loss_is_a_clear_error(tmp_path):
    toy = Toy(ToyConfig())
    toy.training_step = lambda batch, epoch: {"loss": torch.tensor(float("nan"), requires_grad=True)}
    with pytest.raises(FloatingPointError, match="at step 1 .epoch 1.*best.pt"):
        fit(toy, tmp_path, progress=False)


def test_an_evaluation_without_the_monitor_is_a_clear_error(tmp_path):
    toy = Toy(ToyConfig())
    toy.evaluate = lambda epoch: {"val_accuracy": 1.0}
    with pytest.raises(KeyError, match="returned no 'val_loss'"):
        fit(toy, tmp_path, progress=False)


def test_messages_go_to_the_logger_not_to_stdout(tmp_path, capsys, caplog):
    fit(Toy(ToyConfig()), tmp_path, progress=False, max_steps=2)
    with caplog.at_level(logging.INFO, logger="eqrep.train"):
        fit(Toy(ToyConfig()), tmp_path, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("resuming") for m in messages) and any(m.startswith("epoch 3/3") for m in messages)


def test_no_monitor_keeps_the_last_state_and_writes_no_best(tmp_path):
    toy = Toy(ToyConfig())
    toy.monitor, toy.evaluate = None, lambda epoch: {}
    manifest = fit(toy, tmp_path, progress=False)
    assert manifest["epochs_done"] == 3 and not (tmp_path / "best.pt").exists()


def test_evaluation_at_the_start_is_recorded_but_never_the_best(tmp_path):
    toy = Toy(ToyConfig(epochs=2), evaluations=[5.0, 6.0])
    toy.evaluate_at_start = True
    toy.evaluate = lambda epoch: {"val_loss": [0.0, 5.0, 6.0][epoch]}
    manifest = fit(toy, tmp_path, progress=False)
    assert [r["epoch"] for r in manifest["history"]] == [0, 1, 2] and manifest["best_epoch"] == 1
    assert manifest["epochs_done"] == 2


def test_manifests_from_before_the_loop_are_read_in_todays_schema(tmp_path):
    old = {"model": "so2", "config": {}, "history": [], "best_val_accuracy": 0.9}
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    manifest = read_manifest(tmp_path)
    assert manifest["schema"] == 0 and manifest["system"] == "so2_classifier" and manifest["best_val_accuracy"] == 0.9
    assert upgrade_manifest({"experiment": "c2-typeface"})["system"] == "latent_representation"
    assert upgrade_manifest({"schema": 1, "system": "x"}) == {"schema": 1, "system": "x"}
