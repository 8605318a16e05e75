"""Evaluation shared by the classifier trainers (rotated MNIST, double-digit MNIST)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["evaluate_classifier"]


@torch.no_grad()
def evaluate_classifier(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500,
                        device: torch.device | None = None) -> dict[str, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``images (M, ...)``, ``labels (M,)``.

    The model is switched to eval mode and back to its previous mode afterwards.
    """
    was_training = model.training
    model.eval()
    device = device or next(model.parameters()).device
    loss, correct = 0.0, 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start:start + batch_size].to(device))
        target = labels[start:start + batch_size].to(device)
        loss += F.cross_entropy(logits, target, reduction="sum").item()
        correct += (logits.argmax(1) == target).sum().item()
    model.train(was_training)
    return {"loss": loss / len(images), "accuracy": correct / len(images)}
