"""Which representation does the latent space learn? Training Sec. 4 of *Parameter-free approximate
equivariance for tasks with finite group symmetry*.

Command line::

    python -m eqrep sweep latent-representation --config c2-typeface --vary seed 0 1 2 3 4 \\
        --out data/runs/latent_representation_c2_typeface --ship latent_representation_c2_typeface  # five seeds
    python -m eqrep sweep latent-representation --config c4-mnist --set init=identity --vary seed 0 1 \\
        --out data/runs/latent_representation_c4_mnist_identity --ship latent_representation_c4_mnist_identity
    python -m eqrep sweep latent-representation --config s3-mnist --vary init_multiplicities 5,5,10 30,0,0 0,0,15 \\
        --out data/runs/latent_representation_s3_mnist_sweep --ship latent_representation_s3_mnist_sweep  # exact starts
    python -m eqrep train latent-representation --config s3-mnist-paper        # full MNIST, a GPU

A network ``x -> f -> z -> k -> y`` is trained together with free generator matrices of a
finite group ``G`` on its latent space (:class:`~eqrep.models.latent_representation.LearnedRepresentation`).
One step draws a batch ``x`` and one group element ``g`` per sample, uniformly, and minimises

    l(k(f(x)), y) + alpha l(k(rho_Z(g) f(x)), rho_Y(g) y) + beta MSE(rho_Z(g) f(x), f(rho_X(g) x)) + gamma L_alg

(:func:`~eqrep.models.latent_representation.objective_terms` and ``algebra_loss``); the experiments
(data, network, group) are :mod:`eqrep.train.latent_representation_tasks`. Configs per experiment: ``<experiment>``
(one to two minutes per seed on one CPU core; Table 7's weights except a larger algebra weight
``gamma`` for ``s3-mnist`` and ``c4-mnist``, smaller networks for ``s3-mnist`` and ``c4-mnist``),
``<experiment>-paper`` (Table 7's weights and architectures on full MNIST, ten times the steps;
for a GPU) and ``<experiment>-tiny`` (tests). Table 7's three weight columns lost their headers in
our copy of the paper; we read them as ``(alpha, beta, gamma)``.

An "epoch" of :func:`~eqrep.train.loop.fit` is ``eval_every`` steps: after each, a fixed
validation batch (fixed ``g``) gives the loss terms, the algebra loss, the defect of the learned
matrices, the irreducible counts and the first generator's eigenvalues (recorded every
``eigen_every`` steps: the trajectories of the paper's Fig. 4); the start is evaluated too.
``best.pt`` keeps the evaluation with the lowest validation objective. A sweep's
:func:`eqrep.train.latent_representation_sweep.collect` writes the folder's ``best.pt`` (the first run's
model, every run's generator matrices and
eigenvalue trajectories) and ``manifest.json`` (per-run tables), the folder that ``--ship`` copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from eqrep.decompositions import generator_eigenvalues, irreducible_counts, regular_ratios
from eqrep.device import seed_everything
from eqrep.models.latent_representation import LearnedRepresentation, objective_terms
from eqrep.representations import character_table
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest
from eqrep.train.latent_representation_tasks import (
    Batch,
    LatentTask,
    experiment_group,
    make_network,
    make_representation,
    make_task,
)
from eqrep.train.loop import Experiment, fit

__all__ = ["SYSTEM", "LatentRepConfig", "CONFIGS", "LatentRepresentationExperiment", "experiment",
           "train_latent_representation", "config_from_dict", "load_run", "ship_name"]

SYSTEM = "latent-representation"


@dataclass(frozen=True)
class LatentRepConfig:
    """Hyper-parameters of one Sec. 4 run.

    ``alpha``, ``beta``, ``gamma`` weigh the shifted task loss, the latent equivariance loss and
    the algebra loss. The algebra loss is ``sum_i w_i MSE(W_i, I) + inverse_weight * sum_a
    MSE(A^(n-1), A^-1) + conditioning_weight * conditioning`` with ``w = relation_weights``
    (``None``: all ones). ``init`` is the initialisation of the generator matrices
    (``"orthogonal"``: Haar-random; ``"identity"``: ``I`` plus ``init_noise`` noise);
    ``init_multiplicities`` instead starts at an exact representation: that many copies of each
    real irreducible (:func:`~eqrep.representations.real_irreps_cyclic` /
    :func:`~eqrep.representations.real_irreps_dihedral` order), in a random orthonormal basis.
    """

    experiment: str = "c2-typeface"
    latent_dim: int = 42
    steps: int = 3000
    batch_size: int = 64
    lr: float = 3e-3
    alpha: float = 1.0
    beta: float = 0.025
    gamma: float = 0.475
    relation_weights: tuple[float, ...] | None = None
    inverse_weight: float = 1.0
    conditioning_weight: float = 0.01
    init: str = "orthogonal"
    init_noise: float = 0.1
    init_multiplicities: tuple[int, ...] | None = None  # start at this sum of real irreducibles instead
    hidden: tuple[int, ...] = (512, 256, 128)  # MLP autoencoder only
    channels: int = 32  # CNN classifier only (App. B.3: c_hid = 32)
    source: str = "offline"  # MNIST source (s3-mnist, c4-mnist)
    val_size: int = 500
    eval_every: int = 100
    eigen_every: int = 10  # record the first generator's eigenvalues this often (Fig. 4)
    seed: int = 0


_CONFIGS: dict[str, dict[str, LatentRepConfig]] = {
    # Table 7 row "TMNIST": latent 42, alpha 1.0, beta 0.025, gamma 0.475, lr 3e-3, batch 64
    "c2-typeface": {
        "default": LatentRepConfig(experiment="c2-typeface", latent_dim=42, steps=1000, alpha=1.0, beta=0.025,
                                   gamma=0.475),
        "paper": LatentRepConfig(experiment="c2-typeface", latent_dim=42, steps=30000, alpha=1.0, beta=0.025,
                                 gamma=0.475, eval_every=500),
        "tiny": LatentRepConfig(experiment="c2-typeface", latent_dim=6, steps=6, batch_size=8, val_size=16,
                                eval_every=3),
    },
    # Table 7 row "MNIST": latent 30, alpha 0.5, beta 0.495, gamma 0.005; relations r^3, s^2 with weight 1/2
    # and (sr)^2 with weight lambda (the reference code's damping), no inverse term
    "s3-mnist": {
        # gamma 0.5 instead of 0.005: with 0.005 the relations are far from satisfied after our budget
        "default": LatentRepConfig(experiment="s3-mnist", latent_dim=30, steps=3000, alpha=0.5, beta=0.495,
                                   gamma=0.5, relation_weights=(0.5, 0.5, 0.5), inverse_weight=0.0,
                                   hidden=(256, 128, 64)),
        "paper": LatentRepConfig(experiment="s3-mnist", latent_dim=30, steps=30000, alpha=0.5, beta=0.495,
                                 gamma=0.005, relation_weights=(0.5, 0.5, 0.5), inverse_weight=0.0, source="full",
                                 eval_every=500),
        "tiny": LatentRepConfig(experiment="s3-mnist", latent_dim=6, steps=6, batch_size=8, alpha=0.5, beta=0.495,
                                gamma=0.005, relation_weights=(0.5, 0.5, 0.5), inverse_weight=0.0, hidden=(16,),
                                val_size=16, eval_every=3),
    },
    # Table 7 row "CIFAR10": latent 64, alpha 1.0, beta 0.25, gamma 0.25 (MNIST instead of CIFAR-10)
    "c4-mnist": {
        # gamma 1 instead of 0.25: with 0.25 the relations are far from satisfied after our budget
        "default": LatentRepConfig(experiment="c4-mnist", latent_dim=64, steps=800, alpha=1.0, beta=0.25,
                                   gamma=1.0, channels=16),
        "paper": LatentRepConfig(experiment="c4-mnist", latent_dim=64, steps=30000, alpha=1.0, beta=0.25,
                                 gamma=0.25, source="full", eval_every=500),
        "tiny": LatentRepConfig(experiment="c4-mnist", latent_dim=8, steps=6, batch_size=8, val_size=16,
                                channels=4, eval_every=3),
    },
}
CONFIGS: dict[str, LatentRepConfig] = {experiment + ("" if name == "default" else f"-{name}"): config
                                       for experiment, by_name in _CONFIGS.items() for name, config in by_name.items()}
"""``"c2-typeface"``, ``"c2-typeface-paper"``, ``"c2-typeface-tiny"``, and likewise ``s3-mnist`` and ``c4-mnist``."""


def _losses(task: LatentTask, rep: LearnedRepresentation, batch: Batch, config: LatentRepConfig
            ) -> dict[str, torch.Tensor]:
    act_y = (lambda y, g: batch.gy) if batch.gy is not None else None
    terms = objective_terms(task.model.encoder, task.model.head, batch.x, batch.y, batch.g,
                            lambda x, g: batch.gx, rep, act_y, task.loss_fn, config.alpha, config.beta)
    terms["algebra"] = rep.algebra_loss(config.relation_weights, config.inverse_weight, config.conditioning_weight)
    terms["total"] = terms["total"] + config.gamma * terms["algebra"]
    return terms


@torch.no_grad()
def _evaluate(task: LatentTask, rep: LearnedRepresentation, config: LatentRepConfig, table) -> dict:
    task.model.eval()
    terms = {k: v.item() for k, v in _losses(task, rep, task.val, config).items()}
    if task.loss_fn is F.cross_entropy:  # classifiers: accuracy on x and on rho_X(g) x
        terms["accuracy"] = (task.model(task.val.x).argmax(1) == task.val.y).float().mean().item()
        terms["accuracy_gx"] = (task.model(task.val.gx).argmax(1) == task.val.y).float().mean().item()
    task.model.train()
    approx = rep.to_representation()
    terms["relations"] = rep.algebra_loss(config.relation_weights, 0.0, 0.0).item()  # relations only
    terms["defect"] = approx.defect()
    terms["counts"] = irreducible_counts(approx, table)
    terms["characters"] = irreducible_counts(approx, table, method="characters")
    terms["regular_ratios"] = regular_ratios(approx, table).tolist()
    return terms


class LatentRepresentationExperiment(Experiment):
    """One Sec. 4 run: the network and the learned generator matrices, trained step by step."""

    system, unit, monitor, mode, evaluate_at_start = "latent_representation", "samples", "total", "min", True

    def __init__(self, config: LatentRepConfig, task: LatentTask | None = None) -> None:
        self.config = config
        seed_everything(config.seed)
        self.task = task or make_task(config)
        self.model, self.rep = self.task.model, make_representation(config, self.task.group)
        self.table = character_table(self.task.group)
        self.gen = torch.Generator().manual_seed(config.seed)
        self.eigen, self.eigen_steps = [self._eigenvalues()], [0]
        self.data_source, self.device = self.task.data_source, torch.device("cpu")

    def _eigenvalues(self) -> torch.Tensor:
        return torch.as_tensor(generator_eigenvalues(self.rep)).to(torch.complex64)

    def trained_modules(self) -> list[nn.Module]:
        return [self.model, self.rep]

    def to(self, device: torch.device) -> "LatentRepresentationExperiment":
        self.task.val = self.task.val.to(device)
        return super().to(device)

    def configure_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam([*self.model.parameters(), *self.rep.parameters()], lr=self.config.lr)

    def epochs(self) -> int:
        return -(-self.config.steps // self.config.eval_every)

    def epoch_batches(self, epoch: int) -> range:
        every = self.config.eval_every
        return range(epoch * every, min((epoch + 1) * every, self.config.steps))

    def batch_size(self, batch: Any) -> int:
        return self.config.batch_size

    def training_step(self, batch: int, epoch: int) -> dict[str, torch.Tensor]:
        """The objective (scalars) on a fresh batch ``(batch_size, ...)`` of the task; ``batch`` is the step."""
        terms = _losses(self.task, self.rep, self.task.sample(self.config.batch_size, self.gen).to(self.device),
                        self.config)
        return {"loss": terms.pop("total"), **terms}

    def after_step(self, step: int) -> None:
        c = self.config
        if step % c.eigen_every == 0 or step % c.eval_every == 0 or step == c.steps:
            self.eigen.append(self._eigenvalues())
            self.eigen_steps.append(step)

    def evaluate(self, epoch: int) -> dict[str, Any]:
        return _evaluate(self.task, self.rep, self.config, self.table)

    def weights(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "representation": self.rep.state_dict()}

    def load_weights(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.rep.load_state_dict(state["representation"])

    def extra_state(self) -> dict[str, Any]:
        return {"sampler": self.gen.get_state(), "eigenvalues": torch.stack(self.eigen),
                "eigenvalue_steps": torch.tensor(self.eigen_steps)}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["sampler"])
        self.eigen, self.eigen_steps = list(state["eigenvalues"]), state["eigenvalue_steps"].tolist()

    def summary(self) -> dict[str, Any]:
        return {"experiment": self.config.experiment, "group": self.task.group.name,
                "parameters": sum(p.numel() for p in self.model.parameters())}


def experiment(config: LatentRepConfig) -> LatentRepresentationExperiment:
    """The experiment :func:`~eqrep.train.loop.fit` runs for ``config`` (the command line's entry)."""
    return LatentRepresentationExperiment(config)


def train_latent_representation(config: LatentRepConfig, out_dir: Path | str, task: LatentTask | None = None,
                                **fit_options) -> dict:
    """Train (or resume) one run into ``out_dir``; returns its manifest (``fit_options``: :func:`fit`'s).
    ``task``: a prepared :func:`~eqrep.train.latent_representation_tasks.make_task` result (to reuse loaded data)."""
    return fit(LatentRepresentationExperiment(config, task), out_dir, **fit_options)


def config_from_dict(d: dict) -> LatentRepConfig:
    """A :class:`LatentRepConfig` from its stored form (lists back to tuples)."""
    return LatentRepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def load_run(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu",
             task: LatentTask | None = None) -> tuple[nn.Module, LearnedRepresentation, dict]:
    """Load a run folder (one run, or a collected folder: its first run);
    returns ``(model in eval mode, learned representation, manifest)``."""
    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / f"{which}.pt", map_location=device)
    config = config_from_dict(state["config"])
    model = task.model if task is not None else make_network(config)
    rep = make_representation(config, experiment_group(config.experiment))
    try:
        model.load_state_dict(state["model"])
        rep.load_state_dict(state["representation"])
    except RuntimeError as err:
        raise CheckpointError(f"{run_dir / which}.pt does not fit the {config.experiment} model: {err}") from err
    return model.to(device).eval(), rep.to(device), read_manifest(run_dir)


def ship_name(config: LatentRepConfig) -> str:
    """The shipped checkpoint's name for ``--ship`` without a name."""
    return f"latent_representation_{config.experiment.replace('-', '_')}"
