"""The EquiVAE runs behind chapter 9's tables, and their evaluation into the shipped manifests.

Command line::

    python -m eqrep.analysis.equivae_tables commands > runs.txt    # the training commands, one run each
    python -m eqrep sweep --commands runs.txt --jobs 2               # train them (or --devices 0,1,2,3)
    python -m eqrep.analysis.equivae_tables record                  # evaluate, store in the manifests
                                                                    # (--table 1 or 2: only those runs)
    python -m eqrep.analysis.equivae_tables commands --scale paper  # the same runs on full MNIST (GPUs)

The seed-0 runs of ``default`` and ``default-semi`` are the shipped checkpoints ``equivae`` and
``equivae_semi100`` (README); every other run goes to ``RUNS_ROOT/<name>_s<seed>``. ``record``
evaluates them on the test set (:func:`record_replicates` / :func:`record_control`) and stores, beside each
run's own training record:

* in ``equivae``: ``replicates`` (Table 1, the paper's sizes: seeds 0-2, benchmark seeds 0-4),
  ``variants["v_dim 32"]`` (Table 1 with a 32-dimensional ``v``, seeds 0-2), ``v_dim_sweep``
  (seed 0 with ``v`` of 4, 64 and 128 dimensions) and ``train_sizes`` (1,000 and 2,000 training
  digits, seeds 0-1, with the benchmark trained on the same digits);
* in ``equivae_semi100``: ``replicates`` (100 labels, seeds 0-4), ``controls["warm-up only"]``
  (the labelled bound alone for all 20 epochs, seeds 0-4) and ``label_counts`` (600 / 1000 / 3000
  labels with App. B's 25 / 30 / 35 epochs, seeds 0-1).

About 3 hours of single-thread CPU training in all (1.5 hours on 2 cores, two runs at a time),
and about 12 minutes of evaluation.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from eqrep.analysis.equivae import benchmark_errors, classifier_errors
from eqrep.train.checkpoints import atomic_write_bytes, read_manifest
from eqrep.train.classifier_fit import ClassifierConfig
from eqrep.train.equivae import ImageData, TrainConfig, config_from_dict, load_data, load_equivae

__all__ = ["RUNS_ROOT", "RUNS", "SEMI_CLASSIFIER", "run_dir", "commands", "record_replicates", "record_control",
           "record_supervised", "record_semi", "main"]

RUNS_ROOT = Path("data/runs/equivae_tables")
# name -> (family, --set overrides, seeds); family "supervised" / "semi" is the config of a scale (SCALES).
# At the default scale, seed 0 of "full" and "semi100" are the shipped checkpoints (README).
RUNS: dict[str, tuple[str, tuple[str, ...], tuple[int, ...]]] = {
    "full": ("supervised", (), (1, 2)),
    "v32": ("supervised", ("model.v_dim=32",), (0, 1, 2)),
    "v4": ("supervised", ("model.v_dim=4",), (0,)),
    "v64": ("supervised", ("model.v_dim=64",), (0,)),
    "v128": ("supervised", ("model.v_dim=128",), (0,)),
    "n1000": ("supervised", ("train_size=1000",), (0, 1)),
    "n2000": ("supervised", ("train_size=2000",), (0, 1)),
    "semi100": ("semi", (), (1, 2, 3, 4)),
    "control100": ("semi", ("warmup_epochs=20",), (0, 1, 2, 3, 4)),
    "semi600": ("semi", ("labels=600", "epochs=25"), (0, 1)),
    "semi1000": ("semi", ("labels=1000", "epochs=30"), (0, 1)),
    "semi3000": ("semi", ("labels=3000", "epochs=35"), (0, 1)),
}
SCALES = {"default": {"supervised": "default", "semi": "default-semi"},  # the offline sample, a CPU
          "paper": {"supervised": "paper", "semi": "paper-semi"}}  # full MNIST (a download), GPUs
SHIPPED_SEED0 = ("full", "semi100")  # seed 0 of these is shipped at the default scale, trained at others
# the benchmark and head of the semi-supervised table: 150 epochs at batch size 32 (600 steps with 100 labels)
SEMI_CLASSIFIER = ClassifierConfig(epochs=150, double_every=1000)
_NOTE = "python -m eqrep.analysis.equivae_tables record"


def _seeds(name: str, scale: str) -> tuple[int, ...]:
    seeds = RUNS[name][2]
    return (0, *seeds) if scale != "default" and name in SHIPPED_SEED0 else seeds


def run_dir(name: str, seed: int, root: Path = RUNS_ROOT, scale: str = "default") -> Path:
    """Folder of one run: ``root/<name>_s<seed>`` (``root/<scale>/...`` for another scale)."""
    if name not in RUNS or seed not in _seeds(name, scale):
        raise KeyError(f"no run {name} with seed {seed}; runs: {sorted(RUNS)}")
    return Path(root) / ("" if scale == "default" else scale) / f"{name}_s{seed}"


def commands(root: Path = RUNS_ROOT, scale: str = "default") -> list[str]:
    """The training command of every run at ``scale`` (``"default"`` or ``"paper"``), in the order of
    :data:`RUNS`; one run each, so ``python -m eqrep sweep --commands FILE --devices ...`` can spread them."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale '{scale}'; choose from {sorted(SCALES)}")
    out = []
    for name, (family, sets, _) in RUNS.items():
        for s in _seeds(name, scale):
            options = "".join(f" --set {item}" for item in (*sets, f"seed={s}"))
            out.append(f"python -m eqrep train equivae --config {SCALES[scale][family]}{options} "
                       f"--out {run_dir(name, s, root, scale)} --no-progress")
    return out


