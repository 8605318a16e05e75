"""Plain classifiers trained on tensors in memory, through the book's one loop.

Used for EquiVAE's end-to-end benchmark and for classifier heads on a frozen embedding
(:mod:`eqrep.analysis.equivae`): cross-entropy, Adam, the batch-size doubling schedule of
Feige (2019), App. B (:func:`batch_size_at`), no model selection (the result is the last state).
:func:`fit_classifier` runs :func:`~eqrep.train.loop.fit` in a temporary folder.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from eqrep.train.loop import Experiment, fit

__all__ = ["ClassifierConfig", "batch_size_at", "fit_classifier", "predict", "error_rate"]


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyper-parameters of a plain classifier (the benchmark, or a head on ``r({x})``)."""

    epochs: int = 20
    batch_size: int = 32
    double_every: int = 10
    max_batch_size: int = 256
    lr: float = 1e-3
    dropout: float = 0.5
    seed: int = 0


def batch_size_at(epoch: int, batch_size: int, double_every: int, max_batch_size: int) -> int:
    """Batch size of a 0-based epoch: ``batch_size * 2 ** (epoch // double_every)``, at most ``max_batch_size``."""
    return min(batch_size * 2 ** (epoch // double_every), max(max_batch_size, batch_size))


@torch.no_grad()
def predict(module: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Logits ``(N, K)`` of a classifier on inputs ``(N, ...)``, in eval mode and batches, on the CPU."""
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    logits = torch.cat([module(x[s:s + batch_size].to(device)).float().cpu() for s in range(0, len(x), batch_size)])
    module.train(was_training)
    return logits


def error_rate(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of wrong arg-max predictions of logits ``(N, K)`` for labels ``(N,)``."""
    return float((logits.argmax(1).cpu() != y.cpu()).float().mean())


class _FitExperiment(Experiment):
    system, unit, monitor = "classifier", "samples", None

    def __init__(self, module: nn.Module, x: torch.Tensor, y: torch.Tensor, config: ClassifierConfig,
                 val: tuple[torch.Tensor, torch.Tensor] | None) -> None:
        self.model, self.x, self.y, self.config, self.val = module, x, y, config, val
        self.device = next(module.parameters()).device
        torch.manual_seed(config.seed)  # dropout draws from here

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        c = self.config
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(c.seed * 100_003 + epoch))
        return list(order.split(batch_size_at(epoch, c.batch_size, c.double_every, c.max_batch_size)))

    def training_step(self, batch: torch.Tensor, epoch: int) -> dict[str, torch.Tensor]:
        idx = self.shard(batch)
        return {"loss": F.cross_entropy(self.model(self.x[idx].to(self.device)).float(), self.y[idx].to(self.device))}

    def evaluate(self, epoch: int) -> dict[str, float]:
        if self.val is None:
            return {}
        return {"val_accuracy": 1.0 - error_rate(predict(self.model, self.val[0]), self.val[1])}


def fit_classifier(module: nn.Module, x: torch.Tensor, y: torch.Tensor, config: ClassifierConfig,
                   val: tuple[torch.Tensor, torch.Tensor] | None = None, progress: bool = True) -> list[dict]:
    """Train ``module`` (inputs ``(N, ...)`` -> logits ``(N, K)``) on labels ``y (N,)`` on its device.

    Returns:
        The history: per epoch ``train_loss`` (mean over the epoch's batches) and, when
        ``val = (x, y)`` is given, ``val_accuracy``. The module is left in eval mode.
    """
    device = next(module.parameters()).device
    with tempfile.TemporaryDirectory() as run_dir:
        manifest = fit(_FitExperiment(module, x, y, config, val), run_dir, resume=False, device=device,
                       progress=progress)
    module.eval()
    return manifest["history"]
