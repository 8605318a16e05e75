"""Training the regular-representation penalty model and its CNN baselines on double-digit MNIST.

Sec. 6.1 / App. C.1 of *Parameter-free approximate equivariance for tasks with finite group
symmetry* compares three ways to train the same CNN (:class:`~eqrep.models.penalty.PenaltyCNN`,
33,742 parameters) on DDMNIST (:mod:`eqrep.data.ddmnist`):

* ``"cnn"``: the plain task loss on the training pairs as built (no augmentation);
* ``"cnn_aug"``: the task loss on training pairs transformed by a fresh uniform element of
  ``G x G`` at every step (augmentation);
* ``"penalty"``: the same augmented stream, plus the shifted task loss and ``lambda`` times the
  latent equivariance penalty with ``rho_Z`` fixed to copies of the regular representation of
  ``G x G`` (:func:`eqrep.models.penalty.penalty_objective`); no parameter is added.

So ``"penalty"`` versus ``"cnn_aug"`` isolates the two extra terms (the paper's ablation). The
shifted task loss has two readings (``shifted_on``): ``"latent"``, ``l(k(rho_Z(g) f(x)), y)`` as the
seeds README writes it (the default), and ``"input"``, ``l(k(f(rho_X(g) x)), y)``, the "g-shift of
the task loss" of the paper's footnote 5; ch. 8 trains both.
Models are selected by validation accuracy (``best.pt``; optional early stopping with
``patience``) and evaluated once on the test pairs; the manifest records the test accuracy,
the parameter count and how equivariant the latent is (:func:`latent_equivariance`).

Command line::

    python -m eqrep train penalty --config default --set group=C4 --set model=penalty --out data/runs/penalty/C4
    python -m eqrep sweep penalty --config default --vary group=C4,D1,D4 --vary model=penalty,cnn_aug,cnn \\
        --vary seed=0,1 --out data/runs/penalty_sweep --ship penalty_ddmnist     # the book's Table 4
    python -m eqrep sweep penalty --config default --set shifted_on=input --vary group=C4,D1,D4 \\
        --vary model=penalty --vary seed=0,1 --out data/runs/penalty_sweep_input --ship penalty_ddmnist_input
    python -m eqrep sweep penalty --config paper --vary group=C4,D1,D4 --vary model=penalty,cnn_aug,cnn \\
        --vary seed=0,1,2,3,4 --devices 0,1,2,3 --out data/runs/penalty_paper        # GPUs, one run per GPU

``default`` is the reference code's data sizes (100 / 20 / 50 pairs per class) from the offline
MNIST sample with a short schedule that a 2-core CPU finishes in minutes per run (15 epochs,
cosine decay, learning rate 1e-3 for every model; the paper's ``lambda``); ``paper`` uses
full MNIST, batch 256, constant learning rates and ``lambda`` of App. C.1 Table 9 and early
stopping (the paper does not state the number of epochs; we allow 100 with patience 10). Runs
resume from ``last.pt`` unless ``--no-resume``. A sweep (:mod:`eqrep.train.sweep`) trains one
folder per run, then :func:`eqrep.train.penalty_sweep.collect` writes, in the sweep's folder,
``manifest.json`` (every run's
numbers and Table 4) and ``best.pt`` (the best models of the first seed), which ``--ship`` copies
into the package.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from eqrep.actions import DIGIT_GROUPS, act_on_pairs
from eqrep.analysis.penalty import latent_equivariance
from eqrep.data.ddmnist import DDMNIST, make_ddmnist
from eqrep.data.mnist import load_mnist
from eqrep.device import seed_everything
from eqrep.models.latent_representation import SHIFTED_ON
from eqrep.models.penalty import PenaltyCNN, RegularRepresentationPenalty, parameter_count, penalty_objective
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest
from eqrep.train.loop import Experiment, fit
from eqrep.train.metrics import evaluate_classifier
from eqrep.train.schedules import cosine_lr

__all__ = ["SYSTEM", "MODELS", "PAPER_HYPERPARAMETERS", "PenaltyTrainConfig", "CONFIGS", "make_config", "evaluate",
           "PenaltyExperiment", "experiment", "train_penalty", "load_penalty_model", "model_from_state", "ship_name"]

SYSTEM = "penalty"
MODELS = ("penalty", "cnn_aug", "cnn")

PAPER_HYPERPARAMETERS: dict[tuple[str, str], tuple[float, float | None]] = {
    # App. C.1, Table 9: (learning rate, lambda); the paper tunes the CNN once (with augmentation)
    ("C4", "penalty"): (1e-3, 2.0), ("D1", "penalty"): (1e-3, 1.0), ("D4", "penalty"): (5e-4, 1.0),
    ("C4", "cnn_aug"): (5e-4, None), ("D1", "cnn_aug"): (1e-3, None), ("D4", "cnn_aug"): (5e-4, None),
    ("C4", "cnn"): (5e-4, None), ("D1", "cnn"): (1e-3, None), ("D4", "cnn"): (5e-4, None),
}


@dataclass(frozen=True)
class PenaltyTrainConfig:
    """Hyper-parameters of one DDMNIST run.

    ``lr`` / ``weight`` (``lambda``) ``None`` take the paper's values (:data:`PAPER_HYPERPARAMETERS`).
    ``shifted_weight``: weight of the shifted task loss of the ``"penalty"`` model (1 in the paper; 0 is
    the ablation that keeps only the latent equivariance penalty).
    ``shifted_on``: ``"latent"`` (``l(k(rho_Z(g) f(x)), y)``) or ``"input"`` (``l(k(f(rho_X(g) x)), y)``),
    the two readings of the paper's shifted task loss (:func:`eqrep.models.penalty.penalty_objective`).
    ``patience``: stop after this many epochs without a better validation accuracy (``None``: never).
    ``lr_decay``: multiply the learning rate by ``(1 + cos(pi epoch / epochs)) / 2`` each epoch.
    ``max_train``: use only the first this-many training pairs (tests, demonstrations).
    """

    model: str = "penalty"
    group: str = "C4"
    source: str = "offline"
    per_class: tuple[int, int, int] = (100, 20, 50)
    data_seed: int = 0
    epochs: int = 5
    batch_size: int = 64
    lr: float | None = None
    weight: float | None = None
    shifted_weight: float = 1.0
    shifted_on: str = "latent"
    lr_decay: bool = True
    patience: int | None = None
    max_train: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self.resolved()  # validates model, group and shifted_on

    def resolved(self) -> tuple[float, float]:
        """``(learning rate, lambda)`` with the paper's values filled in (``lambda = 0`` for the CNNs)."""
        if self.model not in MODELS:
            raise ValueError(f"unknown model '{self.model}'; choose from {MODELS}")
        if self.group not in DIGIT_GROUPS:
            raise ValueError(f"unknown group '{self.group}'; choose from {DIGIT_GROUPS}")
        if self.shifted_on not in SHIFTED_ON:
            raise ValueError(f"unknown shifted_on '{self.shifted_on}'; choose from {SHIFTED_ON}")
        lr, weight = PAPER_HYPERPARAMETERS[(self.group, self.model)]
        lr = self.lr if self.lr is not None else lr
        weight = (self.weight if self.weight is not None else weight) if self.model == "penalty" else 0.0
        return float(lr), float(weight)


