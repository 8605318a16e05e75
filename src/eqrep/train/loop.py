"""The one training loop of the book: every trainer is an :class:`Experiment` that :func:`fit` runs.

An experiment provides what is specific to its model (the d2l split of *fit* and
*training step*): the batches of an epoch, a ``training_step`` that returns named losses, an
evaluation, and the metric to monitor. :func:`fit` owns everything else, once for all models:

* device selection (CUDA when present) and bfloat16 autocast on CUDA;
* optimiser steps, ``max_steps`` (stop anywhere, also inside an epoch), early stopping;
* one checkpoint dict (nanoGPT-style) in ``last.pt`` with the model, the optimiser, the epoch,
  the position inside it, every random state (torch CPU and CUDA, numpy, Python, and the
  experiment's own generators), so a resumed run ends with the same weights as an uninterrupted
  one; ``best.pt`` with the weights of the best evaluation; both written atomically;
* one manifest schema (``manifest.json``: config, per-epoch history, data source, device,
  commit, command, best value, results; see :func:`fit`);
* progress bars (tqdm) and messages through :mod:`logging` (logger ``eqrep.train``), no prints;
* one process or several: launched by ``torchrun``, each rank trains on its share of every
  global batch inside :class:`~torch.nn.parallel.DistributedDataParallel`, and rank 0 writes the
  files (:mod:`eqrep.train.distributed`).

The data order of an epoch depends only on the config's seed and the epoch number
(:meth:`Experiment.epoch_batches`), not on how often the run was interrupted.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from eqrep.device import select_device
from eqrep.train import distributed
from eqrep.train.checkpoints import (
    CheckpointError,
    git_commit,
    load_checkpoint,
    read_manifest,
    save_checkpoint,
    write_manifest,
)

__all__ = ["Experiment", "fit", "rng_state", "set_rng_state", "report_progress", "LOGGER"]

LOGGER = logging.getLogger("eqrep.train")
SCHEMA = 1


class Experiment:
    """What one trainer provides to :func:`fit`; subclasses override the methods marked *required*.

    Attributes (set by the subclass):
        system: Name of the system (``"graph_vae"``, ``"equivae"``, ...), recorded in the manifest.
        config: The run's frozen dataclass config (compared on resume, stored in every file).
        model: The network (``nn.Module``).
        monitor: Key of :meth:`evaluate`'s result that selects ``best.pt`` (``None``: no ``best.pt``;
            the run's result is its last state, e.g. a classifier head trained in memory).
        mode: ``"min"`` or ``"max"``: whether a smaller or a larger ``monitor`` is better.
        patience: Stop after this many evaluations without improvement (``None``: never).
        unit: What a sample is, for the throughput in the history (``"graphs"`` -> ``graphs_per_second``).
        evaluate_at_start: Evaluate once before training (recorded as epoch 0, never the best).
        data_source: Description of the data, for the manifest.
    """

    system: str = "experiment"
    config: Any = None
    model: nn.Module
    monitor: str | None = "val_loss"
    mode: str = "min"
    patience: int | None = None
    unit: str = "samples"
    evaluate_at_start: bool = False
    data_source: str = ""
    rank, world = 0, 1  # set by fit() under torchrun
    device: torch.device = torch.device("cpu")  # set by to()

    # ------------------------------------------------------------------ required (epochs: if no config.epochs)
    def epochs(self) -> int:
        """Number of epochs (an epoch ends with an evaluation); default ``config.epochs``."""
        return self.config.epochs

    def epoch_batches(self, epoch: int) -> Sequence[Any]:
        """The batches of a 0-based epoch, e.g. index tensors ``(B,)`` into the training set; a
        function of the seed and ``epoch`` only."""
        raise NotImplementedError

    def training_step(self, batch: Any, epoch: int) -> dict[str, torch.Tensor]:
        """Losses of one batch (e.g. indices ``(B,)``), each a scalar tensor: ``"loss"`` is minimised;
        every entry is averaged into ``train_<name>``."""
        raise NotImplementedError

    def evaluate(self, epoch: int) -> dict[str, Any]:
        """Evaluation after ``epoch`` epochs (in eval mode): must contain :attr:`monitor`."""
        raise NotImplementedError

    def configure_optimizer(self) -> torch.optim.Optimizer:
        """The optimiser (default: Adam at ``config.lr`` over the model's parameters)."""
        return torch.optim.Adam(self.model.parameters(), lr=self.config.lr)

    # ------------------------------------------------------------------ optional hooks
    def to(self, device: torch.device) -> "Experiment":
        """Move the trained modules (and whatever data the experiment keeps) to ``device``;
        :attr:`device` records it."""
        self.device = device
        for module in self.trained_modules():
            module.to(device)
        return self

    def start_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        """Called before every (also every resumed) epoch: learning-rate schedules go here."""

    def epoch_info(self, epoch: int) -> dict[str, Any]:
        """Extra entries for the history record of ``epoch`` (e.g. its batch size)."""
        return {}

    def after_step(self, step: int) -> None:
        """Called after every optimiser step (e.g. to record a trajectory into :meth:`extra_state`)."""

    def batch_size(self, batch: Any) -> int:
        """Number of samples in ``batch`` (for throughput); default ``len(batch)``."""
        return len(batch)

    def trained_modules(self) -> list[nn.Module]:
        """Every module with trained parameters (default: the model)."""
        return [self.model]

    def weights(self) -> dict[str, Any]:
        """Entries of ``best.pt`` and ``last.pt`` that hold the trained weights (default ``{"model": ...}``)."""
        return {"model": self.model.state_dict()}

    def load_weights(self, state: dict[str, Any]) -> None:
        """Load what :meth:`weights` saved (``state`` is the whole checkpoint dict)."""
        self.model.load_state_dict(state["model"])

    def extra_state(self) -> dict[str, Any]:
        """State to resume besides model, optimiser and the global random states (own generators, ...)."""
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    def summary(self) -> dict[str, Any]:
        """Static facts for the manifest (sizes of the data, parameter count, ...)."""
        return {"parameters": sum(p.numel() for p in self.model.parameters())}

    def finish(self, out_dir: Path) -> dict[str, Any]:
        """Results after training, merged into the manifest (e.g. test accuracy of ``best.pt``)."""
        return {}

    # ------------------------------------------------------------------ helpers for subclasses
    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's share ``(B / world, ...)`` of a global batch ``(B, ...)``: a contiguous chunk
        (all of it in a single process)."""
        return batch if self.world == 1 else batch.tensor_split(self.world)[self.rank]


def rng_state() -> dict[str, Any]:
    """The global random states: torch (CPU and every CUDA device), numpy and Python."""
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def report_progress(stream: Any = None) -> logging.Handler:
    """Show the loop's messages (logger ``eqrep.train``, level INFO) on ``stream`` (default stdout):
    one line per epoch, e.g. in a notebook. Called twice, it keeps a single handler."""
    import sys

    for handler in LOGGER.handlers:
        if getattr(handler, "_eqrep_progress", False):
            LOGGER.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._eqrep_progress = True
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    return handler


def _config_dict(config: Any) -> dict:
    return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)


class _Step(nn.Module):
    """The experiment's training step as a module, so that DistributedDataParallel sees every
    forward, however the experiment calls its networks (encoder and head separately, ...)."""

    def __init__(self, experiment: Experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.trained = nn.ModuleList(experiment.trained_modules())

    def forward(self, batch: Any, epoch: int) -> dict[str, torch.Tensor]:
        return self.experiment.training_step(batch, epoch)


def _better(value: float, best: float | None, mode: str) -> bool:
    return best is None or (value < best if mode == "min" else value > best)


def fit(experiment: Experiment, out_dir: Path | str, resume: bool = True, device: torch.device | str | None = None,
        max_steps: int | None = None, progress: bool = True, command: str | None = None,
        same_config=None) -> dict[str, Any]:
    """Train (or resume) ``experiment`` in the run folder ``out_dir``; returns the manifest.

    Args:
        experiment: The trainer's experiment (model and data on the CPU; moved to ``device`` here).
        out_dir: Run folder: ``last.pt``, ``best.pt`` and ``manifest.json``.
        resume: Continue from ``out_dir/last.pt`` when it exists (also from inside an epoch).
        device: ``"cpu"``, ``"cuda"``, ...; default CUDA when available (under torchrun: this rank's GPU).
        max_steps: Stop after this many optimiser steps in total; ``last.pt`` remembers the position.
        progress: Show tqdm bars (messages go to the ``eqrep.train`` logger either way).
        command: The command line that started the run (recorded in the manifest).
        same_config: ``f(saved_config_dict, config) -> bool`` deciding whether a checkpoint may be
            resumed (default: equal dicts).

    Returns:
        The manifest: ``schema``, ``system``, ``config``, ``data_source``, ``device``, ``command``,
        ``history`` (one record per evaluation: ``epoch``, ``step``, ``seconds``,
        ``<unit>_per_second``, ``train_<loss>`` means and the evaluation's keys), ``epochs_done``,
        ``steps_done``, ``monitor``, ``best_<monitor>``, ``best_epoch``, ``early_stopped``,
        ``seconds`` (training time), the experiment's :meth:`~Experiment.summary` and, once the
        run is complete, its :meth:`~Experiment.finish` results; plus ``commit``, ``torch`` and
        ``written`` (:func:`~eqrep.train.checkpoints.write_manifest`). An interrupted run has
        ``interrupted_at`` (the step) instead of the results.

    Raises:
        CheckpointError: ``last.pt`` was written with another config.
        FloatingPointError: a loss is not finite (``best.pt`` keeps the best weights so far).
    """
    out = Path(out_dir)
    rank, world = distributed.init()
    experiment.rank, experiment.world = rank, world
    device = torch.device(device) if device is not None else distributed.device(rank) if world > 1 else select_device()
    experiment.to(device)
    writer = rank == 0
    if writer:
        out.mkdir(parents=True, exist_ok=True)
    config = _config_dict(experiment.config)
    optimizer = experiment.configure_optimizer()
    step_module = distributed.wrap(_Step(experiment), device) if world > 1 else _Step(experiment)
    use_amp = device.type == "cuda"
    epoch, position, step, best, best_epoch, bad, stopped = 0, 0, 0, None, None, 0, False
    history: list[dict] = []
    sums: dict[str, float] = {}
    seconds, epoch_seconds, samples = 0.0, 0.0, 0
    if resume and (out / "last.pt").exists():
        state = load_checkpoint(out / "last.pt", map_location=device)
        if not (same_config or (lambda saved, _: saved == config))(state["config"], experiment.config):
            raise CheckpointError(f"{out / 'last.pt'} was trained with another config; "
                                  "use --no-resume or another --out")
        experiment.load_weights(state)
        optimizer.load_state_dict(state["optimizer"])
        epoch, position, step = state["epoch"], state["position"], state["step"]
        best, best_epoch, bad, stopped = state["best"], state["best_epoch"], state["bad_epochs"], state["stopped"]
        history, sums, seconds = state["history"], state["sums"], state["seconds"]
        epoch_seconds, samples = state["epoch_seconds"], state["samples"]
        set_rng_state(state["rng"])
        experiment.load_extra_state(state["extra"])
        LOGGER.info("resuming %s at epoch %d, batch %d (step %d)", out, epoch + 1, position, step)
    commit = git_commit() if writer else None  # the code the run started with
    manifest = {"schema": SCHEMA, "system": experiment.system, "config": config, "data_source": experiment.data_source,
                "device": str(device), "processes": world, "command": command, **experiment.summary(),
                "monitor": experiment.monitor}

    def update_manifest(**extra: Any) -> None:
        manifest.update(history=history, epochs_done=sum(1 for h in history if h["epoch"] > 0), steps_done=step,
                        best_epoch=best_epoch, early_stopped=stopped, seconds=seconds, **extra)
        if experiment.monitor is not None:
            manifest[f"best_{experiment.monitor}"] = best
        if writer:
            write_manifest(out, manifest, commit)

    def checkpoint() -> None:
        if writer:
            save_checkpoint(out / "last.pt", {
                **experiment.weights(), "optimizer": optimizer.state_dict(), "config": config,
                "epoch": epoch, "position": position, "step": step, "best": best, "best_epoch": best_epoch,
                "bad_epochs": bad, "stopped": stopped, "history": history, "sums": sums, "seconds": seconds,
                "epoch_seconds": epoch_seconds, "samples": samples, "rng": rng_state(),
                "extra": experiment.extra_state()})

    def record_evaluation(done: int, record: dict) -> None:
        nonlocal best, best_epoch, bad, stopped
        metrics = experiment.evaluate(done)
        if experiment.monitor is not None and experiment.monitor not in metrics:
            raise KeyError(f"{type(experiment).__name__}.evaluate() returned no '{experiment.monitor}'")
        record.update(metrics)
        history.append(record)
        if experiment.monitor is None:
            return
        if done > 0 and _better(float(metrics[experiment.monitor]), best, experiment.mode):
            best, best_epoch, bad = float(metrics[experiment.monitor]), done, 0
            if writer:
                save_checkpoint(out / "best.pt", {**experiment.weights(), "config": config,
                                                  "epoch": done, "step": step, "metrics": record})
        elif done > 0:
            bad += 1
            stopped = experiment.patience is not None and bad >= experiment.patience

    if step == 0 and not history and experiment.evaluate_at_start:
        record_evaluation(0, {"epoch": 0, "step": 0})
    n_epochs = experiment.epochs()
    while epoch < n_epochs and not stopped:
        experiment.start_epoch(epoch, optimizer)
        batches = experiment.epoch_batches(epoch)
        for module in experiment.trained_modules():
            module.train()
        bar = tqdm(total=len(batches), initial=position, desc=f"epoch {epoch + 1}/{n_epochs}",
                   disable=not progress or not writer, leave=False)
        started = time.perf_counter()
        for batch in batches[position:]:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                losses = step_module(batch, epoch)
            loss = losses["loss"]
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss.item()} at step {step + 1} (epoch {epoch + 1}); "
                                         f"{out / 'best.pt'} keeps the best weights so far")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step, position = step + 1, position + 1
            samples += experiment.batch_size(batch)
            values = {name: float(value.detach()) for name, value in losses.items()}
            for name, value in (distributed.mean_over_ranks(values) if world > 1 else values).items():
                sums[name] = sums.get(name, 0.0) + value
            sums["_steps"] = sums.get("_steps", 0.0) + 1
            bar.update(1)
            bar.set_postfix(loss=f"{sums['loss'] / sums['_steps']:.4g}")
            experiment.after_step(step)
            if max_steps is not None and step >= max_steps and position < len(batches):
                epoch_seconds += time.perf_counter() - started
                seconds += time.perf_counter() - started
                bar.close()
                checkpoint()
                update_manifest(interrupted_at=step)
                LOGGER.info("stopped at step %d (max_steps), epoch %d, batch %d; resume with the same command",
                            step, epoch + 1, position)
                return read_manifest(out) if writer else manifest
        bar.close()
        elapsed = time.perf_counter() - started
        epoch_seconds += elapsed
        seconds += elapsed
        record = {"epoch": epoch + 1, "step": step, "seconds": epoch_seconds,
                  f"{experiment.unit}_per_second": samples / max(epoch_seconds, 1e-9),
                  **{f"train_{k}": v / sums["_steps"] for k, v in sums.items() if k != "_steps"},
                  **experiment.epoch_info(epoch)}
        record_evaluation(epoch + 1, record)
        epoch, position, sums, epoch_seconds, samples = epoch + 1, 0, {}, 0.0, 0
        monitored = f"; {experiment.monitor} {record[experiment.monitor]:.4g}" if experiment.monitor else ""
        LOGGER.info("epoch %d/%d: train loss %.4g%s (%s %s/s)", epoch, n_epochs, record["train_loss"], monitored,
                    f"{record[f'{experiment.unit}_per_second']:,.0f}", experiment.unit)
        checkpoint()
        manifest.pop("interrupted_at", None)
        update_manifest()
        if max_steps is not None and step >= max_steps and epoch < n_epochs:
            manifest["interrupted_at"] = step
            update_manifest()
            return read_manifest(out) if writer else manifest
    if experiment.monitor is not None and best is None:
        raise CheckpointError(f"no epoch was trained in {out} (epochs={n_epochs})")
    manifest.pop("interrupted_at", None)
    distributed.barrier()
    results = experiment.finish(out) if writer else {}
    update_manifest(**results)
    distributed.barrier()
    return read_manifest(out) if writer else manifest

