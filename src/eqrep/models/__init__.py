"""The book's models, one module per system (chapters 5-9), and their building blocks.

* :mod:`~eqrep.models.graph_vae` -- the permutation-equivariant graph VAE (chapter 5);
* :mod:`~eqrep.models.so2_classifier` -- the escnn SO(2) classifier and the augmentation CNN (chapter 6);
* :mod:`~eqrep.models.latent_representation` -- a learnable latent representation and its objective, and
  :mod:`~eqrep.models.encoder_head` -- the networks ``x -> f -> z -> k -> y`` of chapter 7;
* :mod:`~eqrep.models.penalty` -- the regular-representation penalty and the double-digit CNN of chapter 8;
* :mod:`~eqrep.models.equivae` -- EquiVAE (chapter 9).

Every public name is importable from here (lazily: ``from eqrep.models import GraphVAE`` does
not import escnn).
"""

from eqrep._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "graph_vae": ["GraphVAEConfig", "GraphVAE", "VAEOutput", "elbo_terms", "negative_elbo"],
    "so2_classifier": ["SO2ClassifierConfig", "SO2Classifier", "RotationCNNConfig", "RotationCNN"],
    "encoder_head": ["ConvAutoencoder", "MLPAutoencoder", "ConvClassifier"],
    "latent_representation": ["Action", "SHIFTED_ON", "LearnedRepresentation", "task_loss", "shifted_task_loss",
                              "latent_equivariance_loss", "objective_terms"],
    "penalty": ["regular_copies", "latent_regular_representation", "permutation_sources",
                "RegularRepresentationPenalty", "penalty_objective", "PenaltyCNN", "parameter_count"],
    "equivae": ["EquiVAEConfig", "EquiVAE", "EquiVAEOutput", "ClassifierHead", "BenchmarkClassifier",
                "sample_same_class", "complementary_indices", "reconstruction_nll", "kl_to_prior", "class_log_prior",
                "labelled_elbo", "unlabelled_elbo", "supervised_loss", "semi_supervised_loss", "class_means",
                "distance_logits", "embed_images", "validation_metrics"],
})
