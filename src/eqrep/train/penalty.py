"""Training the regular-representation penalty model and its CNN baselines on double-digit MNIST.

Sec. 6.1 / App. C.1 of *Parameter-free approximate equivariance for tasks with finite group
symmetry* compares three ways to train the same CNN (:class:`~eqrep.models.penalty_cnn.PenaltyCNN`,
33,742 parameters) on DDMNIST (:mod:`eqrep.data.ddmnist`):

* ``"cnn"``: the plain task loss on the training pairs as built (no augmentation);
* ``"cnn_aug"``: the task loss on training pairs transformed by a fresh uniform element of
  ``G x G`` at every step (augmentation);
* ``"penalty"``: the same augmented stream, plus the shifted task loss and ``lambda`` times the
  latent equivariance penalty with ``rho_Z`` fixed to copies of the regular representation of
  ``G x G`` (:func:`eqrep.penalty.penalty_objective`); no parameter is added.

So ``"penalty"`` versus ``"cnn_aug"`` isolates the two extra terms (the paper's ablation). The
shifted task loss has two readings (``shifted_on``): ``"latent"``, ``l(k(rho_Z(g) f(x)), y)`` as the
seeds README writes it (the default), and ``"input"``, ``l(k(f(rho_X(g) x)), y)``, the "g-shift of
the task loss" of the paper's footnote 5; ch. 8 trains both.
Models are selected by validation accuracy (``best.pt``; optional early stopping with
``patience``) and evaluated once on the test pairs; the manifest records the test accuracy,
the parameter count and how equivariant the latent is (:func:`latent_equivariance`).

Command line::

    python -m eqrep train penalty --group C4 --model penalty --config default --out data/runs/penalty/C4-penalty
    python -m eqrep train penalty --sweep --groups C4 D1 D4 --models penalty cnn_aug cnn --seeds 0 1 \\
        --config default --out data/runs/penalty_sweep --ship     # the book's Table 4
    python -m eqrep train penalty --sweep --groups C4 D1 D4 --models penalty --shifted-on input --seeds 0 1 \\
        --config default --out data/runs/penalty_sweep_input --ship --ship-as penalty_ddmnist_input
    python -m eqrep train penalty --sweep --config paper --seeds 0 1 2 3 4 --out data/runs/penalty_paper  # GPU

``default`` is the reference code's data sizes (100 / 20 / 50 pairs per class) from the offline
MNIST sample with a short schedule that a 2-core CPU finishes in minutes per run (15 epochs,
cosine decay, learning rate 1e-3 for every model; the paper's ``lambda``); ``paper`` uses
full MNIST, batch 256, constant learning rates and ``lambda`` of App. C.1 Table 9 and early
stopping (the paper does not state the number of epochs; we allow 100 with patience 10). Runs
resume from ``last.pt`` unless ``--no-resume``. A sweep writes one folder per run and, in its
own folder, ``manifest.json`` (every run's numbers) and ``best.pt`` (the best models of the
first seed), which ``--ship`` copies into the package as ``eqrep/checkpoints/penalty_ddmnist``.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from eqrep.data.ddmnist import DDMNIST, DIGIT_GROUPS, act_on_pairs, make_ddmnist, pair_group
from eqrep.data.mnist import load_mnist
from eqrep.device import seed_everything, select_device
from eqrep.learned_representations import SHIFTED_ON
from eqrep.models.penalty_cnn import PenaltyCNN, parameter_count
from eqrep.penalty import RegularRepresentationPenalty, penalty_objective
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest, save_checkpoint, write_manifest
from eqrep.train.metrics import evaluate_classifier

__all__ = ["MODELS", "PAPER_HYPERPARAMETERS", "PenaltyTrainConfig", "CONFIGS", "make_config", "evaluate",
           "latent_equivariance", "train_penalty", "load_penalty_model", "run_sweep", "summarise_sweep",
           "load_sweep_model", "main"]

MODELS = ("penalty", "cnn_aug", "cnn")

PAPER_HYPERPARAMETERS: dict[tuple[str, str], tuple[float, float | None]] = {
    # App. C.1, Table 9: (learning rate, lambda); the paper tunes the CNN once (with augmentation)
    ("C4", "penalty"): (1e-3, 2.0), ("D1", "penalty"): (1e-3, 1.0), ("D4", "penalty"): (5e-4, 1.0),
    ("C4", "cnn_aug"): (5e-4, None), ("D1", "cnn_aug"): (1e-3, None), ("D4", "cnn_aug"): (5e-4, None),
    ("C4", "cnn"): (5e-4, None), ("D1", "cnn"): (1e-3, None), ("D4", "cnn"): (5e-4, None),
}


@dataclass(frozen=True)
class PenaltyTrainConfig:
    """Hyper-parameters of one DDMNIST run.

    ``lr`` / ``weight`` (``lambda``) ``None`` take the paper's values (:data:`PAPER_HYPERPARAMETERS`).
    ``shifted_weight``: weight of the shifted task loss of the ``"penalty"`` model (1 in the paper; 0 is
    the ablation that keeps only the latent equivariance penalty).
    ``shifted_on``: ``"latent"`` (``l(k(rho_Z(g) f(x)), y)``) or ``"input"`` (``l(k(f(rho_X(g) x)), y)``),
    the two readings of the paper's shifted task loss (:func:`eqrep.penalty.penalty_objective`).
    ``patience``: stop after this many epochs without a better validation accuracy (``None``: never).
    ``lr_decay``: multiply the learning rate by ``(1 + cos(pi epoch / epochs)) / 2`` each epoch.
    ``max_train``: use only the first this-many training pairs (tests, demonstrations).
    """

    model: str = "penalty"
    group: str = "C4"
    source: str = "offline"
    per_class: tuple[int, int, int] = (100, 20, 50)
    data_seed: int = 0
    epochs: int = 5
    batch_size: int = 64
    lr: float | None = None
    weight: float | None = None
    shifted_weight: float = 1.0
    shifted_on: str = "latent"
    lr_decay: bool = True
    patience: int | None = None
    max_train: int | None = None
    seed: int = 0

    def resolved(self) -> tuple[float, float]:
        """``(learning rate, lambda)`` with the paper's values filled in (``lambda = 0`` for the CNNs)."""
        if self.model not in MODELS:
            raise ValueError(f"unknown model '{self.model}'; choose from {MODELS}")
        if self.group not in DIGIT_GROUPS:
            raise ValueError(f"unknown group '{self.group}'; choose from {DIGIT_GROUPS}")
        if self.shifted_on not in SHIFTED_ON:
            raise ValueError(f"unknown shifted_on '{self.shifted_on}'; choose from {SHIFTED_ON}")
        lr, weight = PAPER_HYPERPARAMETERS[(self.group, self.model)]
        lr = self.lr if self.lr is not None else lr
        weight = (self.weight if self.weight is not None else weight) if self.model == "penalty" else 0.0
        return float(lr), float(weight)


