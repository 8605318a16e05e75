"""Run by tests/test_train_distributed.py under torchrun (or alone): a tiny graph-VAE run into argv[1]."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from test_train_graph_vae import CONFIG, SMILES  # noqa: E402

from eqrep.data.qm9 import QM9, smiles_to_dense  # noqa: E402
from eqrep.train.graph_vae import GraphVAEExperiment  # noqa: E402
from eqrep.train.loop import fit  # noqa: E402


class ExactGraphVAE(GraphVAEExperiment):
    """The trainer's experiment in float64 with plain SGD, so that one and two processes can be
    compared tightly: the instance norms of this small network amplify float32 rounding (summing
    4 + 4 graphs instead of 8) about twentyfold per step, and Adam divides by the root of tiny
    second moments, which turns rounding in near-zero gradients into whole steps."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model.double()

    def configure_optimizer(self):
        return torch.optim.SGD(self.model.parameters(), lr=1e-3)


def tiny_qm9() -> QM9:
    pairs = [smiles_to_dense(s) for s in SMILES]
    n = len(SMILES)
    return QM9(nodes=np.stack([p[0] for p in pairs]), edges=np.stack([p[1] for p in pairs]),
               properties=np.zeros((n, 12), np.float32), smiles=np.array(SMILES),
               split={"train": np.arange(24), "val": np.arange(24, 32), "test": np.arange(24, 32)},
               source="test molecules")


if __name__ == "__main__":
    fit(ExactGraphVAE(CONFIG, tiny_qm9()), sys.argv[1], device="cpu", progress=False)
