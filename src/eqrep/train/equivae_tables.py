"""The EquiVAE runs behind chapter 9's tables, and their evaluation into the shipped manifests.

Command line::

    python -m eqrep.train.equivae_tables commands   # print the training commands (one run each)
    python -m eqrep.train.equivae_tables record     # evaluate the runs, store the numbers in the manifests
                                                    # (--table 1 or 2: only those runs)

The seed-0 runs of ``default`` and ``default-semi`` are the shipped checkpoints ``equivae`` and
``equivae_semi100`` (README); every other run goes to ``RUNS_ROOT/<name>_s<seed>``. ``record``
evaluates them on the test set (:func:`~eqrep.train.equivae.record_replicates` /
:func:`~eqrep.train.equivae.record_control`) and stores, beside each run's own training record:

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
from pathlib import Path

from eqrep.train.equivae import ClassifierConfig, record_control, record_replicates

__all__ = ["RUNS_ROOT", "RUNS", "SEMI_CLASSIFIER", "run_dir", "commands", "record_supervised", "record_semi", "main"]

RUNS_ROOT = Path("data/runs/equivae_tables")
# name -> (arguments of `python -m eqrep train equivae`, seeds); seed 0 of "full" and "semi100" is shipped
RUNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "full": ("--config default", (1, 2)),
    "v32": ("--config default --v-dim 32", (0, 1, 2)),
    "v4": ("--config default --v-dim 4", (0,)),
    "v64": ("--config default --v-dim 64", (0,)),
    "v128": ("--config default --v-dim 128", (0,)),
    "n1000": ("--config default --train-size 1000", (0, 1)),
    "n2000": ("--config default --train-size 2000", (0, 1)),
    "semi100": ("--config default-semi", (1, 2, 3, 4)),
    "control100": ("--config default-semi --warmup-epochs 20", (0, 1, 2, 3, 4)),
    "semi600": ("--config default-semi --labels 600 --epochs 25", (0, 1)),
    "semi1000": ("--config default-semi --labels 1000 --epochs 30", (0, 1)),
    "semi3000": ("--config default-semi --labels 3000 --epochs 35", (0, 1)),
}
# the benchmark and head of the semi-supervised table: 150 epochs at batch size 32 (600 steps with 100 labels)
SEMI_CLASSIFIER = ClassifierConfig(epochs=150, double_every=1000)
_NOTE = "python -m eqrep.train.equivae_tables record"


def run_dir(name: str, seed: int, root: Path = RUNS_ROOT) -> Path:
    """Folder of one run: ``root/<name>_s<seed>``."""
    if name not in RUNS or seed not in RUNS[name][1]:
        raise KeyError(f"no run {name} with seed {seed}; runs: {sorted(RUNS)}")
    return Path(root) / f"{name}_s{seed}"


def commands(root: Path = RUNS_ROOT) -> list[str]:
    """The training command of every run, in the order of :data:`RUNS`."""
    return [f"python -m eqrep train equivae {args} --seed {s} --out {run_dir(name, s, root)} --no-progress"
            for name, (args, seeds) in RUNS.items() for s in seeds]


def _dirs(name: str, root: Path) -> list[Path]:
    return [run_dir(name, s, root) for s in RUNS[name][1]]


def record_supervised(root: Path = RUNS_ROOT, shipped_dir: Path | None = None) -> None:
    """Table 1 and its probes into the ``equivae`` manifest (see the module docstring)."""
    from eqrep.checkpoints import shipped

    sup = Path(shipped_dir) if shipped_dir is not None else shipped("equivae")
    full = ClassifierConfig()
    record_replicates(sup, _dirs("full", root), full, full, benchmark_seeds=[0, 1, 2, 3, 4], command=_NOTE)
    v32 = _dirs("v32", root)
    record_replicates(v32[0], v32[1:], full, full, benchmark_seeds=[], command=_NOTE, store_in=sup,
                      keys=("variants", "v_dim 32"))
    for name in ("v4", "v64", "v128"):
        record_replicates(_dirs(name, root)[0], [], None, full, benchmark_seeds=[], command=_NOTE, store_in=sup,
                          keys=("v_dim_sweep", name[1:]))
    for name in ("n1000", "n2000"):
        dirs = _dirs(name, root)
        record_replicates(dirs[0], dirs[1:], None, full, command=_NOTE, store_in=sup, keys=("train_sizes", name[1:]))


def record_semi(root: Path = RUNS_ROOT, shipped_dir: Path | None = None) -> None:
    """Table 2 and its control into the ``equivae_semi100`` manifest (see the module docstring)."""
    from eqrep.checkpoints import shipped

    semi = Path(shipped_dir) if shipped_dir is not None else shipped("equivae_semi100")
    record_replicates(semi, _dirs("semi100", root), SEMI_CLASSIFIER, SEMI_CLASSIFIER,
                      benchmark_seeds=[0, 1, 2, 3, 4], command=_NOTE)
    record_control(semi, _dirs("control100", root), "warm-up only", which="last")
    for name in ("semi600", "semi1000", "semi3000"):
        dirs = _dirs(name, root)
        record_replicates(dirs[0], dirs[1:], None, SEMI_CLASSIFIER, command=_NOTE, store_in=semi,
                          keys=("label_counts", name[4:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eqrep.train.equivae_tables", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("commands", "record"))
    parser.add_argument("--root", type=Path, default=RUNS_ROOT, help="folder of the runs")
    parser.add_argument("--table", choices=("1", "2", "both"), default="both", help="record: which table's runs")
    args = parser.parse_args(argv)
    if args.action == "commands":
        print("\n".join(commands(args.root)))
        return 0
    if args.table in ("1", "both"):
        record_supervised(args.root)
    if args.table in ("2", "both"):
        record_semi(args.root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
