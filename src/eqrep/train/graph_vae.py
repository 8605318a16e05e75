"""Training the QM9 graph VAE: configs, the experiment for :func:`~eqrep.train.loop.fit`, loading.

Command line::

    python -m eqrep train graph-vae --config default --out data/runs/graph_vae --ship
    python -m eqrep train graph-vae --config paper --out data/runs/graph_vae_paper   # on a GPU

``default`` finishes on a 2-core CPU in about an hour; ``paper`` is the paper's setting
(lr 1e-4, batch 32, 1000 epochs, standard ELBO) for a GPU. Runs resume from ``last.pt``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from eqrep.data.qm9 import QM9, load_qm9, one_hot_graphs
from eqrep.device import seed_everything
from eqrep.models.graph_vae import GraphVAE, GraphVAEConfig, elbo_terms, negative_elbo
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest
from eqrep.train.loop import Experiment, fit
from eqrep.train.schedules import cosine_lr

__all__ = ["SYSTEM", "TrainConfig", "CONFIGS", "GraphVAEExperiment", "experiment", "train_graph_vae",
           "load_graph_vae", "evaluate", "ship_name"]

SYSTEM = "graph-vae"


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a graph-VAE run.

    ``kl_weight`` multiplies the KL term (1: the ELBO); with ``kl_warmup_epochs`` it rises
    linearly from ``kl_weight / kl_warmup_epochs`` in the first epoch to ``kl_weight``.
    ``cosine_decay``: the learning rate follows a half cosine from ``lr`` towards 0 over the epochs.
    """

    model: GraphVAEConfig = field(default_factory=GraphVAEConfig)
    epochs: int = 60
    batch_size: int = 256
    lr: float = 1e-3
    kl_weight: float = 0.5
    seed: int = 0
    eval_batch_size: int = 1024
    kl_warmup_epochs: int = 0
    cosine_decay: bool = False

    def kl_weight_at(self, epoch: int) -> float:
        """The KL weight of a 0-based epoch (the warm-up ramp, then ``kl_weight``)."""
        if self.kl_warmup_epochs <= 0:
            return self.kl_weight
        return self.kl_weight * min(1.0, (epoch + 1) / self.kl_warmup_epochs)


CONFIGS = {
    # ~45 s per epoch on 2 CPU cores: about an hour for 60 epochs (+ validation)
    "default": TrainConfig(),
    # Hansen et al. (2024), App. C: lr 1e-4, batch 32, 1000 epochs, the standard ELBO
    "paper": TrainConfig(epochs=1000, batch_size=32, lr=1e-4, kl_weight=1.0),
    # a few seconds: for tests and the chapter's live demonstration
    "tiny": TrainConfig(epochs=1, batch_size=64),
}


