"""Probes of a trained EquiVAE (Feige 2019, Sec. 3.1, Tables 1-2): its classifiers and their test errors.

* :func:`class_latents` -- the two latents of images: ``r`` from complementary images of their
  class, and the mean (and log-variance) of ``q(v | r, x)``;
* :func:`train_benchmark` -- the end-to-end benchmark: ``f_inv``'s architecture trained as a classifier;
* :func:`train_head` -- a dense dropout head on the frozen embedding ``r({x})``;
* :func:`classifier_errors` -- test errors of a trained EquiVAE's distance classifier, head and
  ``q(y | x)``; :func:`benchmark_errors` -- the benchmark's, one per seed.

The classifiers train through :func:`eqrep.train.classifier_fit.fit_classifier` (the book's loop).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from eqrep.device import select_device
from eqrep.models.equivae import (
    BenchmarkClassifier,
    ClassifierHead,
    EquiVAE,
    EquiVAEConfig,
    class_means,
    distance_logits,
    embed_images,
    sample_same_class,
)
from eqrep.train.classifier_fit import ClassifierConfig, error_rate, fit_classifier, predict
from eqrep.train.equivae import ImageData, TrainConfig, split_labelled

__all__ = ["class_latents", "train_benchmark", "train_head", "classifier_errors", "benchmark_errors"]


@torch.no_grad()
def class_latents(model: EquiVAE, x: torch.Tensor, y: torch.Tensor, pool_x: torch.Tensor, pool_y: torch.Tensor,
                  m: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The latents of images ``x`` ``(N, C, H, W)`` with labels ``y`` ``(N,)``: ``r`` ``(N, d_r)`` from
    ``m`` complementary images of each one's class drawn from ``pool_x`` / ``pool_y`` (seeded),
    and the mean and log-variance ``(N, d_v)`` of ``q(v | r, x)``."""
    comp = sample_same_class(pool_y, y, m, torch.Generator().manual_seed(seed))
    r = model.represent(pool_x[comp])
    mu, logvar = model.encode(x, r)
    return r, mu, logvar


def train_benchmark(model_config: EquiVAEConfig, x: torch.Tensor, y: torch.Tensor,
                    config: ClassifierConfig = ClassifierConfig(), val: tuple[torch.Tensor, torch.Tensor] | None = None,
                    device: torch.device | str | None = None, progress: bool = True
                    ) -> tuple[BenchmarkClassifier, list[dict]]:
    """The end-to-end benchmark of Table 1 (and, on the labelled part only, of Table 2)."""
    device = torch.device(device) if device is not None else select_device()
    torch.manual_seed(config.seed)
    module = BenchmarkClassifier(model_config, dropout=config.dropout).to(device)
    return module, fit_classifier(module, x, y, config, val, progress)


def train_head(model: EquiVAE, x: torch.Tensor, y: torch.Tensor, config: ClassifierConfig = ClassifierConfig(),
               val: tuple[torch.Tensor, torch.Tensor] | None = None, progress: bool = True
               ) -> tuple[nn.Module, list[dict]]:
    """A dense dropout head (128, 64) on the frozen embedding ``r({x})`` of a trained EquiVAE.

    Returns ``(classifier, history)``; the classifier maps images to logits (embedding + head).
    """
    device = next(model.parameters()).device
    torch.manual_seed(config.seed)
    head = ClassifierHead(model.config.latent_dim, model.config.n_classes, dropout=config.dropout).to(device)
    emb = embed_images(model, x)
    val_emb = (embed_images(model, val[0]), val[1]) if val is not None else None
    history = fit_classifier(head, emb, y, config, val_emb, progress)
    return _EmbeddingClassifier(model, head), history


class _EmbeddingClassifier(nn.Module):
    """Images -> ``r({x})`` (frozen EquiVAE) -> head logits."""

    def __init__(self, model: EquiVAE, head: nn.Module) -> None:
        super().__init__()
        self.model, self.head = model, head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            z = self.model.eval().embed(x)
        return self.head(z)


def classifier_errors(model: EquiVAE, config: TrainConfig, data: ImageData, head: ClassifierConfig | None = None
                ) -> dict[str, float]:
    """Test-set errors (fractions) of a trained EquiVAE's classifiers (Sec. 3.1, Tables 1-2).

    The labelled training images of the run (``split_labelled`` with ``config.seed``) give the class
    means of the distance classifier and train the head.

    Returns:
        ``{"distance"}`` (nearest class mean of ``r({x})``), ``"head"`` (a :class:`ClassifierHead` on
        ``r({x})``, trained with ``head`` and seed ``config.seed``; only when ``head`` is given) and
        ``"label_posterior"`` (``q(y | x)``; only for semi-supervised models).
    """
    k = model.config.n_classes
    lab, _ = split_labelled(data.train_y, config.labels, k, config.seed)
    pool_x, pool_y = data.train_x[lab], data.train_y[lab]
    means = class_means(embed_images(model, pool_x), pool_y, k)
    errors = {"distance": error_rate(distance_logits(embed_images(model, data.test_x), means), data.test_y)}
    if head is not None:
        classifier, _ = train_head(model, pool_x, pool_y, dataclasses.replace(head, seed=config.seed), progress=False)
        errors["head"] = error_rate(predict(classifier, data.test_x), data.test_y)
    if model.label_posterior is not None:
        errors["label_posterior"] = error_rate(predict(_LabelPosteriorClassifier(model), data.test_x), data.test_y)
    return errors


class _LabelPosteriorClassifier(nn.Module):
    """Images -> logits of ``q(y | x)`` of an EquiVAE."""

    def __init__(self, model: EquiVAE) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.label_logits(x)


def benchmark_errors(config: TrainConfig, seeds: list[int], classifier: ClassifierConfig, data: ImageData,
                     device: torch.device | str | None = "cpu") -> list[float]:
    """Test errors of the end-to-end benchmark (``BenchmarkClassifier(config.model)``), one per seed.

    Seed ``s`` trains on the labelled images of ``split_labelled(..., seed=s)`` (all training images
    when ``config.labels`` is ``None``), with ``classifier`` and seed ``s``: the same labelled subset as
    the EquiVAE run with seed ``s``.
    """
    errors = []
    for s in seeds:
        lab, _ = split_labelled(data.train_y, config.labels, config.model.n_classes, s)
        module, _ = train_benchmark(config.model, data.train_x[lab], data.train_y[lab],
                                    dataclasses.replace(classifier, seed=s), device=device, progress=False)
        errors.append(error_rate(predict(module, data.test_x), data.test_y))
    return errors