CONFIGS = {
    # the reference sizes from the offline MNIST sample, 15 epochs with a cosine learning-rate decay and
    # one learning rate, 1e-3, for every model (Table 9's 5e-4 learns too slowly in 15 epochs):
    # ~15 s (CNNs) / ~30 s (penalty) per epoch on one free CPU thread
    "default": PenaltyTrainConfig(epochs=15, lr=1e-3),
    # App. C.1: full MNIST, batch 256, Table 9's constant learning rates, early stopping (a GPU)
    "paper": PenaltyTrainConfig(source="full", epochs=100, batch_size=256, lr_decay=False, patience=10),
    # seconds: tests and the chapter's live demonstration
    "tiny": PenaltyTrainConfig(per_class=(4, 2, 2), epochs=1, batch_size=32),
}


def make_config(name: str, group: str = "C4", model: str = "penalty", **changes) -> PenaltyTrainConfig:
    """``CONFIGS[name]`` for one group and model, with further fields replaced; validated."""
    if name not in CONFIGS:
        raise ValueError(f"unknown config '{name}'; choose from {sorted(CONFIGS)}")
    config = dataclasses.replace(CONFIGS[name], group=group, model=model, **changes)
    config.resolved()
    return config


evaluate = evaluate_classifier  # mean cross-entropy and accuracy, see eqrep.train.metrics


