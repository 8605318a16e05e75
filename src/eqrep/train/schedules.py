"""Learning-rate schedules that are functions of the epoch alone, so resuming needs no scheduler state."""

from __future__ import annotations

import math

import torch

__all__ = ["cosine_factor", "cosine_lr"]


def cosine_factor(epoch: int, epochs: int) -> float:
    """``(1 + cos(pi * epoch / epochs)) / 2``: 1 at epoch 0, falling along a half cosine towards 0.

    >>> [round(cosine_factor(e, 4), 3) for e in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """
    return 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def cosine_lr(optimizer: torch.optim.Optimizer, base_lr: float, epoch: int, epochs: int) -> float:
    """Set every parameter group's learning rate to ``base_lr * cosine_factor(epoch, epochs)``; returns it."""
    lr = base_lr * cosine_factor(epoch, epochs)
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
