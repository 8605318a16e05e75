"""One run on several processes through ``torchrun``: the little :func:`~eqrep.train.loop.fit` needs.

``torchrun --nproc_per_node K -m eqrep train SYSTEM ...`` starts ``K`` processes with ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` set. :func:`init` then joins them into one process group
(``nccl`` on GPUs, ``gloo`` on CPUs). Every rank builds the same experiment (same seed, same
data order), takes its contiguous share of each global batch
(:meth:`~eqrep.train.loop.Experiment.shard`) and runs the training step inside
:class:`~torch.nn.parallel.DistributedDataParallel`, which averages the gradients: with equal
shares that is the gradient of the global batch's mean loss, so ``K`` processes follow the
trajectory of one process with the same global batch (up to the order of floating-point sums).
Rank 0 alone writes checkpoints and manifests. Without ``WORLD_SIZE`` (or with 1) nothing here
does anything.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn

__all__ = ["init", "device", "wrap", "barrier", "world_size", "mean_over_ranks"]


def world_size() -> int:
    """``WORLD_SIZE`` of a ``torchrun`` launch (1 otherwise)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init() -> tuple[int, int]:
    """Join the process group of a ``torchrun`` launch (once); returns ``(rank, world size)``."""
    world = world_size()
    if world == 1:
        return 0, 1
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size()


def device(rank: int) -> torch.device:
    """This process's device: its own GPU (``LOCAL_RANK``) when there are GPUs, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", str(rank))))
    return torch.device("cpu")


def wrap(module: nn.Module, on: torch.device) -> nn.Module:
    """``module`` inside DistributedDataParallel (parameters already on ``on``)."""
    ids = [on.index] if on.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=ids, find_unused_parameters=True)


def mean_over_ranks(values: dict[str, float]) -> dict[str, float]:
    """The mean of each value over the ranks (what the global batch gives: the logged losses)."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(v) / dist.get_world_size() for k, v in zip(keys, t.tolist(), strict=True)}


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
