"""Trained models shipped with the package (``eqrep.shipped``), so that chapters run in minutes on a CPU (and on Colab).

Each shipped model is a folder ``<name>/`` with ``best.pt`` and ``manifest.json`` (config,
metrics per epoch, data source, commit, and ``command``: the command line that trained it, in
the syntax of its day). :data:`REPRODUCE` gives, per shipped model, today's command that
trains it again (the README lists the same commands; tests/test_shipped.py checks both).
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["REPRODUCE", "shipped", "ship", "reproduce_command"]

_LATENT = "python -m eqrep sweep latent-representation --config"
_PENALTY = ("python -m eqrep sweep penalty --config default --vary group C4 D1 D4 --vary seed 0 1 --vary model")
REPRODUCE: dict[str, str] = {
    # chapter 5 (about an hour on 2 CPU cores)
    "graph_vae": "python -m eqrep train graph-vae --config default --out data/runs/graph_vae --ship graph_vae",
    # chapter 6 (about 10 and 2 minutes)
    "so2_classifier": "python -m eqrep train so2-classifier --config default --out data/runs/so2 --ship so2_classifier",
    "so2_classifier_cnn": "python -m eqrep train so2-classifier --config cnn --out data/runs/cnn "
                          "--ship so2_classifier_cnn",
    # chapter 7 (one to two minutes per run)
    "latent_representation_c2_typeface": f"{_LATENT} c2-typeface --vary seed 0 1 2 3 4 "
                                         "--out data/runs/latent_c2 --ship latent_representation_c2_typeface",
    "latent_representation_s3_mnist": f"{_LATENT} s3-mnist --vary seed 0 1 2 3 4 "
                                      "--out data/runs/latent_s3 --ship latent_representation_s3_mnist",
    "latent_representation_c4_mnist": f"{_LATENT} c4-mnist --vary seed 0 1 2 3 4 "
                                      "--out data/runs/latent_c4 --ship latent_representation_c4_mnist",
    "latent_representation_c4_mnist_gamma025": f"{_LATENT} c4-mnist --set gamma=0.25 --vary seed 0 1 2 "
                                               "--out data/runs/latent_c4_gamma025 "
                                               "--ship latent_representation_c4_mnist_gamma025",
    "latent_representation_c4_mnist_identity": f"{_LATENT} c4-mnist --set init=identity --vary seed 0 1 "
                                               "--out data/runs/latent_c4_identity "
                                               "--ship latent_representation_c4_mnist_identity",
    "latent_representation_s3_mnist_sweep": f"{_LATENT} s3-mnist --vary init_multiplicities 5,5,10 10,10,5 0,0,15 "
                                            "30,0,0 0,30,0 5,7,9 --out data/runs/latent_s3_starts "
                                            "--ship latent_representation_s3_mnist_sweep",
    # chapter 8 (about two hours of single-thread training for Table 4, 50 minutes per ablation)
    "penalty_ddmnist": f"{_PENALTY} penalty cnn_aug cnn --out data/runs/penalty_sweep_e15 --ship penalty_ddmnist",
    "penalty_ddmnist_input": f"{_PENALTY} penalty --set shifted_on=input --out data/runs/penalty_sweep_e15_input "
                             "--ship penalty_ddmnist_input",
    "penalty_ddmnist_input_lambda0": f"{_PENALTY} penalty --set shifted_on=input --set weight=0 "
                                     "--out data/runs/penalty_sweep_e15_input_lambda0 "
                                     "--ship penalty_ddmnist_input_lambda0",
    "penalty_ddmnist_noshift": f"{_PENALTY} penalty --set shifted_weight=0 --out data/runs/penalty_sweep_e15_noshift "
                               "--ship penalty_ddmnist_noshift",
    # chapter 9 (about 12 minutes each; the tables' other runs: python -m eqrep.analysis.equivae_tables)
    "equivae": "python -m eqrep train equivae --config default --out data/runs/equivae --ship equivae",
    "equivae_2d": "python -m eqrep train equivae --config default-2d --out data/runs/equivae_2d --ship equivae_2d",
    "equivae_rotated": "python -m eqrep train equivae --config default-rotated --out data/runs/equivae_rotated "
                       "--ship equivae_rotated",
    "equivae_semi100": "python -m eqrep train equivae --config default-semi --out data/runs/equivae_semi100 "
                       "--ship equivae_semi100",
}
"""Shipped name -> today's command that trains it again (``python -m eqrep train`` / ``sweep``)."""

_HERE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Folder of the shipped checkpoint ``name`` (e.g. ``"graph_vae"``)."""
    folder = _HERE / name
    if not (folder / "best.pt").exists():
        available = sorted(p.name for p in _HERE.iterdir() if (p / "best.pt").exists())
        raise FileNotFoundError(f"no shipped checkpoint '{name}'; available: {available}")
    return folder


def ship(run_dir: Path | str, name: str) -> Path:
    """Copy ``best.pt`` and ``manifest.json`` of a finished run into the package as ``name``."""
    run_dir, folder = Path(run_dir), _HERE / name
    folder.mkdir(exist_ok=True)
    for file in ("best.pt", "manifest.json"):
        shutil.copyfile(run_dir / file, folder / file)
        (folder / file).chmod(0o644)
    return folder


def reproduce_command(name: str) -> str:
    """Today's command that trains the shipped model ``name`` again (:data:`REPRODUCE`)."""
    if name not in REPRODUCE:
        raise KeyError(f"no reproduce command for '{name}'; shipped models: {sorted(REPRODUCE)}")
    return REPRODUCE[name]