CONFIGS = {
    # the reference sizes from the offline MNIST sample, 15 epochs with a cosine learning-rate decay and
    # one learning rate, 1e-3, for every model (Table 9's 5e-4 learns too slowly in 15 epochs):
    # ~15 s (CNNs) / ~30 s (penalty) per epoch on one free CPU thread
    "default": PenaltyTrainConfig(epochs=15, lr=1e-3),
    # App. C.1: full MNIST, batch 256, Table 9's constant learning rates, early stopping (a GPU)
    "paper": PenaltyTrainConfig(source="full", epochs=100, batch_size=256, lr_decay=False, patience=10),
    # seconds: tests and the chapter's live demonstration
    "tiny": PenaltyTrainConfig(per_class=(4, 2, 2), epochs=1, batch_size=32),
}


def make_config(name: str, group: str = "C4", model: str = "penalty", **changes) -> PenaltyTrainConfig:
    """``CONFIGS[name]`` for one group and model, with further fields replaced; validated."""
    if name not in CONFIGS:
        raise ValueError(f"unknown config '{name}'; choose from {sorted(CONFIGS)}")
    config = dataclasses.replace(CONFIGS[name], group=group, model=model, **changes)
    config.resolved()
    return config


evaluate = evaluate_classifier  # mean cross-entropy and accuracy, see eqrep.train.metrics


