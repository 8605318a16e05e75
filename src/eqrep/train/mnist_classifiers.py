"""Training the rotated-MNIST classifiers: the escnn SO(2) classifier and the augmentation CNN.

Command line::

    python -m eqrep train mnist-classifier --model so2 --config default --out data/runs/so2 --ship
    python -m eqrep train mnist-classifier --model cnn --config default --out data/runs/cnn --ship
    python -m eqrep train mnist-classifier --model so2 --config paper --out data/runs/so2_paper  # GPU

Both models see every training digit at a fresh random angle in every epoch (rotation
augmentation; :func:`eqrep.data.mnist.rotate_digits`). A tenth of the training split is held out
(rotated once, seeded) to pick the best epoch; the test split is rotated once with a fixed seed
and reported for the best model in the manifest (``test_accuracy``). ``default`` uses the
offline 5,000-digit sample and finishes on a 2-core CPU in minutes; ``paper`` is the full MNIST
download with Hansen et al.'s App. D settings (lr 0.01, batch 128, 100 epochs; the paper does not
name the optimiser, we use Adam) for a GPU. The learning rate decays along a half cosine over the
epochs (``cosine_decay``). Runs resume from ``last.pt`` unless ``--no-resume``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from eqrep.data.mnist import MNIST, load_mnist, rotate_digits
from eqrep.device import seed_everything, select_device
from eqrep.models.rotation_cnn import RotationCNN
from eqrep.models.so2_classifier import SO2Classifier
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest, save_checkpoint, write_manifest
from eqrep.train.metrics import evaluate_classifier

__all__ = ["ClassifierTrainConfig", "CONFIGS", "MODELS", "TEST_ROTATION_SEED", "rotated_split",
           "train_classifier", "evaluate", "load_classifier", "main"]

MODELS = {"so2": SO2Classifier, "cnn": RotationCNN}
TEST_ROTATION_SEED = 12345  # the angles of the rotated test set used everywhere in the book


@dataclass(frozen=True)
class ClassifierTrainConfig:
    """Hyper-parameters of a classifier run (``model``: ``"so2"`` or ``"cnn"``)."""

    model: str = "so2"
    source: str = "offline"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    cosine_decay: bool = True  # learning rate lr * (1 + cos(pi * epoch / epochs)) / 2, set per epoch
    val_fraction: float = 0.1
    max_train: int | None = None  # use only this many training digits (tests, demonstrations)
    seed: int = 0


CONFIGS = {
    "so2": {
        # ~20 s per epoch on 2 CPU cores (3,600 digits): ~10 minutes
        "default": ClassifierTrainConfig(model="so2"),
        # Hansen et al. (2024), App. D: lr 0.01, batch 128, 100 epochs, full MNIST (a GPU)
        "paper": ClassifierTrainConfig(model="so2", source="full", epochs=100, batch_size=128, lr=0.01),
        "tiny": ClassifierTrainConfig(model="so2", epochs=1, max_train=128, batch_size=32),
    },
    "cnn": {
        "default": ClassifierTrainConfig(model="cnn"),
        "paper": ClassifierTrainConfig(model="cnn", source="full", epochs=30, batch_size=128),
        "tiny": ClassifierTrainConfig(model="cnn", epochs=1, max_train=128, batch_size=32),
    },
}


def rotated_split(data: MNIST, part: str, seed: int = TEST_ROTATION_SEED) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """One split of MNIST, each digit rotated by its own seeded random angle.

    Returns:
        Images ``(N, 1, 29, 29)``, labels ``(N,)`` and angles ``(N,)`` in radians.
    """
    images, labels = data.part(part)
    rotated, angles = rotate_digits(images, seed=seed)
    return rotated, torch.as_tensor(labels), angles


evaluate = evaluate_classifier  # mean cross-entropy and accuracy, see eqrep.train.metrics


def _state_dict(model: torch.nn.Module) -> dict:
    """The weights in training mode. escnn's convolutions hold their expanded filters only in eval
    mode; saving and loading both in training mode keeps checkpoints small (weights only) and
    consistent (the filters are rebuilt from the weights by ``model.eval()``)."""
    was_training = model.training
    model.train()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.train(was_training)
    return state


def _load_state_dict(model: torch.nn.Module, state: dict, where: Path) -> None:
    was_training = model.training
    model.train()
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{where} does not fit {type(model).__name__}: {err}") from err
    model.train(was_training)


def _train_val_split(images: np.ndarray, labels: np.ndarray, config: ClassifierTrainConfig):
    order = np.random.default_rng(config.seed).permutation(len(images))
    n_val = int(round(config.val_fraction * len(images)))
    val, train = order[:n_val], order[n_val:]
    if config.max_train is not None:
        train = train[:config.max_train]
    return (images[train], labels[train]), (images[val], labels[val])


def train_classifier(config: ClassifierTrainConfig, out_dir: Path | str, data: MNIST | None = None,
                     resume: bool = True, device: torch.device | str | None = None, max_steps: int | None = None,
                     progress: bool = True, command: str | None = None) -> dict:
    """Train (or resume) a rotated-MNIST classifier; returns the manifest.

    Args:
        config: Hyper-parameters (``config.model`` picks the architecture).
        out_dir: Run folder for ``last.pt``, ``best.pt`` and ``manifest.json``.
        data: MNIST (loaded from ``config.source`` when ``None``).
        resume: Continue from ``out_dir/last.pt`` if it exists.
        device: Defaults to CUDA when available.
        max_steps: Stop after this many optimiser steps in total (for short demonstrations).
        progress: Show tqdm progress bars and a line per epoch.
        command: The command line that started the run (recorded in the manifest).
    """
    if config.model not in MODELS:
        raise ValueError(f"unknown model '{config.model}'; choose from {sorted(MODELS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(device) if device is not None else select_device()
    data = data or load_mnist(config.source)
    seed_everything(config.seed)
    model = MODELS[config.model]().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history: list[dict] = []
    start_epoch, step, best = 0, 0, -1.0
    if resume and (out / "last.pt").exists():
        state = load_checkpoint(out / "last.pt", map_location=device)
        if state["config"] != dataclasses.asdict(config):
            raise CheckpointError(f"{out / 'last.pt'} was trained with another config; use --no-resume or another --out")
        _load_state_dict(model, state["model"], out / "last.pt")
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step, best, history = state["epoch"], state["step"], state["best"], state["history"]
        torch.set_rng_state(state["rng_cpu"])
        print(f"resuming {out} at epoch {start_epoch} (step {step})")
    (train_images, train_labels), (val_images, val_labels) = _train_val_split(*data.part("train"), config)
    val_x, val_angles = rotate_digits(val_images, seed=config.seed + 1)
    val_y = torch.as_tensor(val_labels)
    train_y = torch.as_tensor(train_labels)
    manifest = {"model": config.model, "config": dataclasses.asdict(config), "data_source": data.source,
                "train_size": len(train_images), "val_size": len(val_images), "device": str(device),
                "parameters": sum(p.numel() for p in model.parameters()), "history": history, "command": command}
    model.train()
    for epoch in range(start_epoch, config.epochs):
        if config.cosine_decay:  # a function of the epoch only, so resuming needs no scheduler state
            for group in optimizer.param_groups:
                group["lr"] = config.lr * 0.5 * (1 + np.cos(np.pi * epoch / config.epochs))
        # augmentation: every digit at a fresh random angle in every epoch (seeded per epoch)
        train_x, _ = rotate_digits(train_images, seed=config.seed * 100_003 + 1_000 + epoch)
        order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(config.seed * 100_003 + epoch))
        bar = tqdm(range(0, len(order), config.batch_size), desc=f"epoch {epoch + 1}/{config.epochs}",
                   disable=not progress, leave=False)
        started, seen, running, correct = time.perf_counter(), 0, 0.0, 0
        for start in bar:
            idx = order[start:start + config.batch_size]
            x, y = train_x[idx].to(device), train_y[idx].to(device)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seen += len(idx)
            correct += (logits.argmax(1) == y).sum().item()
            running = 0.95 * running + 0.05 * loss.item() if step > 1 else loss.item()
            bar.set_postfix(loss=f"{running:.3f}")
            if max_steps is not None and step >= max_steps:
                break
        seconds = time.perf_counter() - started
        val = evaluate(model, val_x, val_y, device=device)
        record = {"epoch": epoch + 1, "step": step, "train_loss": running, "train_accuracy": correct / seen,
                  "val_loss": val["loss"], "val_accuracy": val["accuracy"], "seconds": seconds,
                  "images_per_second": seen / seconds}
        history.append(record)
        if progress:
            print(f"epoch {epoch + 1}: train loss {running:.3f}  val acc {val['accuracy']:.3f}  "
                  f"({seen / seconds:,.0f} images/s)", flush=True)
        if val["accuracy"] > best:
            best = val["accuracy"]
            save_checkpoint(out / "best.pt", {"model": _state_dict(model), "config": dataclasses.asdict(config),
                                              "epoch": epoch + 1, "metrics": record})
        save_checkpoint(out / "last.pt", {"model": _state_dict(model), "optimizer": optimizer.state_dict(),
                                          "epoch": epoch + 1, "step": step, "best": best, "history": history,
                                          "config": dataclasses.asdict(config), "rng_cpu": torch.get_rng_state()})
        manifest.update(history=history, best_val_accuracy=best, epochs_done=epoch + 1)
        write_manifest(out, manifest)
        if max_steps is not None and step >= max_steps:
            break
    best_model, _ = load_classifier(out, device=device)
    test_x, test_y, _ = rotated_split(data, "test")
    manifest["test_accuracy"] = evaluate(best_model, test_x, test_y, device=device)["accuracy"]
    manifest["test_rotation_seed"] = TEST_ROTATION_SEED
    write_manifest(out, manifest)
    return read_manifest(out)


def load_classifier(run_dir: Path | str, which: str = "best", device: torch.device | str = "cpu"
                    ) -> tuple[torch.nn.Module, dict]:
    """Load a trained classifier from a run folder; returns ``(model in eval mode, manifest)``."""
    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / f"{which}.pt", map_location=device)
    kind = state["config"]["model"]
    model = MODELS[kind]().to(device)
    _load_state_dict(model, state["model"], run_dir / f"{which}.pt")
    return model.eval(), read_manifest(run_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep train mnist-classifier",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="so2")
    parser.add_argument("--config", choices=["default", "paper", "tiny"], default="default")
    parser.add_argument("--out", default=None, help="run folder (default: data/runs/<model>)")
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--ship", action="store_true", help="copy the result into eqrep/checkpoints/<model>_mnist")
    args = parser.parse_args(argv)
    config = CONFIGS[args.model][args.config]
    if args.epochs is not None:
        config = dataclasses.replace(config, epochs=args.epochs)
    out = args.out or f"data/runs/{args.model}"
    command = "python -m eqrep train mnist-classifier " + " ".join(sys.argv[1:] if argv is None else argv)
    manifest = train_classifier(config, out, resume=not args.no_resume, device=args.device,
                                progress=not args.no_progress, command=command.replace(" --ship", ""))
    print(f"done: {manifest['epochs_done']} epochs, best val accuracy {manifest['best_val_accuracy']:.4f}, "
          f"test accuracy (rotated) {manifest['test_accuracy']:.4f}; {out}")
    if args.ship:
        from eqrep.checkpoints import ship

        print(f"shipped to {ship(out, f'{args.model}_mnist')}")
    return 0
