"""Device selection and seeding, shared by every training loop and chapter."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["select_device", "seed_everything"]


def select_device(prefer: str | None = None) -> torch.device:
    """CUDA when available (or ``prefer`` / ``$EQREP_DEVICE`` when given), else CPU."""
    choice = prefer or os.environ.get("EQREP_DEVICE")
    if choice:
        device = torch.device(choice)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device '{choice}' requested, but CUDA is not available on this machine")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); returns a torch generator seeded the same."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
