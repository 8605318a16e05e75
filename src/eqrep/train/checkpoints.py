"""Checkpoint and manifest files of a run folder (written by :func:`eqrep.train.loop.fit`).

A run folder holds ``last.pt`` (weights, optimiser, position, every random state), ``best.pt``
(the weights of the best evaluation) and ``manifest.json`` (config, metrics per epoch, data
source, git commit, versions). Files are written atomically: to a temporary file in the same folder,
flushed, then renamed over the old one, so an interrupted run never leaves a torn checkpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import torch

__all__ = ["git_commit", "atomic_write_bytes", "save_checkpoint", "load_checkpoint", "write_manifest",
           "read_manifest", "upgrade_manifest", "CheckpointError"]


class CheckpointError(RuntimeError):
    """A checkpoint or manifest is missing, unreadable, or does not match the requested model."""


def git_commit(cwd: Path | str | None = None) -> str:
    """The current git commit (with ``-dirty`` if the tree has changes), or ``"unknown"``."""
    cwd = cwd or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + fsync + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; checkpoints are shared artefacts
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(path: Path | str, state: dict[str, Any]) -> None:
    """Atomically ``torch.save`` a state dictionary."""
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint`, with a clear error if it is unusable."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as err:  # noqa: BLE001 - torch raises many types for corrupt files
        raise CheckpointError(f"checkpoint {path} is unreadable ({type(err).__name__}: {err})") from err


def _jsonable(obj: Any) -> Any:
    if is_dataclass(obj):
        return asdict(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj)}")


def write_manifest(run_dir: Path | str, manifest: dict[str, Any], commit: str | None = None) -> None:
    """Atomically write ``manifest.json`` (adds the commit, default the current one, versions and a timestamp)."""
    full = {**manifest, "commit": commit or git_commit(), "torch": torch.__version__,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    atomic_write_bytes(Path(run_dir) / "manifest.json", json.dumps(full, indent=1, default=_jsonable).encode())


_SYSTEM_OF_OLD_MODEL = {"graph_vae": "graph_vae", "so2": "so2_classifier", "cnn": "so2_classifier",
                        "equivae": "equivae", "penalty": "penalty", "cnn_aug": "penalty"}


def upgrade_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest written before the shared loop (schema 0), read in today's schema: ``schema`` and
    ``system`` are added (from ``model`` / ``experiment`` / ``sweep``); every other key is kept."""
    if "schema" in manifest:
        return manifest
    if "experiment" in manifest:
        system = "latent_representation"
    elif "sweep" in manifest:
        system = "penalty"
    else:
        system = _SYSTEM_OF_OLD_MODEL.get(manifest.get("model"), "unknown")
    return {"schema": 0, "system": system, **manifest}


def read_manifest(run_dir: Path | str) -> dict[str, Any]:
    """Read ``manifest.json`` of a run directory (older manifests upgraded: :func:`upgrade_manifest`)."""
    path = Path(run_dir) / "manifest.json"
    if not path.exists():
        raise CheckpointError(f"no manifest at {path}")
    try:
        return upgrade_manifest(json.loads(path.read_text()))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"manifest {path} is not valid JSON ({err})") from err
