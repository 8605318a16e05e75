"""The penalty sweeps behind chapter 8's tables: one folder per run, summarised into a bundle.

``python -m eqrep sweep penalty ...`` (:mod:`eqrep.train.sweep`) trains every combination into its
own folder, then calls :func:`collect`, which writes the sweep's ``manifest.json`` (every run's
numbers and Table 4, :func:`summarise_sweep`) and ``best.pt`` (the best models of the first seed,
read by :func:`load_sweep_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from eqrep.actions import DIGIT_GROUPS
from eqrep.models.penalty import PenaltyCNN
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest, save_checkpoint, write_manifest
from eqrep.train.penalty import MODELS, model_from_state

__all__ = ["summarise_sweep", "collect", "load_sweep_model"]


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


def collect(out_root: Path | str, run_dirs: Sequence[Path | str], command: str | None = None) -> dict:
    """Summarise a sweep's runs (one folder each) into ``out_root``; returns the sweep manifest.

    Writes ``out_root/manifest.json`` (``runs``: one entry per run; ``table``: :func:`summarise_sweep`)
    and ``out_root/best.pt`` (``{"models": {"<group>/<model>": {"model": state, "config": dict}}}`` for
    the first seed), the bundle :func:`load_sweep_model` reads.
    """
    out = Path(out_root)
    runs, bundle, sources = [], {}, {}
    manifests = [(Path(d), read_manifest(d)) for d in run_dirs]
    first_seed = min(m["config"]["seed"] for _, m in manifests)
    for run_dir, m in manifests:
        c = m["config"]
        sources[c["group"]] = m["data_source"]
        runs.append({"group": c["group"], "model": c["model"], "seed": c["seed"], "test_accuracy": m["test_accuracy"],
                     "best_val_accuracy": m["best_val_accuracy"], "best_epoch": m["best_epoch"],
                     "epochs_done": m["epochs_done"], "parameters": m["parameters"], "lr": m["lr"],
                     "weight": m["weight"], "shifted_weight": c["shifted_weight"],
                     "shifted_on": c.get("shifted_on", "latent"), "latent": m["latent"],
                     "relative_equivariance_error": m["test_equivariance"]["relative_error"],
                     "prediction_agreement": m["test_equivariance"]["prediction_agreement"],
                     "train_seconds": m["train_seconds"], "history": m["history"]})
        if c["seed"] == first_seed:
            state = load_checkpoint(run_dir / "best.pt")
            bundle[f"{c['group']}/{c['model']}"] = {"model": state["model"], "config": state["config"]}
    save_checkpoint(out / "best.pt", {"models": bundle})
    write_manifest(out, {"schema": 1, "system": "penalty", "groups": sorted({r["group"] for r in runs}),
                         "models": sorted({r["model"] for r in runs}), "seeds": sorted({r["seed"] for r in runs}),
                         "data_source": sources, "runs": runs, "table": summarise_sweep(runs),
                         "shipped_seed": first_seed, "train_seconds_total": sum(r["train_seconds"] for r in runs),
                         "command": command})
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
    return model_from_state(models[key]["model"], path, device), models[key]["config"]
