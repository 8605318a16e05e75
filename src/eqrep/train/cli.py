"""One command line for every trainer: ``python -m eqrep train SYSTEM [options]``.

::

    python -m eqrep train SYSTEM --config NAME [--set KEY=VALUE ...] [--out DIR] [--device cpu|cuda]
                                 [--max-steps N] [--no-resume] [--no-progress] [--ship [NAME]]

``SYSTEM`` is one of :data:`SYSTEMS`; ``--config`` names one of the trainer's ``CONFIGS``; each
``--set`` overrides one field of it, nested fields with dots (``--set model.v_dim=8``), parsed by
the field's type (:mod:`eqrep.train.overrides`). The run trains (or resumes) in ``--out``
(default ``data/runs/<system>/<config>``) with :func:`eqrep.train.loop.fit`; ``--ship`` copies
``best.pt`` and ``manifest.json`` into the package (:func:`eqrep.shipped.ship`). The manifest
records the command in this canonical form, without ``--ship``. Under ``torchrun`` the same
command trains one run on several processes (:mod:`eqrep.train.distributed`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shlex
from types import ModuleType

from eqrep.train.loop import fit
from eqrep.train.overrides import OverrideError, apply_overrides

__all__ = ["SYSTEMS", "trainer", "parser", "canonical_command", "main"]

SYSTEMS = {"graph-vae": "eqrep.train.graph_vae", "so2-classifier": "eqrep.train.so2_classifier",
           "latent-representation": "eqrep.train.latent_representation", "penalty": "eqrep.train.penalty",
           "equivae": "eqrep.train.equivae"}
"""Command-line name -> trainer module (each defines ``CONFIGS``, ``experiment(config)``, ``ship_name``)."""


def trainer(system: str) -> ModuleType:
    """The trainer module of ``system``."""
    if system not in SYSTEMS:
        raise SystemExit(f"error: unknown system '{system}'; choose from {', '.join(SYSTEMS)}")
    return importlib.import_module(SYSTEMS[system])


def parser(system: str, configs: dict) -> argparse.ArgumentParser:
    """The argument parser of ``python -m eqrep train SYSTEM``."""
    p = argparse.ArgumentParser(prog=f"python -m eqrep train {system}",
                                description=f"Train (or resume) one {system} run.")
    p.add_argument("--config", choices=sorted(configs), default="default" if "default" in configs else None,
                   required="default" not in configs, help="one of the trainer's CONFIGS")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (nested with dots, e.g. model.hidden=32); repeatable")
    p.add_argument("--out", default=None, help="run folder (default: data/runs/<system>/<config>)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (resumable)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if the folder holds last.pt")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--ship", nargs="?", const="", default=None, metavar="NAME",
                   help="copy the result into the package's shipped checkpoints (default name: the trainer's)")
    return p


def canonical_command(system: str, config: str, sets: list[str], out: str, extra: list[str] = ()) -> str:
    """The command line recorded in the manifest (what reproduces the run)."""
    words = ["python", "-m", "eqrep", "train", system, "--config", config]
    for item in sets:
        words += ["--set", item]
    return " ".join(shlex.quote(w) for w in [*words, "--out", out, *extra])


def main(argv: list[str]) -> int:
    """``python -m eqrep train SYSTEM ...``."""
    if not argv or argv[0] not in SYSTEMS:
        print(f"usage: python -m eqrep train {{{','.join(SYSTEMS)}}} --config NAME [--set KEY=VALUE ...] "
              "[--out DIR] [--device D] [--max-steps N] [--no-resume] [--no-progress] [--ship [NAME]]")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    system, module = argv[0], trainer(argv[0])
    p = parser(system, module.CONFIGS)
    args = p.parse_args(argv[1:])
    try:
        config = apply_overrides(module.CONFIGS[args.config], args.set)
    except OverrideError as err:
        p.error(str(err))
    out = args.out or f"data/runs/{system}/{args.config}"
    extra = ["--no-progress"] if args.no_progress else []
    command = canonical_command(system, args.config, args.set, out, extra)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    manifest = fit(module.experiment(config), out, resume=not args.no_resume, device=args.device,
                   max_steps=args.max_steps, progress=not args.no_progress, command=command,
                   same_config=getattr(module, "same_config", None))
    monitor = manifest["monitor"]
    logging.getLogger("eqrep.train").info("done: %d epochs, best %s %s; %s", manifest["epochs_done"], monitor,
                                          f"{manifest.get(f'best_{monitor}', float('nan')):.4g}", out)
    if args.ship is not None and "interrupted_at" not in manifest:
        from eqrep.shipped import ship

        logging.getLogger("eqrep.train").info("shipped to %s", ship(out, args.ship or module.ship_name(config)))
    return 0