def same_config(saved: dict, config: PenaltyTrainConfig) -> bool:
    """Whether a checkpoint's config is ``config``; fields added after it was written (such as
    ``shifted_on``) count as their defaults, the only behaviour that existed then."""
    defaults = {f.name: f.default for f in dataclasses.fields(PenaltyTrainConfig)}
    return {**defaults, **saved} == dataclasses.asdict(config)


class PenaltyExperiment(Experiment):
    """One DDMNIST run: ``cnn`` (plain task loss), ``cnn_aug`` (on pairs moved by a uniform element of
    ``G x G``) or ``penalty`` (the same stream plus the shifted task loss and the penalty)."""

    system, unit, monitor, mode = "penalty", "pairs", "val_accuracy", "max"

    def __init__(self, config: PenaltyTrainConfig, data: DDMNIST | None = None, n_equivariance: int = 500) -> None:
        self.config = config
        self.lr, self.weight = config.resolved()
        if data is not None and data.group != config.group:
            raise ValueError(f"the data are DDMNIST-{data.group}, the config asks for {config.group}")
        self.data = data or make_ddmnist(config.group, config.per_class, mnist=load_mnist(config.source),
                                         seed=config.data_seed)
        seed_everything(config.seed)
        self.model = PenaltyCNN()
        self.penalty = RegularRepresentationPenalty(self.data.product, self.model.latent_dim, weight=self.weight)
        self.patience, self.n_equivariance = config.patience, n_equivariance
        self.train_x, self.train_y = self.data.part("train")
        if config.max_train is not None:
            self.train_x, self.train_y = self.train_x[:config.max_train], self.train_y[:config.max_train]
        self.val_x, self.val_y = self.data.part("val")
        self.data_source, self.device = self.data.source, torch.device("cpu")
        self.augment = self.shift = None

    def trained_modules(self) -> list[torch.nn.Module]:
        return [self.model, self.penalty]

    def to(self, device: torch.device) -> "PenaltyExperiment":
        super().to(device)
        if device.type == "cpu":
            self.model.to(memory_format=torch.channels_last)  # ~25 % faster convolutions on a CPU
        return self

    def configure_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.model.parameters(), lr=self.lr)

    def start_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        if self.config.lr_decay:
            cosine_lr(optimizer, self.lr, epoch, self.config.epochs)

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        """Index tensors ``(batch_size,)`` into the pairs; draws this epoch's group elements too."""
        gen = torch.Generator().manual_seed(self.config.seed * 100_003 + epoch)
        order = torch.randperm(len(self.train_x), generator=gen)
        n, order_g = len(self.train_x), self.data.product.order
        self.augment = torch.randint(order_g, (n,), generator=gen)  # rho_X element per pair
        self.shift = torch.randint(order_g, (n,), generator=gen)  # the penalty's g per pair
        return list(order.split(self.config.batch_size))

    def training_step(self, batch: torch.Tensor, epoch: int) -> dict[str, torch.Tensor]:
        """The model's objective on the pairs ``batch`` ``(B,)`` and its terms (scalars)."""
        idx, group = self.shard(batch), self.config.group
        x, y = self.train_x[idx].to(self.device), self.train_y[idx].to(self.device)
        if self.config.model != "cnn":
            x = act_on_pairs(x, group, self.augment[idx].to(self.device))
        if self.config.model == "penalty":
            terms = penalty_objective(self.model.encode, self.model.head, x, y, self.shift[idx].to(self.device),
                                      lambda v, h: act_on_pairs(v, group, h), self.penalty,
                                      shifted_weight=self.config.shifted_weight, shifted_on=self.config.shifted_on)
            return {"loss": terms.pop("total"), **terms}
        logits = self.model(x).float()
        loss = F.cross_entropy(logits, y)
        return {"loss": loss, "task": loss, "accuracy": (logits.argmax(1) == y).float().mean()}

    def evaluate(self, epoch: int) -> dict[str, float]:
        return {f"val_{k}": v for k, v in evaluate(self.model, self.val_x, self.val_y, device=self.device).items()}

    def weights(self) -> dict[str, Any]:
        return {"model": {k: v.contiguous() for k, v in self.model.state_dict().items()}}

    def summary(self) -> dict[str, Any]:
        return {"model": self.config.model, "group": self.config.group, "lr": self.lr, "weight": self.weight,
                "train_size": len(self.train_x), "val_size": len(self.val_x), "test_size": len(self.data.split["test"]),
                "parameters": parameter_count(self.model),
                "latent": f"{self.penalty.copies} x regular({self.data.product.name}) "
                          f"+ {self.penalty.padding} x trivial"}

    def finish(self, out_dir: Path) -> dict[str, Any]:
        best, _ = load_penalty_model(out_dir, device=self.device)
        test_x, test_y = self.data.part("test")
        gen = torch.Generator().manual_seed(0)
        pick = torch.randperm(len(test_x), generator=gen)[:self.n_equivariance]  # test pairs are sorted by class
        g = torch.randint(self.data.product.order, (len(pick),), generator=gen)
        history = read_manifest(out_dir)["history"]
        return {"test_accuracy": evaluate(best, test_x, test_y, device=self.device)["accuracy"],
                "test_equivariance": latent_equivariance(best, test_x[pick], self.config.group, g),
                "train_seconds": sum(r["seconds"] for r in history)}


