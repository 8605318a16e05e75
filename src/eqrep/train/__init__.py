"""Training: the one loop (:mod:`~eqrep.train.loop`), one trainer per system, sweeps, run files.

* :mod:`~eqrep.train.loop` -- :func:`fit` and :class:`Experiment`: resume, checkpoints, manifests;
* :mod:`~eqrep.train.graph_vae`, :mod:`~eqrep.train.so2_classifier`,
  :mod:`~eqrep.train.latent_representation`, :mod:`~eqrep.train.penalty`,
  :mod:`~eqrep.train.equivae` -- what is specific to each system (configs, its experiment);
* :mod:`~eqrep.train.cli` and :mod:`~eqrep.train.sweep` -- ``python -m eqrep train | sweep``;
* :mod:`~eqrep.train.checkpoints` -- the files of a run folder; :mod:`~eqrep.train.distributed` -- torchrun.

The trainers' functions are importable from here (lazily); their configs stay in their modules
(``from eqrep.train.graph_vae import CONFIGS``), since every system has its own.
"""

from eqrep._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "loop": ["Experiment", "fit", "report_progress"],
    "checkpoints": ["CheckpointError", "load_checkpoint", "read_manifest"],
    "classifier_fit": ["ClassifierConfig", "fit_classifier", "predict", "error_rate"],
    "graph_vae": ["train_graph_vae", "load_graph_vae"],
    "so2_classifier": ["train_classifier", "load_classifier", "rotated_split", "TEST_ROTATION_SEED"],
    "latent_representation": ["train_latent_representation", "load_run"],
    "latent_representation_tasks": ["make_task"],
    "penalty": ["train_penalty", "load_penalty_model", "make_config"],
    "penalty_sweep": ["load_sweep_model"],
    "equivae": ["train_equivae", "load_equivae"],
})
