"""Training: checkpoints and manifests (:mod:`~eqrep.train.checkpoints`) and one loop per model."""