@torch.no_grad()
def latent_equivariance(model: PenaltyCNN, images: torch.Tensor, group: str, g: torch.Tensor,
                        batch_size: int = 500) -> dict[str, float]:
    """How equivariant the latent ``z = f(x)`` is for ``rho_Z`` = copies of the regular representation.

    Args:
        model: The network (switched to eval mode and back).
        images: Pair images ``(M, 1, 56, 56)``, ``M >= 2``.
        group: Digit group name (``"C4"``, ``"D1"``, ``"D4"``); ``G x G`` acts.
        g: Element of ``G x G`` per image, ``(M,)``.

    Returns:
        ``relative_error``: ``sum_b ||rho_Z(g_b) f(x_b) - f(rho_X(g_b) x_b)||^2`` divided by the
        same sum with the code of *another* image in place of ``f(rho_X(g_b) x_b)``, namely
        ``f(rho_X(g_b') x_b')`` with ``b -> b'`` a fixed random cyclic permutation (so sorted
        inputs do not bias it): 0 for an exactly equivariant latent, about 1 when
        ``f(rho_X(g) x)`` is no closer to ``rho_Z(g) f(x)`` than the code of an unrelated image.
        ``prediction_agreement``: the share of images classified the same before and after the
        transformation.
    """
    if len(images) < 2:
        raise ValueError("need at least two images (the error is compared with mismatched pairs)")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    rho_z = RegularRepresentationPenalty(pair_group(group), model.latent_dim).to(device)
    g = torch.as_tensor(g, dtype=torch.long)
    moved, codes, same = [], [], 0
    for start in range(0, len(images), batch_size):
        x, h = images[start:start + batch_size].to(device), g[start:start + batch_size].to(device)
        z, z_gx = model.encode(x), model.encode(act_on_pairs(x, group, h))
        moved.append(rho_z.act(z, h))
        codes.append(z_gx)
        same += (model.head(z).argmax(1) == model.head(z_gx).argmax(1)).sum().item()
    model.train(was_training)
    moved_z, codes_z = torch.cat(moved), torch.cat(codes)
    error = (moved_z - codes_z).pow(2).sum().item()
    cycle = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    partner = torch.empty_like(cycle)
    partner[cycle] = cycle.roll(1)  # a random cyclic permutation: nobody is paired with itself
    baseline = (moved_z - codes_z[partner.to(codes_z.device)]).pow(2).sum().item()
    return {"relative_error": error / baseline, "prediction_agreement": same / len(images)}


def _same_config(saved: dict, config: PenaltyTrainConfig) -> bool:
    """Whether a checkpoint's config is ``config``; fields added after it was written (such as
    ``shifted_on``) count as their defaults, the only behaviour that existed then."""
    defaults = {f.name: f.default for f in dataclasses.fields(PenaltyTrainConfig)}
    return {**defaults, **saved} == dataclasses.asdict(config)


def _seed_for(config: PenaltyTrainConfig, epoch: int, what: int) -> int:
    return config.seed * 100_003 + 1_000 * what + epoch


