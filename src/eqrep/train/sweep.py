"""Independent runs side by side: one process per GPU (or per CPU job), then the sweep's summary.

::

    python -m eqrep sweep SYSTEM --config NAME [--set KEY=VALUE ...] --vary KEY V1 V2 ... [--vary ...]
                                 --out ROOT [--devices 0,1,2,3 | --jobs N] [--ship NAME] [--dry-run]
    python -m eqrep sweep --commands FILE [--devices 0,1,2,3 | --jobs N]

The first form trains every combination of the ``--vary`` values as its own run, ``python -m
eqrep train SYSTEM ... --out ROOT/<KEY=V,...>`` (:mod:`eqrep.train.cli`), then, for systems that
summarise sweeps (penalty, latent representation), writes ``ROOT/best.pt`` and
``ROOT/manifest.json`` and, with ``--ship``, copies them into the package. The second form runs
the command lines of ``FILE`` (one per line, ``#`` comments), e.g. those printed by
``python -m eqrep.analysis.equivae_tables commands``.

Scaling is the operating system's and CUDA's, not a scheduler of ours: with ``--devices`` every
device runs one process at a time with ``CUDA_VISIBLE_DEVICES`` set to it; with ``--jobs N``
(CPU) ``N`` processes share the cores (``OMP_NUM_THREADS`` = cores / N). Each run logs to
``<run>/log.txt``; rerunning the sweep resumes unfinished runs and skips finished ones.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import logging
import os
import queue
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from eqrep.train.cli import SYSTEMS, canonical_command, trainer
from eqrep.train.overrides import OverrideError, apply_overrides

__all__ = ["COLLECTORS", "plan", "run_all", "parser", "runs_of", "main"]

LOGGER = logging.getLogger("eqrep.train")
COLLECTORS = {"penalty": "eqrep.train.penalty_sweep",
              "latent-representation": "eqrep.train.latent_representation_sweep"}
"""Systems whose sweeps are summarised (the module's ``collect(root, run_dirs, command)``)."""


def plan(system: str, config: str, sets: list[str], vary: list[list[str]], root: Path) -> list[tuple[Path, list[str]]]:
    """``(run folder, command words)`` of every combination of ``vary`` (``[[KEY, V1, V2, ...], ...]``).

    Raises:
        OverrideError: a key or value does not fit the config (checked before anything runs).
    """
    module = trainer(system)
    if config not in module.CONFIGS:
        raise OverrideError(f"unknown config '{config}' for {system}; choose from {sorted(module.CONFIGS)}")
    keys = [v[0] for v in vary]
    runs = []
    for values in itertools.product(*[v[1:] for v in vary]):
        assignment = [f"{k}={v}" for k, v in zip(keys, values, strict=True)]
        apply_overrides(module.CONFIGS[config], sets + assignment)
        folder = root / ",".join(assignment).replace("/", "_") if assignment else root / "run"
        command = canonical_command(system, config, sets + assignment, str(folder), ["--no-progress"])
        runs.append((folder, shlex.split(command)))
    return runs


def _environment(device: str | None, jobs: int) -> dict[str, str]:
    env = dict(os.environ)
    if device is not None:
        env["CUDA_VISIBLE_DEVICES"] = device
    else:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
    return env


def run_all(commands: list[tuple[Path, list[str]]], devices: list[str] | None = None, jobs: int = 1) -> list[Path]:
    """Run every ``(folder, words)`` (``python ...`` with this interpreter); returns the folders that failed."""
    slots: queue.Queue = queue.Queue()
    for slot in devices or [None] * jobs:
        slots.put(slot)
    width = len(devices) if devices else jobs

    def one(folder: Path, words: list[str]) -> Path | None:
        slot = slots.get()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            words = [sys.executable, *words[1:]] if words and words[0] == "python" else words
            LOGGER.info("start %s%s", folder, f" on device {slot}" if slot is not None else "")
            with open(folder / "log.txt", "a") as log:
                env = _environment(slot, width)
                code = subprocess.run(words, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
            LOGGER.info("%s %s", "done" if code == 0 else f"FAILED (exit {code}, see log.txt):", folder)
            return None if code == 0 else folder
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=width) as pool:
        results = list(pool.map(lambda item: one(*item), commands))
    return [f for f in results if f is not None]


def _commands_file(path: Path) -> list[tuple[Path, list[str]]]:
    runs = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            words = shlex.split(line)
            out = words[words.index("--out") + 1] if "--out" in words else f"data/runs/sweep/{len(runs)}"
            runs.append((Path(out), words))
    return runs


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m eqrep sweep``."""
    p = argparse.ArgumentParser(prog="python -m eqrep sweep", description=__doc__.split("\n")[0])
    p.add_argument("system", nargs="?", choices=sorted(SYSTEMS))
    p.add_argument("--config", default="default")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a fixed override; repeatable")
    p.add_argument("--vary", action="append", nargs="+", default=[], metavar="KEY V",
                   help="a config key and the values it takes in the sweep; repeatable (a product)")
    p.add_argument("--out", type=Path, default=None, help="the sweep's folder (default data/runs/<system>-sweep)")
    p.add_argument("--commands", type=Path, default=None, help="run these command lines instead")
    p.add_argument("--devices", default=None, help="GPU ids, one process per GPU (e.g. 0,1,2,3)")
    p.add_argument("--jobs", type=int, default=1, help="CPU: processes at a time")
    p.add_argument("--ship", default=None, metavar="NAME", help="copy the sweep's summary into the package")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    return p


def runs_of(args: argparse.Namespace) -> tuple[Path | None, list[tuple[Path, list[str]]]]:
    """``(the sweep's folder, its runs)`` for parsed arguments (no folder for a commands file).

    Raises:
        OverrideError: a bad key or value, or a ``--vary`` without values.
    """
    if args.commands is not None:
        return None, _commands_file(args.commands)
    if args.system is None:
        raise OverrideError("name a SYSTEM (or --commands FILE)")
    if any(len(v) < 2 for v in args.vary):
        raise OverrideError("--vary takes a key and at least one value, e.g. --vary seed 0 1 2")
    root = args.out or Path(f"data/runs/{args.system}-sweep")
    return root, plan(args.system, args.config, args.set, args.vary, root)


def main(argv: list[str]) -> int:
    """``python -m eqrep sweep ...``."""
    p = parser()
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    devices = args.devices.split(",") if args.devices else None
    try:
        root, runs = runs_of(args)
    except OverrideError as err:
        p.error(str(err))
    if args.dry_run:
        print("\n".join(shlex.join(words) for _, words in runs))
        return 0
    failed = run_all(runs, devices, args.jobs)
    if failed:
        LOGGER.error("%d of %d runs failed: %s", len(failed), len(runs), ", ".join(map(str, failed)))
        return 1
    if root is not None and args.system in COLLECTORS:
        collect = importlib.import_module(COLLECTORS[args.system]).collect
        recorded = [a for i, a in enumerate(argv) if a != "--ship" and (i == 0 or argv[i - 1] != "--ship")]
        command = shlex.join(["python", "-m", "eqrep", "sweep", *recorded])
        collect(root, [folder for folder, _ in runs], command=command)
        LOGGER.info("summary: %s", root / "manifest.json")
        if args.ship:
            from eqrep.shipped import ship

            LOGGER.info("shipped to %s", ship(root, args.ship))
    return 0
