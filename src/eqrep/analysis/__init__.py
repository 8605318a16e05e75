"""The book's lens applied to each trained model: one module per system.

* :mod:`~eqrep.analysis.graph_vae` -- latents of molecules, invariant projections, interpolation,
  Hamming steps, k-NN regression (chapter 5);
* :mod:`~eqrep.analysis.so2_classifier` -- latents of rotated digits, the invariance check,
  random invariant projections, k-NN F1 (chapter 6);
* :mod:`~eqrep.analysis.penalty` -- how equivariant a DDMNIST latent is (chapter 8);
* :mod:`~eqrep.analysis.equivae` -- EquiVAE's latents and classifiers (chapter 9);
  :mod:`~eqrep.analysis.equivae_tables` -- the runs behind chapter 9's tables.

Every public name is importable from here (lazily).
"""

from eqrep._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "graph_vae": ["encode_graphs", "invariant_representations", "interpolate", "hamming_distance", "hamming_steps",
                  "knn_mae"],
    "so2_classifier": ["encode_images", "logits_over_angles", "sampled_representation", "random_invariant_projection",
                       "irrep_norms", "knn_f1"],
    "penalty": ["latent_equivariance"],
    "equivae": ["class_latents", "train_benchmark", "train_head", "classifier_errors", "benchmark_errors"],
})