def experiment(config: PenaltyTrainConfig, data: DDMNIST | None = None) -> PenaltyExperiment:
    """The experiment :func:`~eqrep.train.loop.fit` runs for ``config`` (the command line's entry)."""
    return PenaltyExperiment(config, data)


def train_penalty(config: PenaltyTrainConfig, out_dir: Path | str, data: DDMNIST | None = None,
                  n_equivariance: int = 500, **fit_options) -> dict:
    """Train (or resume) one DDMNIST model; returns the manifest (``fit_options``: :func:`fit`'s).

    Raises:
        ValueError: unknown model or group, or ``data`` built for another group.
        CheckpointError: ``last.pt`` in ``out_dir`` was trained with another config.
    """
    return fit(PenaltyExperiment(config, data, n_equivariance), out_dir, same_config=same_config, **fit_options)


def model_from_state(state: dict, where: Path, device: torch.device | str) -> PenaltyCNN:
    model = PenaltyCNN().to(device)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{where} does not fit PenaltyCNN: {err}") from err
    return model.eval()


def load_penalty_model(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                       ) -> tuple[PenaltyCNN, dict]:
    """Load one trained model from a run folder; returns ``(model in eval mode, its config as a dict)``."""
    path = Path(run_dir) / f"{which}.pt"
    state = load_checkpoint(path, map_location=device)
    return model_from_state(state["model"], path, device), state["config"]


def ship_name(config: PenaltyTrainConfig) -> str:
    """The shipped checkpoint's name for ``--ship`` without a name (one run)."""
    return f"penalty_{config.group.lower()}_{config.model}"
