"""Training the rotated-MNIST classifiers: the escnn SO(2) classifier and the augmentation CNN.

Command line::

    python -m eqrep train so2-classifier --config default --out data/runs/so2 --ship so2_classifier
    python -m eqrep train so2-classifier --config cnn --out data/runs/cnn --ship so2_classifier_cnn
    python -m eqrep train so2-classifier --config paper --out data/runs/so2_paper   # full MNIST, a GPU

Both models see every training digit at a fresh random angle in every epoch (rotation
augmentation; :func:`eqrep.data.mnist.rotate_digits`). A tenth of the training split is held out
(rotated once, seeded) to pick the best epoch; the test split is rotated once with a fixed seed
and reported for the best model in the manifest (``test_accuracy``). ``default`` (SO(2)) and
``cnn`` use the offline 5,000-digit sample and finish on a 2-core CPU in minutes; ``paper`` and
``cnn-paper`` are the full MNIST download with Hansen et al.'s App. D settings (lr 0.01, batch
128, 100 epochs; the paper does not name the optimiser, we use Adam) for a GPU. The learning
rate decays along a half cosine over the epochs (``cosine_decay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from eqrep.actions import rotate_digits
from eqrep.data.mnist import MNIST, load_mnist
from eqrep.device import seed_everything
from eqrep.models.so2_classifier import RotationCNN, SO2Classifier
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest
from eqrep.train.loop import Experiment, fit
from eqrep.train.metrics import evaluate_classifier
from eqrep.train.schedules import cosine_lr

__all__ = ["SYSTEM", "ClassifierTrainConfig", "CONFIGS", "MODELS", "TEST_ROTATION_SEED", "rotated_split",
           "ClassifierExperiment", "experiment", "train_classifier", "evaluate", "load_classifier", "ship_name"]

SYSTEM = "so2-classifier"
MODELS = {"so2": SO2Classifier, "cnn": RotationCNN}
TEST_ROTATION_SEED = 12345  # the angles of the rotated test set used everywhere in the book


@dataclass(frozen=True)
class ClassifierTrainConfig:
    """Hyper-parameters of a classifier run (``model``: ``"so2"`` or ``"cnn"``)."""

    model: str = "so2"
    source: str = "offline"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    cosine_decay: bool = True  # learning rate lr * (1 + cos(pi * epoch / epochs)) / 2, set per epoch
    val_fraction: float = 0.1
    max_train: int | None = None  # use only this many training digits (tests, demonstrations)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"unknown model '{self.model}'; choose from {sorted(MODELS)}")


CONFIGS = {
    # ~20 s per epoch on 2 CPU cores (3,600 digits): ~10 minutes
    "default": ClassifierTrainConfig(model="so2"),
    # Hansen et al. (2024), App. D: lr 0.01, batch 128, 100 epochs, full MNIST (a GPU)
    "paper": ClassifierTrainConfig(model="so2", source="full", epochs=100, batch_size=128, lr=0.01),
    "tiny": ClassifierTrainConfig(model="so2", epochs=1, max_train=128, batch_size=32),
    "cnn": ClassifierTrainConfig(model="cnn"),
    "cnn-paper": ClassifierTrainConfig(model="cnn", source="full", epochs=30, batch_size=128),
    "cnn-tiny": ClassifierTrainConfig(model="cnn", epochs=1, max_train=128, batch_size=32),
}


def rotated_split(data: MNIST, part: str, seed: int = TEST_ROTATION_SEED
                  ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """One split of MNIST, each digit rotated by its own seeded random angle.

    Returns:
        Images ``(N, 1, 29, 29)``, labels ``(N,)`` and angles ``(N,)`` in radians.
    """
    images, labels = data.part(part)
    rotated, angles = rotate_digits(images, seed=seed)
    return rotated, torch.as_tensor(labels), angles


evaluate = evaluate_classifier  # mean cross-entropy and accuracy, see eqrep.train.metrics


def _train_mode_state(model: torch.nn.Module) -> dict:
    """The weights in training mode. escnn's convolutions hold their expanded filters only in eval
    mode; saving and loading both in training mode keeps checkpoints small (weights only) and
    consistent (the filters are rebuilt from the weights by ``model.eval()``)."""
    was_training = model.training
    model.train()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train(was_training)
    return state


def _load_train_mode_state(model: torch.nn.Module, state: dict, where: Path | str) -> None:
    was_training = model.training
    model.train()
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{where} does not fit {type(model).__name__}: {err}") from err
    model.train(was_training)


class ClassifierExperiment(Experiment):
    """Cross-entropy on freshly rotated training digits; validation accuracy selects ``best.pt``."""

    system, unit, monitor, mode = "so2_classifier", "images", "val_accuracy", "max"

    def __init__(self, config: ClassifierTrainConfig, data: MNIST | None = None) -> None:
        self.config = config
        self.data = data or load_mnist(config.source)
        seed_everything(config.seed)
        self.model = MODELS[config.model]()
        images, labels = self.data.part("train")
        order = np.random.default_rng(config.seed).permutation(len(images))
        n_val = int(round(config.val_fraction * len(images)))
        train = order[n_val:] if config.max_train is None else order[n_val:][:config.max_train]
        self.train_images, self.train_y = images[train], torch.as_tensor(labels[train])
        self.val_x = rotate_digits(images[order[:n_val]], seed=config.seed + 1)[0]
        self.val_y = torch.as_tensor(labels[order[:n_val]])
        self.data_source, self.device, self.train_x = self.data.source, torch.device("cpu"), None

    def start_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        if self.config.cosine_decay:  # a function of the epoch only, so resuming needs no scheduler state
            cosine_lr(optimizer, self.config.lr, epoch, self.config.epochs)

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        """Index tensors ``(batch_size,)`` into the digits, freshly rotated for this epoch."""
        # augmentation: every digit at a fresh random angle in every epoch (seeded per epoch)
        seed = self.config.seed * 100_003 + epoch
        self.train_x, _ = rotate_digits(self.train_images, seed=seed + 1_000)
        order = torch.randperm(len(self.train_x), generator=torch.Generator().manual_seed(seed))
        return list(order.split(self.config.batch_size))

    def training_step(self, batch: torch.Tensor, epoch: int) -> dict[str, torch.Tensor]:
        """Cross-entropy and accuracy (scalars) of the digits ``batch`` ``(B,)``."""
        idx = self.shard(batch)
        x, y = self.train_x[idx].to(self.device), self.train_y[idx].to(self.device)
        logits = self.model(x)
        return {"loss": F.cross_entropy(logits.float(), y), "accuracy": (logits.argmax(1) == y).float().mean()}

    def evaluate(self, epoch: int) -> dict[str, float]:
        return {f"val_{k}": v for k, v in evaluate(self.model, self.val_x, self.val_y, device=self.device).items()}

    def weights(self) -> dict[str, Any]:
        return {"model": _train_mode_state(self.model)}

    def load_weights(self, state: dict[str, Any]) -> None:
        _load_train_mode_state(self.model, state["model"], "checkpoint")

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "model": self.config.model, "train_size": len(self.train_images),
                "val_size": len(self.val_y)}

    def finish(self, out_dir: Path) -> dict[str, Any]:
        best, _ = load_classifier(out_dir, device=self.device)
        test_x, test_y, _ = rotated_split(self.data, "test")
        return {"test_accuracy": evaluate(best, test_x, test_y, device=self.device)["accuracy"],
                "test_rotation_seed": TEST_ROTATION_SEED}


def experiment(config: ClassifierTrainConfig, data: MNIST | None = None) -> ClassifierExperiment:
    """The experiment :func:`~eqrep.train.loop.fit` runs for ``config`` (the command line's entry)."""
    return ClassifierExperiment(config, data)


def train_classifier(config: ClassifierTrainConfig, out_dir: Path | str, data: MNIST | None = None,
                     **fit_options) -> dict:
    """Train (or resume) a rotated-MNIST classifier; returns the manifest (``fit_options``: :func:`fit`'s)."""
    return fit(ClassifierExperiment(config, data), out_dir, **fit_options)


def load_classifier(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                    ) -> tuple[torch.nn.Module, dict]:
    """Load a trained classifier from a run folder; returns ``(model in eval mode, manifest)``."""
    path = Path(run_dir) / f"{which}.pt"
    state = load_checkpoint(path, map_location=device)
    model = MODELS[state["config"]["model"]]().to(device)
    _load_train_mode_state(model, state["model"], path)
    return model.eval(), read_manifest(run_dir)


def ship_name(config: ClassifierTrainConfig) -> str:
    """The shipped checkpoint's name for ``--ship`` without a name."""
    return "so2_classifier" if config.model == "so2" else "so2_classifier_cnn"
