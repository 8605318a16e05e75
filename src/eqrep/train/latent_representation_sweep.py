"""The latent-representation sweeps behind chapter 7 (several seeds, or several exact starts), summarised.

``python -m eqrep sweep latent-representation ...`` (:mod:`eqrep.train.sweep`) trains one folder
per run, then calls :func:`collect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eqrep.train.checkpoints import load_checkpoint, read_manifest, save_checkpoint, write_manifest

__all__ = ["collect"]


def collect(out_dir: Path | str, run_dirs: Sequence[Path | str], command: str | None = None,
            keep_model: bool = True) -> dict:
    """Summarise the runs ``run_dirs`` (folders inside ``out_dir``, e.g. a sweep's) into
    ``out_dir/best.pt`` and ``out_dir/manifest.json``.

    ``best.pt`` holds, per run, the final generator matrices and the eigenvalue trajectory of the
    first generator (``eigenvalues`` ``(T, d)`` at ``eigenvalue_steps`` ``(T,)``), and
    (``keep_model``) the first run's model and representation, so that
    :func:`~eqrep.train.latent_representation.load_run` works on the folder. The manifest lists per run the
    final counts, characters, losses and defect, those
    at initialisation, and a compact trajectory (losses, defect and characters at every
    evaluation), plus the first run's full history.
    """
    out = Path(out_dir)
    runs, tables = {}, []
    dirs = [Path(d) for d in run_dirs]
    for run in dirs:
        name = run.name
        last, manifest = load_checkpoint(run / "last.pt"), read_manifest(run)
        final, init = manifest["history"][-1], manifest["history"][0]
        runs[name] = {"generators": last["representation"]["generators"].clone(),
                      "eigenvalues": last["extra"]["eigenvalues"],
                      "eigenvalue_steps": last["extra"]["eigenvalue_steps"]}
        tables.append({"name": name, "seed": manifest["config"]["seed"],
                       "init_multiplicities": manifest["config"]["init_multiplicities"],
                       "steps": final["step"], "seconds": manifest.get("seconds"),
                       **{k: final[k] for k in ("task", "shifted", "equivariance", "relations", "algebra", "defect",
                                                "total", "counts", "characters", "regular_ratios", "accuracy",
                                                "accuracy_gx") if k in final},
                       "counts_at_init": init["counts"], "characters_at_init": init["characters"],
                       "trajectory": [{k: h[k] for k in ("step", "task", "equivariance", "relations", "defect",
                                                         "characters")} for h in manifest["history"]]})
    first = load_checkpoint(dirs[0] / "last.pt")
    state = {"config": first["config"], "runs": runs}
    if keep_model:
        state.update(model=first["model"], representation=first["representation"])
    save_checkpoint(out / "best.pt", state)
    head = read_manifest(dirs[0])
    summary = {k: head[k] for k in ("experiment", "group", "config", "data_source", "parameters")}
    summary["command"] = command or head["command"]
    summary.update(runs=tables, history=head["history"], model_of=dirs[0].name if keep_model else None)
    write_manifest(out, summary)
    return read_manifest(out)
