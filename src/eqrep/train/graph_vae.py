"""Training the QM9 graph VAE: configs, the loop, and loading a trained model.

Command line::

    python -m eqrep train graph-vae --config default --out data/runs/graph_vae --ship
    python -m eqrep train graph-vae --config paper --out data/runs/graph_vae_paper   # on a GPU

``default`` finishes on a 2-core CPU in about an hour; ``paper`` is the paper's setting
(lr 1e-4, batch 32, 1000 epochs, standard ELBO) for a GPU. A run resumes from ``last.pt`` in
its folder unless ``--no-resume`` is given. ``--ship`` copies the best model and its manifest into
the package (``eqrep/checkpoints/graph_vae``), which is what the chapter loads.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from eqrep.data.qm9 import QM9, load_qm9, one_hot_graphs
from eqrep.device import seed_everything, select_device
from eqrep.models.graph_vae import GraphVAE, GraphVAEConfig, elbo_terms, negative_elbo
from eqrep.train.checkpoints import CheckpointError, load_checkpoint, read_manifest, save_checkpoint, write_manifest

__all__ = ["TrainConfig", "CONFIGS", "train_graph_vae", "load_graph_vae", "evaluate", "main"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a graph-VAE run."""

    model: GraphVAEConfig = field(default_factory=GraphVAEConfig)
    epochs: int = 60
    batch_size: int = 256
    lr: float = 1e-3
    kl_weight: float = 0.5
    seed: int = 0
    eval_batch_size: int = 1024


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
    model.eval()
    sums = {"loss": 0.0, "nodes": 0.0, "edges": 0.0, "kl": 0.0, "graph_accuracy": 0.0}
    for start in range(0, len(nodes), batch_size):
        nt, et = nodes[start:start + batch_size].to(device), edges[start:start + batch_size].to(device)
        v, e = one_hot_graphs(nt, et)
        out = model(v, e, sample=False)
        terms = elbo_terms(out, nt, et)
        k = len(nt)
        for name, value in terms.items():
            sums[name] += float(value) * k
        sums["loss"] += float(negative_elbo(terms, kl_weight)) * k
        pred_n, pred_e = out.node_logits.argmax(-1), out.edge_logits.argmax(-1)
        iu = torch.triu_indices(nt.shape[1], nt.shape[1], offset=1, device=device)
        exact = (pred_n == nt).all(1) & (pred_e[:, iu[0], iu[1]] == et[:, iu[0], iu[1]]).all(1)
        sums["graph_accuracy"] += float(exact.sum())
    model.train()
    return {k: v / len(nodes) for k, v in sums.items()}


def train_graph_vae(config: TrainConfig, out_dir: Path | str, data: QM9 | None = None, resume: bool = True,
                    device: torch.device | str | None = None, max_steps: int | None = None,
                    progress: bool = True, command: str | None = None) -> dict:
    """Train (or resume) a graph VAE; returns the manifest.

    Args:
        config: Hyper-parameters.
        out_dir: Run folder for ``last.pt``, ``best.pt`` and ``manifest.json``.
        data: QM9 (loaded when ``None``).
        resume: Continue from ``out_dir/last.pt`` if it exists.
        device: Defaults to CUDA when available.
        max_steps: Stop after this many optimiser steps in total (for short demonstrations).
        progress: Show tqdm progress bars.
        command: The command line that started the run (recorded in the manifest).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(device) if device is not None else select_device()
    data = data or load_qm9()
    seed_everything(config.seed)
    model = GraphVAE(config.model).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    use_amp = device.type == "cuda"
    history: list[dict] = []
    start_epoch, step, best = 0, 0, float("inf")
    if resume and (out / "last.pt").exists():
        state = load_checkpoint(out / "last.pt", map_location=device)
        if state["config"] != dataclasses.asdict(config):
            raise CheckpointError(f"{out / 'last.pt'} was trained with another config; use --no-resume "
                                  f"or another --out")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step, best, history = state["epoch"], state["step"], state["best"], state["history"]
        torch.set_rng_state(state["rng_cpu"])
        print(f"resuming {out} at epoch {start_epoch} (step {step})")
    train_nodes, train_edges = data.tensors("train")
    val_nodes, val_edges = data.tensors("val")
    manifest = {"model": "graph_vae", "config": dataclasses.asdict(config), "data_source": data.source,
                "device": str(device), "history": history, "command": command}
    for epoch in range(start_epoch, config.epochs):
        gen = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        order = torch.randperm(len(train_nodes), generator=gen)
        batches = range(0, len(order), config.batch_size)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not progress, leave=False)
        started, seen, running = time.perf_counter(), 0, 0.0
        for start in bar:
            idx = order[start:start + config.batch_size]
            nt, et = train_nodes[idx].to(device), train_edges[idx].to(device)
            v, e = one_hot_graphs(nt, et)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                output = model(v, e)
            terms = elbo_terms(output, nt, et)  # in float32
            loss = negative_elbo(terms, config.kl_weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            seen += len(idx)
            value = loss.item()
            running = 0.98 * running + 0.02 * value if step > 1 else value
            bar.set_postfix(loss=f"{running:.2f}")
            if max_steps is not None and step >= max_steps:
                break
        seconds = time.perf_counter() - started
        metrics = {f"val_{k}": v for k, v in evaluate(model, val_nodes, val_edges, config.kl_weight,
                                                        config.eval_batch_size, device).items()}
        record = {"epoch": epoch + 1, "step": step, "train_loss": running, "seconds": seconds,
                  "graphs_per_second": seen / seconds, **metrics}
        history.append(record)
        if progress:
            print(f"epoch {epoch + 1}: train {running:.3f}  val {metrics['val_loss']:.3f}  "
                  f"exact {metrics['val_graph_accuracy']:.3f}  ({seen / seconds:,.0f} graphs/s)")
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                 "step": step, "best": min(best, metrics["val_loss"]), "history": history,
                 "config": dataclasses.asdict(config), "rng_cpu": torch.get_rng_state()}
        if metrics["val_loss"] < best:
            best = metrics["val_loss"]
            save_checkpoint(out / "best.pt", {"model": model.state_dict(), "config": dataclasses.asdict(config),
                                              "epoch": epoch + 1, "metrics": record})
        save_checkpoint(out / "last.pt", state)
        manifest.update(history=history, best_val_loss=best, epochs_done=epoch + 1)
        write_manifest(out, manifest)
        if max_steps is not None and step >= max_steps:
            break
    return read_manifest(out)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep train graph-vae", description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="default")
    parser.add_argument("--out", default="data/runs/graph_vae")
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--no-resume", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--ship", action="store_true", help="copy the result into eqrep/checkpoints/graph_vae")
    args = parser.parse_args(argv)
    config = CONFIGS[args.config]
    if args.epochs is not None:
        config = dataclasses.replace(config, epochs=args.epochs)
    command = "python -m eqrep train graph-vae " + " ".join(sys.argv[1:] if argv is None else argv)
    manifest = train_graph_vae(config, args.out, resume=not args.no_resume, device=args.device,
                               progress=not args.no_progress, command=command.replace(" --ship", ""))
    print(f"done: {manifest['epochs_done']} epochs, best val loss {manifest['best_val_loss']:.4f}; {args.out}")
    if args.ship:
        from eqrep.checkpoints import ship

        print(f"shipped to {ship(args.out, 'graph_vae')}")
    return 0