def train_penalty(config: PenaltyTrainConfig, out_dir: Path | str, data: DDMNIST | None = None,
                  resume: bool = True, device: torch.device | str | None = None, max_steps: int | None = None,
                  progress: bool = True, command: str | None = None, n_equivariance: int = 500) -> dict:
    """Train (or resume) one DDMNIST model; returns the manifest.

    Args:
        config: Hyper-parameters; ``config.model`` is ``"penalty"``, ``"cnn_aug"`` or ``"cnn"``.
        out_dir: Run folder for ``last.pt``, ``best.pt`` and ``manifest.json``.
        data: DDMNIST for ``config.group`` (built from ``config.source`` when ``None``).
        resume: Continue from ``out_dir/last.pt`` if it exists.
        device: Defaults to CUDA when available.
        max_steps: Stop after this many optimiser steps in total (short demonstrations).
        progress: Show tqdm bars and a line per epoch.
        command: The command line that started the run (recorded in the manifest).
        n_equivariance: Test pairs (each with one random element) for :func:`latent_equivariance`.

    Raises:
        ValueError: unknown model or group, or ``data`` built for another group.
        CheckpointError: ``last.pt`` in ``out_dir`` was trained with another config.
    """
    lr, weight = config.resolved()
    if data is not None and data.group != config.group:
        raise ValueError(f"the data are DDMNIST-{data.group}, the config asks for {config.group}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(device) if device is not None else select_device()
    if data is None:
        data = make_ddmnist(config.group, config.per_class, mnist=load_mnist(config.source), seed=config.data_seed)
    seed_everything(config.seed)
    model = PenaltyCNN().to(device)
    if device.type == "cpu":
        model = model.to(memory_format=torch.channels_last)  # ~25 % faster convolutions on a CPU
    penalty = RegularRepresentationPenalty(data.product, model.latent_dim, weight=weight).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: list[dict] = []
    start_epoch, step, best, stopped = 0, 0, -1.0, False
    if resume and (out / "last.pt").exists():
        state = load_checkpoint(out / "last.pt", map_location=device)
        if not _same_config(state["config"], config):
            raise CheckpointError(f"{out / 'last.pt'} was trained with another config; use --no-resume or another --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step, best, history = state["epoch"], state["step"], state["best"], state["history"]
        stopped = state["stopped"]
        torch.set_rng_state(state["rng_cpu"])
        if progress:
            print(f"resuming {out} at epoch {start_epoch} (step {step})")
    train_x, train_y = data.part("train")
    if config.max_train is not None:
        train_x, train_y = train_x[:config.max_train], train_y[:config.max_train]
    val_x, val_y = data.part("val")
    order_g = data.product.order
    manifest = {"model": config.model, "group": config.group, "config": dataclasses.asdict(config), "lr": lr,
                "weight": weight, "data_source": data.source, "train_size": len(train_x), "val_size": len(val_x),
                "test_size": len(data.split["test"]), "device": str(device), "parameters": parameter_count(model),
                "latent": f"{penalty.copies} x regular({data.product.name}) + {penalty.padding} x trivial",
                "history": history, "command": command}
    model.train()
    for epoch in range(start_epoch, config.epochs):
        if stopped:
            break
        if config.lr_decay:  # a function of the epoch only: resuming needs no scheduler state
            for group in optimizer.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * epoch / config.epochs))
        gen = torch.Generator().manual_seed(_seed_for(config, epoch, 0))
        order = torch.randperm(len(train_x), generator=gen)
        augment = torch.randint(order_g, (len(train_x),), generator=gen)  # rho_X element per pair
        shift = torch.randint(order_g, (len(train_x),), generator=gen)  # the penalty's g per pair
        bar = tqdm(range(0, len(order), config.batch_size), desc=f"{config.group} {config.model} "
                   f"epoch {epoch + 1}/{config.epochs}", disable=not progress, leave=False)
        started, seen, running, correct = time.perf_counter(), 0, 0.0, 0
        sums = {"task": 0.0, "shifted": 0.0, "equivariance": 0.0}
        for start in bar:
            idx = order[start:start + config.batch_size]
            x, y = train_x[idx].to(device), train_y[idx].to(device)
            if config.model != "cnn":
                x = act_on_pairs(x, config.group, augment[idx].to(device))
            if config.model == "penalty":
                terms = penalty_objective(model.encode, model.head, x, y, shift[idx].to(device),
                                          lambda v, h: act_on_pairs(v, config.group, h), penalty,
                                          shifted_weight=config.shifted_weight, shifted_on=config.shifted_on)
                loss = terms["total"]
                for k in sums:
                    sums[k] += terms[k].item() * len(idx)
            else:
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                correct += (logits.argmax(1) == y).sum().item()
                sums["task"] += loss.item() * len(idx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seen += len(idx)
            running = 0.95 * running + 0.05 * loss.item() if step > 1 else loss.item()
            bar.set_postfix(loss=f"{running:.3f}")
            if max_steps is not None and step >= max_steps:
                break
        seconds = time.perf_counter() - started
        val = evaluate(model, val_x, val_y, device=device)
        record = {"epoch": epoch + 1, "step": step, "train_loss": running,
                  **{f"train_{k}": v / seen for k, v in sums.items()},
                  "val_loss": val["loss"], "val_accuracy": val["accuracy"], "seconds": seconds,
                  "images_per_second": seen / seconds}
        if config.model != "penalty":
            record["train_accuracy"] = correct / seen
        history.append(record)
        if progress:
            print(f"{config.group} {config.model} epoch {epoch + 1}: train loss {running:.3f}  "
                  f"val acc {val['accuracy']:.3f}  ({seen / seconds:,.0f} pairs/s)", flush=True)
        if val["accuracy"] > best:
            best = val["accuracy"]
            save_checkpoint(out / "best.pt", {"model": model.state_dict(), "config": dataclasses.asdict(config),
                                              "epoch": epoch + 1, "metrics": record})
        best_epoch = max(history, key=lambda r: r["val_accuracy"])["epoch"]
        stopped = config.patience is not None and epoch + 1 - best_epoch >= config.patience
        save_checkpoint(out / "last.pt", {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                          "epoch": epoch + 1, "step": step, "best": best, "history": history,
                                          "stopped": stopped, "config": dataclasses.asdict(config),
                                          "rng_cpu": torch.get_rng_state()})
        manifest.update(history=history, best_val_accuracy=best, best_epoch=best_epoch, epochs_done=epoch + 1,
                        early_stopped=stopped)
        write_manifest(out, manifest)
        if max_steps is not None and step >= max_steps:
            break
    if not history:
        raise CheckpointError(f"no epoch was trained in {out} (epochs={config.epochs})")
    manifest.update(history=history, best_val_accuracy=best, epochs_done=history[-1]["epoch"], early_stopped=stopped,
                    best_epoch=max(history, key=lambda r: r["val_accuracy"])["epoch"])
    best_model, _ = load_penalty_model(out, device=device)
    test_x, test_y = data.part("test")
    manifest["test_accuracy"] = evaluate(best_model, test_x, test_y, device=device)["accuracy"]
    gen = torch.Generator().manual_seed(0)
    pick = torch.randperm(len(test_x), generator=gen)[:n_equivariance]  # test pairs are sorted by class
    g = torch.randint(order_g, (len(pick),), generator=gen)
    manifest["test_equivariance"] = latent_equivariance(best_model, test_x[pick], config.group, g)
    manifest["train_seconds"] = sum(r["seconds"] for r in history)
    write_manifest(out, manifest)
    return read_manifest(out)


def _model_from_state(state: dict, where: Path, device: torch.device | str) -> PenaltyCNN:
    model = PenaltyCNN().to(device)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{where} does not fit PenaltyCNN: {err}") from err
    return model.eval()


def load_penalty_model(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                       ) -> tuple[PenaltyCNN, dict]:
    """Load one trained model from a run folder; returns ``(model in eval mode, its config as a dict)``."""
    path = Path(run_dir) / f"{which}.pt"
    state = load_checkpoint(path, map_location=device)
    return _model_from_state(state["model"], path, device), state["config"]


def _run_name(group: str, model: str, seed: int) -> str:
    return f"{group}-{model}-s{seed}"


def summarise_sweep(runs: Sequence[dict]) -> list[dict]:
    """Table 4 from a sweep's runs: one row per (model, group) with the test accuracy's mean and
    (population) standard deviation over seeds, the seeds, parameters and mean epochs."""
    rows = []
    for model in MODELS:
        for group in DIGIT_GROUPS:
            sel = [r for r in runs if r["model"] == model and r["group"] == group]
            if not sel:
                continue
            acc = np.array([r["test_accuracy"] for r in sel])
            rows.append({"model": model, "group": group, "seeds": [r["seed"] for r in sel],
                         "test_accuracy_mean": float(acc.mean()), "test_accuracy_std": float(acc.std()),
                         "parameters": sel[0]["parameters"],
                         "relative_equivariance_error": float(np.mean([r["relative_equivariance_error"] for r in sel])),
                         "epochs": float(np.mean([r["epochs_done"] for r in sel]))})
    return rows


def run_sweep(config_name: str, out_root: Path | str, groups: Sequence[str] = DIGIT_GROUPS,
              models: Sequence[str] = MODELS, seeds: Sequence[int] = (0, 1), changes: dict | None = None,
              device: torch.device | str | None = None, resume: bool = True, progress: bool = True,
              command: str | None = None) -> dict:
    """Train every (group, model, seed) into ``out_root/<group>-<model>-s<seed>``; returns the sweep manifest.

    The data set of a group is built once (``data_seed`` of the config) and shared by all its runs;
    seeds change the initialisation, the batch order and the sampled group elements. Writes
    ``out_root/manifest.json`` (``runs``: one entry per run; ``table``: :func:`summarise_sweep`)
    and ``out_root/best.pt`` (``{"models": {"<group>/<model>": {"model": state, "config": dict}}}``
    for the first seed), the bundle :func:`load_sweep_model` reads.
    """
    out = Path(out_root)
    out.mkdir(parents=True, exist_ok=True)
    changes = dict(changes or {})
    runs, bundle, started = [], {}, time.perf_counter()
    base = make_config(config_name, **changes)
    mnist, datasets = None, {}
    for seed in seeds:  # seed-major: an interrupted sweep still covers every group and model
        for group in groups:
            if group not in datasets:
                mnist = mnist or load_mnist(base.source, verbose=progress)
                datasets[group] = make_ddmnist(group, base.per_class, mnist=mnist, seed=base.data_seed,
                                               verbose=progress)
            data = datasets[group]
            for model in models:
                config = make_config(config_name, group, model, seed=seed, **changes)
                run_dir = out / _run_name(group, model, seed)
                m = train_penalty(config, run_dir, data=data, resume=resume, device=device, progress=progress,
                                  command=command)
                runs.append({"group": group, "model": model, "seed": seed, "test_accuracy": m["test_accuracy"],
                             "best_val_accuracy": m["best_val_accuracy"], "best_epoch": m["best_epoch"],
                             "epochs_done": m["epochs_done"], "parameters": m["parameters"], "lr": m["lr"],
                             "weight": m["weight"], "shifted_weight": m["config"]["shifted_weight"],
                             "shifted_on": m["config"].get("shifted_on", "latent"),
                             "latent": m["latent"],
                             "relative_equivariance_error": m["test_equivariance"]["relative_error"],
                             "prediction_agreement": m["test_equivariance"]["prediction_agreement"],
                             "train_seconds": m["train_seconds"], "history": m["history"]})
                if seed == seeds[0]:
                    state = load_checkpoint(run_dir / "best.pt")
                    bundle[f"{group}/{model}"] = {"model": {k: v.contiguous() for k, v in state["model"].items()},
                                                  "config": state["config"]}
                manifest = {"sweep": config_name, "changes": changes, "groups": list(groups), "models": list(models),
                            "seeds": list(seeds), "data_source": {g: d.source for g, d in datasets.items()},
                            "runs": runs, "table": summarise_sweep(runs), "shipped_seed": seeds[0],
                            "train_seconds_total": sum(r["train_seconds"] for r in runs),
                            "wall_seconds": time.perf_counter() - started, "command": command}
                save_checkpoint(out / "best.pt", {"models": bundle})
                write_manifest(out, manifest)
    return read_manifest(out)


def load_sweep_model(folder: Path | str, group: str, model: str, device: torch.device | str = "cpu"
                     ) -> tuple[PenaltyCNN, dict]:
    """One model of a sweep's ``best.pt`` bundle (e.g. ``shipped("penalty_ddmnist")``); returns
    ``(model in eval mode, its config as a dict)``."""
    path = Path(folder) / "best.pt"
    models = load_checkpoint(path, map_location=device)["models"]
    key = f"{group}/{model}"
    if key not in models:
        raise CheckpointError(f"{path} holds no model '{key}'; it has {sorted(models)}")
    return _model_from_state(models[key]["model"], path, device), models[key]["config"]


def main(argv: list[str] | None = None) -> int:
    """Command line: one run, or a sweep with ``--sweep`` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m eqrep train penalty", description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--group", choices=DIGIT_GROUPS, default="C4", help="one run: the digit group")
    parser.add_argument("--model", choices=MODELS, default="penalty", help="one run: what to train")
    parser.add_argument("--seed", type=int, default=0, help="one run: the seed")
    parser.add_argument("--sweep", action="store_true", help="train every --groups x --models x --seeds")
    parser.add_argument("--groups", nargs="+", choices=DIGIT_GROUPS, default=list(DIGIT_GROUPS))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--lr", type=float, default=None, help="override the paper's learning rate")
    parser.add_argument("--weight", type=float, default=None, help="override the paper's lambda")
    parser.add_argument("--shifted-weight", type=float, default=None,
                        help="weight of the shifted task loss (paper: 1; 0 = ablation)")
    parser.add_argument("--shifted-on", choices=SHIFTED_ON, default=None,
                        help="the shifted task loss moves the latent (rho_Z(g) f(x)) or the input (f(rho_X(g) x))")
    parser.add_argument("--out", default=None, help="run folder (default: data/runs/penalty/...)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--ship", action="store_true",
                        help="copy the result into eqrep/checkpoints/ (penalty_ddmnist for a sweep)")
    parser.add_argument("--ship-as", default=None, help="with --ship: the shipped name (e.g. for an ablation sweep)")
    args = parser.parse_args(argv)
    changes = {k: v for k, v in (("epochs", args.epochs), ("lr", args.lr), ("weight", args.weight),
                                              ("shifted_weight", args.shifted_weight),
                                              ("shifted_on", args.shifted_on)) if v is not None}
    command = "python -m eqrep train penalty " + " ".join(sys.argv[1:] if argv is None else argv)
    command = re.sub(r" --ship-as[ =]\S+| --ship\b", "", command)
    if args.sweep:
        out = args.out or f"data/runs/penalty_sweep_{args.config}"
        manifest = run_sweep(args.config, out, args.groups, args.models, args.seeds, changes, device=args.device,
                             resume=not args.no_resume, progress=not args.no_progress, command=command)
        for row in manifest["table"]:
            print(f"{row['group']} {row['model']:8s} test acc {row['test_accuracy_mean']:.3f} "
                  f"+- {row['test_accuracy_std']:.3f} (seeds {row['seeds']})")
        name = "penalty_ddmnist"
    else:
        config = make_config(args.config, args.group, args.model, seed=args.seed, **changes)
        out = args.out or f"data/runs/penalty/{_run_name(args.group, args.model, args.seed)}"
        manifest = train_penalty(config, out, resume=not args.no_resume, device=args.device,
                                 progress=not args.no_progress, command=command)
        print(f"done: {manifest['epochs_done']} epochs, test accuracy {manifest['test_accuracy']:.3f}; {out}")
        name = f"penalty_{args.group.lower()}_{args.model}"
    if args.ship:
        from eqrep.checkpoints import ship

        print(f"shipped to {ship(out, args.ship_as or name)}")
    return 0
