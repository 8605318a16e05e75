"""A labelled image set with named splits: the common shape of the MNIST and SVHN loaders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LabelledImages"]


@dataclass
class LabelledImages:
    """Images and labels with named splits.

    Attributes:
        images: ``uint8 (N, ...)``, one image per row; labels: ``int64 (N,)``.
        split: Split name (``"train"``, ``"test"``) -> index arrays into ``images``.
        source: Where the images came from (printed by the loaders).
    """

    images: np.ndarray
    labels: np.ndarray
    split: dict[str, np.ndarray]
    source: str

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Images ``(M, ...)`` and labels ``(M,)`` of one split.

        Raises:
            KeyError: no split of that name (the message lists the splits).
        """
        if name not in self.split:
            raise KeyError(f"no split '{name}'; this data set has {sorted(self.split)}")
        idx = self.split[name]
        return self.images[idx], self.labels[idx]