def _dirs(name: str, root: Path, scale: str = "default") -> list[Path]:
    """The folders of a run's replicates; at another scale than the default, seed 0 comes first."""
    return [run_dir(name, s, root, scale) for s in _seeds(name, scale)]


def _errors_over_seeds(dirs: list[Path], which: str, head: ClassifierConfig | None
                       ) -> tuple[list[TrainConfig], ImageData, dict]:
    """Test errors of runs that differ only in the seed: ``(configs, data, {"seeds", error lists})``,
    one :func:`classifier_errors` entry per run, each read from its ``which`` checkpoint.

    Raises:
        ValueError: a run was trained with another config than the first (other than the seed).
    """
    configs = [config_from_dict(read_manifest(d)["config"]) for d in dirs]
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


def _main_run(name: str, shipped_name: str, root: Path, scale: str, shipped_dir: Path | None
              ) -> tuple[Path, list[Path]]:
    """The run that stores a table (the shipped checkpoint at the default scale, else seed 0) and its replicates."""
    dirs = _dirs(name, root, scale)
    if scale != "default":
        return dirs[0], dirs[1:]
    from eqrep.shipped import shipped

    return (Path(shipped_dir) if shipped_dir is not None else shipped(shipped_name)), dirs


def record_supervised(root: Path = RUNS_ROOT, shipped_dir: Path | None = None, scale: str = "default") -> None:
    """Table 1 and its probes into the ``equivae`` manifest (see the module docstring)."""
    sup, replicates = _main_run("full", "equivae", root, scale, shipped_dir)
    full = ClassifierConfig()
    record_replicates(sup, replicates, full, full, benchmark_seeds=[0, 1, 2, 3, 4], command=_NOTE)
    v32 = _dirs("v32", root, scale)
    record_replicates(v32[0], v32[1:], full, full, benchmark_seeds=[], command=_NOTE, store_in=sup,
                      keys=("variants", "v_dim 32"))
    for name in ("v4", "v64", "v128"):
        record_replicates(_dirs(name, root, scale)[0], [], None, full, benchmark_seeds=[], command=_NOTE,
                          store_in=sup, keys=("v_dim_sweep", name[1:]))
    for name in ("n1000", "n2000"):
        dirs = _dirs(name, root, scale)
        record_replicates(dirs[0], dirs[1:], None, full, command=_NOTE, store_in=sup, keys=("train_sizes", name[1:]))


def record_semi(root: Path = RUNS_ROOT, shipped_dir: Path | None = None, scale: str = "default") -> None:
    """Table 2 and its control into the ``equivae_semi100`` manifest (see the module docstring)."""
    semi, replicates = _main_run("semi100", "equivae_semi100", root, scale, shipped_dir)
    record_replicates(semi, replicates, SEMI_CLASSIFIER, SEMI_CLASSIFIER,
                      benchmark_seeds=[0, 1, 2, 3, 4], command=_NOTE)
    record_control(semi, _dirs("control100", root, scale), "warm-up only", which="last")
    for name in ("semi600", "semi1000", "semi3000"):
        dirs = _dirs(name, root, scale)
        record_replicates(dirs[0], dirs[1:], None, SEMI_CLASSIFIER, command=_NOTE, store_in=semi,
                          keys=("label_counts", name[4:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep.analysis.equivae_tables", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("commands", "record"))
    parser.add_argument("--root", type=Path, default=RUNS_ROOT, help="folder of the runs")
    parser.add_argument("--scale", choices=sorted(SCALES), default="default",
                        help="the offline sample on a CPU (default) or the paper's full MNIST (GPUs)")
    parser.add_argument("--table", choices=("1", "2", "both"), default="both", help="record: which table's runs")
    args = parser.parse_args(argv)
    if args.action == "commands":
        print("\n".join(commands(args.root, args.scale)))
        return 0
    if args.table in ("1", "both"):
        record_supervised(args.root, scale=args.scale)
    if args.table in ("2", "both"):
        record_semi(args.root, scale=args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