@torch.no_grad()
def evaluate(model: GraphVAE, nodes: torch.Tensor, edges: torch.Tensor, kl_weight: float,
             batch_size: int = 1024, device: torch.device | None = None) -> dict[str, float]:
    """Mean ELBO terms and reconstruction accuracy (from the latent means) over a dataset.

    Args:
        nodes: ``(M, n)`` node-type indices; edges: ``(M, n, n)`` bond-type indices.

    Returns:
        ``{"loss", "nodes", "edges", "kl", "graph_accuracy"}``; the accuracy is the fraction of
        graphs decoded exactly (all node and edge types) from ``z = mu``.
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    sums = {"loss": 0.0, "nodes": 0.0, "edges": 0.0, "kl": 0.0, "graph_accuracy": 0.0}
    for start in range(0, len(nodes), batch_size):
        nt, et = nodes[start:start + batch_size].to(device), edges[start:start + batch_size].to(device)
        out = model(*one_hot_graphs(nt, et), sample=False)
        terms = elbo_terms(out, nt, et)
        for name, value in terms.items():
            sums[name] += float(value) * len(nt)
        sums["loss"] += float(negative_elbo(terms, kl_weight)) * len(nt)
        pred_n, pred_e = out.node_logits.argmax(-1), out.edge_logits.argmax(-1)
        iu = torch.triu_indices(nt.shape[1], nt.shape[1], offset=1, device=device)
        exact = (pred_n == nt).all(1) & (pred_e[:, iu[0], iu[1]] == et[:, iu[0], iu[1]]).all(1)
        sums["graph_accuracy"] += float(exact.sum())
    model.train(was_training)
    return {k: v / len(nodes) for k, v in sums.items()}


class GraphVAEExperiment(Experiment):
    """The graph VAE on QM9's training split, evaluated on the validation split after every epoch.

    A step encodes a batch of one-hot graphs, samples ``z = mu + sigma * eps`` and minimises
    :func:`~eqrep.models.graph_vae.negative_elbo`. The noise ``eps`` of the whole global batch is
    drawn before sharding, so a run on several processes draws the same noise as on one.
    """

    system, unit, monitor, mode = "graph_vae", "graphs", "val_loss", "min"

    def __init__(self, config: TrainConfig, data: QM9 | None = None) -> None:
        self.config = config
        data = data or load_qm9()
        seed_everything(config.seed)
        self.model = GraphVAE(config.model)
        self.train_nodes, self.train_edges = data.tensors("train")
        self.val_nodes, self.val_edges = data.tensors("val")
        self.data_source = data.source
        self.device = torch.device("cpu")

    def start_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        if self.config.cosine_decay:
            cosine_lr(optimizer, self.config.lr, epoch, self.config.epochs)

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        """Index tensors ``(batch_size,)`` (the last may be shorter) of a seeded permutation."""
        gen = torch.Generator().manual_seed(self.config.seed * 100_003 + epoch)
        return list(torch.randperm(len(self.train_nodes), generator=gen).split(self.config.batch_size))

    def training_step(self, batch: torch.Tensor, epoch: int) -> dict[str, torch.Tensor]:
        """The negative ELBO of the graphs ``batch`` ``(B,)``, and its terms (scalars)."""
        n, latent = self.train_nodes.shape[1], self.config.model.latent_channels
        noise = self.shard(torch.randn(len(batch), n, latent)).to(self.device)
        idx = self.shard(batch)
        nt, et = self.train_nodes[idx].to(self.device), self.train_edges[idx].to(self.device)
        terms = elbo_terms(self.model(*one_hot_graphs(nt, et), noise=noise), nt, et)  # terms in float32 at least
        return {"loss": negative_elbo(terms, self.config.kl_weight_at(epoch)), **terms}

    def evaluate(self, epoch: int) -> dict[str, float]:
        metrics = evaluate(self.model, self.val_nodes, self.val_edges, self.config.kl_weight,
                           self.config.eval_batch_size, self.device)
        return {f"val_{k}": v for k, v in metrics.items()}

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "train_size": len(self.train_nodes), "val_size": len(self.val_nodes)}


def experiment(config: TrainConfig, data: QM9 | None = None) -> GraphVAEExperiment:
    """The experiment :func:`~eqrep.train.loop.fit` runs for ``config`` (the command line's entry)."""
    return GraphVAEExperiment(config, data)


def train_graph_vae(config: TrainConfig, out_dir: Path | str, data: QM9 | None = None, **fit_options) -> dict:
    """Train (or resume) a graph VAE into ``out_dir``; returns the manifest (``fit_options``: :func:`fit`'s)."""
    return fit(GraphVAEExperiment(config, data), out_dir, **fit_options)


def _config_from_dict(d: dict) -> TrainConfig:
    return TrainConfig(**{**d, "model": GraphVAEConfig(**d["model"])})


def load_graph_vae(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                   ) -> tuple[GraphVAE, dict]:
    """Load a trained model from a run folder; returns ``(model in eval mode, manifest)``."""
    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / f"{which}.pt", map_location=device)
    config = _config_from_dict(state["config"])
    model = GraphVAE(config.model).to(device)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"{run_dir / f'{which}.pt'} does not fit GraphVAE({config.model}): {err}") from err
    return model.eval(), read_manifest(run_dir)


def ship_name(config: TrainConfig) -> str:
    """The shipped checkpoint's name for ``--ship`` without a name."""
    return "graph_vae"

