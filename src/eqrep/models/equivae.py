"""EquiVAE: an invariant class representation and an equivariant VAE latent (Feige, ICML 2019).

Two latents route the information of an image ``x`` of class ``y``:

* the **invariant** ``r_y`` (Sec. 2.1, Eq. 2) never sees ``x``. It is the mean of an embedding
  ``f_inv`` over ``m`` *complementary* images of the same class (``x`` itself excluded), followed
  by dense layers; it is deterministic, and ``m ~ U{1, ..., m_max}`` changes every step so that it
  also works for ``m = 1``: then ``r({x})`` embeds a single unlabelled image (:meth:`EquiVAE.embed`);
* the **equivariant** ``v ~ q(v | r_y, x)`` (Eq. 3) is an ordinary Gaussian VAE latent with prior
  ``N(0, I)``; it only needs to store what ``r_y`` cannot: the style of ``x`` within its class.

The decoder ``p(x | r_y, v)`` is Bernoulli (MNIST) or Gaussian (SVHN) per pixel. Objectives:
the labelled bound ``L_lab`` (Eq. 4, :func:`labelled_elbo`), the unlabelled bound ``L_unlab``
(Eq. 6, :func:`unlabelled_elbo`) whose expectation over ``q(y | x)`` is summed exactly over the
classes, and their sum ``L_semi`` (Eq. 7) with ``log q(y | x)`` added on labelled data
(:func:`semi_supervised_loss`).

Architecture (App. B; where the paper leaves a size open, the choice is marked *ours*):

* :class:`ConvTrunk`: five 5 x 5 convolutions (stride 1, then 2; filters 8/16/32/64/64; padding 2,
  ReLU), flattened, one dense layer of ``dense[0] = 128`` units. ``f_inv`` is this trunk.
* ``r``: mean over the ``m`` trunk outputs, a dense layer of ``dense[1] = 64`` units and a linear
  layer to ``latent_dim`` (16 in the supervised runs; 8 with halved dense sizes (64, 32) in the
  semi-supervised MNIST runs).
* ``q(v | r, x)``: its own trunk on ``x`` (same architecture, separate weights), concatenated with
  one dense layer on ``r`` (``dense[1]`` units, *ours*); then, separately for ``mu`` and
  ``log sigma^2``, a dense hidden layer (``dense[1]`` units, *ours*) and a linear output.
* ``p(x | r, v)``: ``r`` and ``v`` each through a dense layer (``dense[1] = 64``), concatenated, a
  dense layer (``dense[0] = 128``), a linear map to the encoder's last feature map
  (``64 x ceil(H/16) x ceil(W/16)``, *ours*: the paper does not say how the flat vector becomes an
  image), four 5 x 5 stride-2 transposed convolutions (64/32/16/8 filters) and a stride-1 5 x 5
  convolution to the image channels, padded (or cropped) so that any image size comes out
  exactly (28 x 28 from 32 x 32 without padding). Outputs are Bernoulli logits or Gaussian
  means; the Gaussian has one learned log-scale per channel (*ours*).
* ``q(y | x)`` (semi-supervised only): its own trunk on ``x`` concatenated with
  ``stop_grad(f_inv(x))``, then a dense dropout network (``dense`` units) to class logits.
* Initialisation (*ours*): He (Kaiming) normal weights and zero biases in every layer
  (:func:`he_init`). With PyTorch's default initialisation this deep plain-ReLU model sits on the
  "mean image" plateau (reconstruction ~ 207 nats on MNIST, ``KL ~ 0``, ``r`` at chance) for
  hundreds of steps; with He initialisation it leaves it within ~200 steps.

Classifiers on ``f_inv`` (Sec. 3.1): the parameter-free distance classifier
``p(y | x) ∝ exp(-||r({x}) - r_y||^2)`` (:func:`distance_logits`, with class means from the
training data, :func:`class_means`), a small dense dropout head (:class:`ClassifierHead`) and the
end-to-end benchmark of the same architecture plus two dropout layers
(:class:`BenchmarkClassifier`). In Sec. 3.1 the paper writes ``f_inv(x)`` for the embedding of a
single image compared with the ``r_y``; since the two must live in the same space, we take it as
``r({x})``, the invariant pathway with ``m = 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["he_init", "EquiVAEConfig", "ConvTrunk", "InvariantEncoder", "EquivariantEncoder", "Decoder",
           "LabelPosterior", "EquiVAE", "EquiVAEOutput", "ClassifierHead", "BenchmarkClassifier", "sample_same_class",
           "complementary_indices", "reconstruction_nll", "kl_to_prior", "class_log_prior", "labelled_elbo",
           "unlabelled_elbo", "supervised_loss", "semi_supervised_loss", "class_means", "distance_logits",
           "embed_images", "validation_metrics"]

LIKELIHOODS = ("bernoulli", "gaussian")
LOGVAR_MIN, LOGVAR_MAX = -15.0, 10.0  # range of log sigma^2 of q(v | r, x)


@dataclass(frozen=True)
class EquiVAEConfig:
    """Sizes of an EquiVAE (defaults: App. B for MNIST with 16-dimensional latents).

    Attributes:
        image_shape: ``(C, H, W)``; ``(1, 28, 28)`` for MNIST, ``(3, 32, 32)`` for SVHN.
        likelihood: ``"bernoulli"`` (pixels in ``[0, 1]``) or ``"gaussian"`` (standardised pixels).
        n_classes: Number of classes ``K``.
        latent_dim: Dimension of ``r`` (and of ``v`` unless ``v_dim`` is given).
        v_dim: Dimension of ``v`` when it differs from ``r``'s (*ours*: the paper uses one size for both).
        filters: Filters of the five convolutions (the decoder mirrors them).
        dense: ``(first, second)`` dense widths, ``(128, 64)``; halved for 8-dimensional latents.
        label_posterior: Build ``q(y | x)`` (needed for semi-supervised training).
        dropout: Dropout rate of ``q(y | x)`` (the paper does not state it).
    """

    image_shape: tuple[int, int, int] = (1, 28, 28)
    likelihood: str = "bernoulli"
    n_classes: int = 10
    latent_dim: int = 16
    filters: tuple[int, ...] = (8, 16, 32, 64, 64)
    dense: tuple[int, int] = (128, 64)
    label_posterior: bool = False
    dropout: float = 0.5
    v_dim: int | None = None

    def __post_init__(self) -> None:
        # JSON manifests turn tuples into lists; keep the dataclass hashable and comparable
        for name in ("image_shape", "filters", "dense"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"unknown likelihood '{self.likelihood}'; use one of {LIKELIHOODS}")
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be (C, H, W), got {self.image_shape}")
        if len(self.filters) != 5 or len(self.dense) != 2:
            raise ValueError(f"need 5 filters and 2 dense widths, got {self.filters} and {self.dense}")
        if self.n_classes < 2 or self.latent_dim < 1:
            raise ValueError(f"need n_classes >= 2 and latent_dim >= 1, got {self.n_classes}, {self.latent_dim}")
        if self.v_dim is not None and self.v_dim < 1:
            raise ValueError(f"v_dim must be >= 1 (or None: latent_dim), got {self.v_dim}")

    @property
    def v_size(self) -> int:
        """Dimension of ``v``: ``v_dim``, or ``latent_dim`` when it is ``None``."""
        return self.latent_dim if self.v_dim is None else self.v_dim

    @property
    def seed_shape(self) -> tuple[int, int]:
        """Spatial size of the last feature map: ``ceil(H / 16), ceil(W / 16)``."""
        return math.ceil(self.image_shape[1] / 16), math.ceil(self.image_shape[2] / 16)


def he_init(model: nn.Module) -> nn.Module:
    """He (Kaiming) normal initialisation for ReLU networks, zero biases, for every (transposed)
    convolution and linear layer of ``model``; returns ``model``."""
    for layer in model.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model


def _mlp(sizes: list[int], dropout: float = 0.0, final_activation: bool = True) -> nn.Sequential:
    """Dense layers ``sizes[0] -> ... -> sizes[-1]`` with ReLU (and dropout after each hidden ReLU)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.ReLU())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


# ----------------------------------------------------------------------------- networks

class ConvTrunk(nn.Module):
    """Five 5 x 5 convolutions (stride 1, then 2) and one dense layer: ``(N, C, H, W) -> (N, dense[0])``."""

    def __init__(self, config: EquiVAEConfig) -> None:
        super().__init__()
        c, h, w = config.image_shape
        convs: list[nn.Module] = []
        for i, out in enumerate(config.filters):
            convs += [nn.Conv2d(c, out, 5, stride=1 if i == 0 else 2, padding=2), nn.ReLU()]
            c = out
        self.convs = nn.Sequential(*convs)
        sh, sw = config.seed_shape
        self.dense = nn.Sequential(nn.Linear(c * sh * sw, config.dense[0]), nn.ReLU())
        self.image_shape = config.image_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` -> features ``(N, dense[-1])``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"expected images (N, {', '.join(map(str, self.image_shape))}), got {tuple(x.shape)}")
        return self.dense(self.convs(x).flatten(1))


class InvariantEncoder(nn.Module):
    """``f_inv`` (a :class:`ConvTrunk`) and the dense layers after the mean over ``m`` samples (Eq. 2)."""

    def __init__(self, config: EquiVAEConfig) -> None:
        super().__init__()
        self.trunk = ConvTrunk(config)
        d0, d1 = config.dense
        self.head = _mlp([d0, d1, config.latent_dim], final_activation=False)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``f_inv(x)``: ``(N, C, H, W) -> (N, dense[0])``."""
        return self.trunk(x)

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        """``r`` from the features of ``m`` samples each: ``(Q, m, F) -> (Q, latent_dim)``."""
        return self.head(features.mean(1))

    def forward(self, x_sets: torch.Tensor) -> torch.Tensor:
        """``r`` of sets of images: ``(Q, m, C, H, W) -> (Q, latent_dim)``."""
        q, m = x_sets.shape[:2]
        return self.pool(self.features(x_sets.flatten(0, 1)).view(q, m, -1))


class EquivariantEncoder(nn.Module):
    """``q(v | r, x) = N(mu, diag sigma^2)`` (Eq. 3): trunk on ``x`` + dense on ``r``, two heads."""

    def __init__(self, config: EquiVAEConfig) -> None:
        super().__init__()
        d0, d1 = config.dense
        self.trunk = ConvTrunk(config)
        self.from_r = _mlp([config.latent_dim, d1])
        self.mu = _mlp([d0 + d1, d1, config.v_size], final_activation=False)
        self.logvar = _mlp([d0 + d1, d1, config.v_size], final_activation=False)

    def from_features(self, h: torch.Tensor, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Trunk features ``(N, dense[0])`` and ``r`` ``(N, L)`` -> ``mu, log sigma^2`` ``(N, V)``.

        ``log sigma^2`` is clamped to ``[LOGVAR_MIN, LOGVAR_MAX]`` (*ours*): in the unlabelled bound the
        encoder also sees the ``r_y`` of wrong classes, and an unbounded ``log sigma^2`` there can
        overflow ``exp`` (an infinite KL times ``q(y | x) = 0`` is NaN).
        """
        joint = torch.cat([h, self.from_r(r)], dim=-1)
        return self.mu(joint), self.logvar(joint).clamp(LOGVAR_MIN, LOGVAR_MAX)

    def forward(self, x: torch.Tensor, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images ``(N, C, H, W)`` and ``r`` ``(N, L)`` -> ``mu, log sigma^2`` ``(N, V)`` (``V = config.v_size``)."""
        return self.from_features(self.trunk(x), r)


class Decoder(nn.Module):
    """``p(x | r, v)``: dense layers on ``r`` and ``v``, then DCGAN-style transposed convolutions."""

    def __init__(self, config: EquiVAEConfig) -> None:
        super().__init__()
        d0, d1 = config.dense
        c, h, w = config.image_shape
        sh, sw = self.seed = config.seed_shape
        top = config.filters[-1]
        self.from_r = _mlp([config.latent_dim, d1])
        self.from_v = _mlp([config.v_size, d1])
        self.joint = _mlp([2 * d1, d0, top * sh * sw])
        layers: list[nn.Module] = []
        for out in reversed(config.filters[:-1]):  # 64, 32, 16, 8: each doubles the size
            layers += [nn.ConvTranspose2d(top, out, 5, stride=2, padding=2, output_padding=1), nn.ReLU()]
            top = out
        self.deconvs = nn.Sequential(*layers)
        self.out = nn.Conv2d(top, c, 5)  # stride 1, no padding: (16 s + pad - 4) = H after _fit
        # pad (or crop, when negative) the 16 s x 16 s map so that the 5 x 5 convolution gives H x W
        ph, pw = h + 4 - 16 * sh, w + 4 - 16 * sw
        self.fit = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
        self.top = config.filters[-1]

    def forward(self, r: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``r`` ``(N, L)`` and ``v`` ``(N, V)`` -> pixel parameters ``(N, C, H, W)`` (logits or means)."""
        x = self.joint(torch.cat([self.from_r(r), self.from_v(v)], dim=-1))
        x = self.deconvs(x.view(len(x), self.top, *self.seed))
        return self.out(F.pad(x, self.fit))


class LabelPosterior(nn.Module):
    """``q(y | x)`` (App. B): its own trunk on ``x`` and ``stop_grad(f_inv(x))`` -> class logits."""

    def __init__(self, config: EquiVAEConfig) -> None:
        super().__init__()
        d0, d1 = config.dense
        self.trunk = ConvTrunk(config)
        self.head = nn.Sequential(nn.Dropout(config.dropout),
                                  _mlp([2 * d0, d0, d1], dropout=config.dropout),
                                  nn.Linear(d1, config.n_classes))

    def forward(self, x: torch.Tensor, f_inv: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` and ``f_inv(x)`` ``(N, dense[0])`` -> logits ``(N, K)``."""
        return self.head(torch.cat([self.trunk(x), f_inv.detach()], dim=-1))


@dataclass
class EquiVAEOutput:
    """Pixel parameters ``(N, C, H, W)`` and the statistics and sample of ``q(v | r, x)`` ``(N, L)``."""

    params: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    v: torch.Tensor


class EquiVAE(nn.Module):
    """The EquiVAE of App. B: invariant pathway, ``q(v | r, x)``, ``p(x | r, v)`` and optionally ``q(y | x)``."""

    def __init__(self, config: EquiVAEConfig = EquiVAEConfig()) -> None:
        super().__init__()
        self.config = config
        self.invariant = InvariantEncoder(config)
        self.encoder = EquivariantEncoder(config)
        self.decoder = Decoder(config)
        self.label_posterior = LabelPosterior(config) if config.label_posterior else None
        # Gaussian likelihood: one learned log standard deviation per channel
        self.log_scale = nn.Parameter(torch.zeros(config.image_shape[0])) if config.likelihood == "gaussian" else None
        he_init(self)

    def f_inv(self, x: torch.Tensor) -> torch.Tensor:
        """The invariant embedding ``f_inv(x)``: ``(N, C, H, W) -> (N, dense[0])``."""
        return self.invariant.features(x)

    def represent(self, x_sets: torch.Tensor) -> torch.Tensor:
        """``r`` of sets of same-class images (Eq. 2): ``(Q, m, C, H, W) -> (Q, L)``."""
        return self.invariant(x_sets)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """``r({x})`` of single images (``m = 1``), for classification: ``(N, C, H, W) -> (N, L)``."""
        return self.invariant.pool(self.f_inv(x)[:, None])

    def encode(self, x: torch.Tensor, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``q(v | r, x)``: ``mu, log sigma^2`` ``(N, V)``."""
        return self.encoder(x, r)

    def decode(self, r: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Pixel parameters ``(N, C, H, W)`` of ``p(x | r, v)``: Bernoulli logits or Gaussian means."""
        return self.decoder(r, v)

    def mean_image(self, r: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The decoded image: pixel probabilities (Bernoulli) or means (Gaussian), ``(N, C, H, W)``."""
        params = self.decode(r, v)
        return torch.sigmoid(params) if self.config.likelihood == "bernoulli" else params

    def label_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, K)`` of ``q(y | x)``, which sees ``stop_grad(f_inv(x))``."""
        if self.label_posterior is None:
            raise RuntimeError("this EquiVAE has no q(y|x); build it with EquiVAEConfig(label_posterior=True)")
        return self.label_posterior(x, self.f_inv(x))

    def forward(self, x: torch.Tensor, r: torch.Tensor, sample: bool = True) -> EquiVAEOutput:
        """Encode ``x`` given ``r``, draw ``v = mu + sigma * eps`` (or take ``mu``), decode ``(r, v)``."""
        mu, logvar = self.encode(x, r)
        v = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        return EquiVAEOutput(self.decode(r, v), mu, logvar, v)


class ClassifierHead(nn.Module):
    """A dense dropout network (Sec. 3.1: 128 and 64 units) on a fixed embedding: ``(N, D) -> (N, K)``."""

    def __init__(self, in_dim: int, n_classes: int, hidden: tuple[int, ...] = (128, 64), dropout: float = 0.5) -> None:
        super().__init__()
        self.net = he_init(nn.Sequential(_mlp([in_dim, *hidden], dropout=dropout), nn.Linear(hidden[-1], n_classes)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Embeddings ``(N, latent_dim)`` -> logits ``(N, n_classes)``."""
        return self.net(z)


class BenchmarkClassifier(nn.Module):
    """The end-to-end benchmark: ``f_inv``'s architecture (trunk, dense ``dense[1]``) with two dropout
    layers and a linear layer to the class logits: ``(N, C, H, W) -> (N, K)``."""

    def __init__(self, config: EquiVAEConfig, dropout: float = 0.5) -> None:
        super().__init__()
        d0, d1 = config.dense
        self.trunk = ConvTrunk(config)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(d0, d1), nn.ReLU(), nn.Dropout(dropout),
                                  nn.Linear(d1, config.n_classes))
        he_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, C, H, W)`` -> logits ``(N, n_classes)``."""
        return self.head(self.trunk(x))


# ----------------------------------------------------------------------------- complementary samples

def sample_same_class(pool_labels: torch.Tensor, targets: torch.Tensor, m: int,
                      generator: torch.Generator | None = None, exclude: torch.Tensor | None = None) -> torch.Tensor:
    """For each target class, ``m`` distinct pool indices of that class, never the excluded one.

    Args:
        pool_labels: ``(N,)`` labels of the pool (the labelled training set, or a batch).
        targets: ``(Q,)`` the class to draw from for each query.
        m: Samples per query (without replacement).
        generator: CPU generator (the draw happens on the CPU, so it is identical on every device).
        exclude: ``(Q,)`` a pool index per query that must never be drawn (the query itself), or ``None``.

    Returns:
        ``(Q, m)`` int64 indices into the pool (on the CPU).

    Raises:
        ValueError: ``m < 1``, or a class has fewer than ``m`` eligible members.
    """
    pool_labels, targets = pool_labels.cpu().long(), targets.cpu().long()
    if m < 1:
        raise ValueError(f"need m >= 1 complementary samples, got {m}")
    out = torch.empty(len(targets), m, dtype=torch.long)
    for c in targets.unique().tolist():
        members = (pool_labels == c).nonzero().squeeze(1)
        rows = (targets == c).nonzero().squeeze(1)
        scores = torch.rand(len(rows), len(members), generator=generator)
        eligible = torch.full((len(rows),), len(members))
        if exclude is not None:
            hit = members[None, :] == exclude.cpu().long()[rows, None]  # (rows, members)
            scores = scores.masked_fill(hit, float("inf"))
            eligible = eligible - hit.sum(1)
        if int(eligible.min()) < m:
            why = " (the sample itself excluded)" if exclude is not None else ""
            raise ValueError(f"class {c} has {int(eligible.min())} eligible samples{why} in a pool of "
                             f"{len(pool_labels)}, but m = {m} are needed; use more labelled data per class "
                             f"or a smaller m_max")
        out[rows] = members[scores.topk(m, dim=1, largest=False).indices]  # m smallest scores: uniform, distinct
    return out


def complementary_indices(labels: torch.Tensor, m: int, generator: torch.Generator | None = None,
                          query: torch.Tensor | None = None) -> torch.Tensor:
    """``m`` complementary samples per query: same class, distinct, never the query itself (Eq. 2).

    The pool is the whole labelled set ``labels`` (the paper samples from the training set; our
    training loop passes the labelled training labels, so a batch never limits ``m``).

    Args:
        labels: ``(N,)`` labels of the pool.
        query: ``(Q,)`` pool indices of the samples to reconstruct (default: all of them).

    Returns:
        ``(Q, m)`` pool indices; row ``q`` has label ``labels[query[q]]`` and never contains ``query[q]``.
    """
    query = torch.arange(len(labels)) if query is None else query.cpu().long()
    if len(query) and (int(query.min()) < 0 or int(query.max()) >= len(labels)):
        raise ValueError(f"query indices must lie in [0, {len(labels)})")
    return sample_same_class(labels, labels.cpu()[query], m, generator, exclude=query)


# ----------------------------------------------------------------------------- bounds

def reconstruction_nll(params: torch.Tensor, x: torch.Tensor, likelihood: str,
                       log_scale: torch.Tensor | None = None) -> torch.Tensor:
    """``-log p(x | r, v)`` per image, summed over pixels: ``(N, C, H, W) -> (N,)`` (float32).

    Bernoulli: ``params`` are logits and ``x`` in ``[0, 1]``. Gaussian: ``params`` are means and
    ``log_scale`` ``(C,)`` the per-channel log standard deviations.
    """
    params, x = params.float(), x.float()
    if likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(params, x, reduction="none").flatten(1).sum(1)
    if likelihood == "gaussian":
        if log_scale is None:
            raise ValueError("the Gaussian likelihood needs log_scale")
        ls = log_scale.float().clamp(min=-5.0)[None, :, None, None]
        nll = 0.5 * ((x - params) * torch.exp(-ls)) ** 2 + ls + 0.5 * math.log(2 * math.pi)
        return nll.flatten(1).sum(1)
    raise ValueError(f"unknown likelihood '{likelihood}'")


def kl_to_prior(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag exp(logvar)) || N(0, I))`` per row: ``(..., L) -> (...)`` (float32, ``>= 0``)."""
    mu, logvar = mu.float(), logvar.float()
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def class_log_prior(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """``log p(y)`` from the relative class frequencies of labelled data: ``(N,) -> (K,)``."""
    counts = torch.bincount(labels.cpu().long(), minlength=n_classes).double()
    if len(counts) > n_classes or (counts == 0).any():
        raise ValueError(f"every one of the {n_classes} classes needs labelled data, got counts {counts.tolist()}")
    return (counts / counts.sum()).log().float()


def labelled_elbo(model: EquiVAE, x: torch.Tensor, r: torch.Tensor, y: torch.Tensor, log_prior: torch.Tensor,
                  sample: bool = True) -> dict[str, torch.Tensor]:
    """The labelled bound ``L_lab`` of Eq. 4 per image.

    Args:
        x: ``(B, C, H, W)``; r: ``(B, L)`` from complementary samples of class ``y``; y: ``(B,)``.
        log_prior: ``(K,)`` ``log p(y)``.

    Returns:
        ``{"reconstruction": -log p(x | r, v), "kl": KL(q(v | r, x) || p(v)), "bound": L_lab}``, each ``(B,)``,
        with ``L_lab = -reconstruction - kl + log p(y)``.
    """
    out = model(x, r, sample=sample)
    rec = reconstruction_nll(out.params, x, model.config.likelihood, model.log_scale)
    kl = kl_to_prior(out.mu, out.logvar)
    return {"reconstruction": rec, "kl": kl, "bound": -rec - kl + log_prior.to(rec.device)[y]}


def unlabelled_elbo(model: EquiVAE, x: torch.Tensor, class_r: torch.Tensor, label_log_probs: torch.Tensor,
                    log_prior: torch.Tensor, sample: bool = True) -> dict[str, torch.Tensor]:
    """The unlabelled bound ``L_unlab`` of Eq. 6, with the expectation over ``q(y | x)`` summed exactly.

    Args:
        x: ``(B, C, H, W)`` unlabelled images.
        class_r: ``(K, L)`` ``r_y`` of every class (from labelled data, which ``x`` is not part of).
        label_log_probs: ``(B, K)`` ``log q(y | x)`` (``-inf`` allowed for ``q = 0``).
        log_prior: ``(K,)`` ``log p(y)``.

    Returns:
        ``{"reconstruction", "kl"}`` ``(B, K)`` per class, ``"q"`` ``(B, K)``, ``"label_kl"``
        ``KL(q(y | x) || p(y))`` ``(B,)`` and ``"bound"`` ``(B,)``:
        ``sum_y q(y | x) (-reconstruction_y - kl_y) - KL(q(y | x) || p(y))``.
    """
    b, k = label_log_probs.shape
    if class_r.shape[0] != k:
        raise ValueError(f"need one r_y per class: {k}, got {class_r.shape[0]}")
    h = model.encoder.trunk(x)  # the trunk sees each image once; the heads see every (x, r_y) pair
    r = class_r[None].expand(b, k, -1).reshape(b * k, -1)
    mu, logvar = model.encoder.from_features(h.repeat_interleave(k, 0), r)
    v = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
    params = model.decode(r, v)
    rec = reconstruction_nll(params, x.repeat_interleave(k, 0), model.config.likelihood, model.log_scale).view(b, k)
    kl = kl_to_prior(mu, logvar).view(b, k)
    log_q = label_log_probs.float()
    q = log_q.exp()
    # 0 log 0 = 0, also for the gradient: xlogy(q, q) has the gradient log q + 1 = -inf where q underflows
    # to 0, and 0 * -inf = NaN would reach q(y|x) once it is confident
    safe_log_q = torch.where(q > 0, log_q, torch.zeros_like(log_q))
    label_kl = (q * (safe_log_q - log_prior.to(q.device)[None])).sum(1)
    return {"reconstruction": rec, "kl": kl, "q": q, "label_kl": label_kl,
            "bound": (q * (-rec - kl)).sum(1) - label_kl}


def supervised_loss(labelled: dict[str, torch.Tensor]) -> torch.Tensor:
    """Training loss of the supervised EquiVAE: ``-mean L_lab`` (Eq. 4), a scalar from the per-image
    bounds ``labelled["bound"]`` ``(N,)``."""
    return -labelled["bound"].mean()


def semi_supervised_loss(labelled: dict[str, torch.Tensor], labelled_log_q: torch.Tensor,
                         unlabelled: dict[str, torch.Tensor] | None, label_weight: float = 1.0) -> torch.Tensor:
    """Training loss of the semi-supervised EquiVAE (Eq. 7), per step:
    ``-(mean (L_lab + alpha log q(y | x)) over the labelled batch + mean L_unlab over the unlabelled batch)``.

    ``labelled_log_q``: ``(B,)`` ``log q(y | x)`` of the true labels. ``label_weight`` is ``alpha``: the
    paper uses no weight (``alpha = 1``); Kingma et al. (2014) weight their classification term.
    ``unlabelled=None`` leaves out the unlabelled bound (a warm-up on the labelled data only).
    """
    labelled_part = (labelled["bound"] + label_weight * labelled_log_q.float()).mean()
    return -labelled_part if unlabelled is None else -(labelled_part + unlabelled["bound"].mean())


# ----------------------------------------------------------------------------- classifiers on f_inv

def class_means(embeddings: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Mean embedding of each class (the ``r_y`` of the distance classifier): ``(N, L), (N,) -> (K, L)``."""
    labels = labels.to(embeddings.device).long()
    counts = torch.bincount(labels, minlength=n_classes)
    if len(counts) > n_classes or (counts == 0).any():
        raise ValueError(f"every one of the {n_classes} classes needs at least one sample, got {counts.tolist()}")
    sums = torch.zeros(n_classes, embeddings.shape[1], dtype=embeddings.dtype, device=embeddings.device)
    return sums.index_add_(0, labels, embeddings) / counts[:, None].to(embeddings.dtype)


def distance_logits(embeddings: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """Logits ``-||e - r_y||^2`` of the distance classifier ``p(y | x) ∝ exp(-||e - r_y||^2)``.

    ``(N, L)`` embeddings and ``(K, L)`` class means -> ``(N, K)``.
    """
    return -torch.cdist(embeddings.float(), means.float()).pow(2)


@torch.no_grad()
def embed_images(model: EquiVAE, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """``r({x})`` (``m = 1``) of many images, in batches, in eval mode: ``(N, C, H, W) -> (N, L)`` on ``x``'s device."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = torch.cat([model.embed(x[i:i + batch_size].to(device)).float() for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out.to(x.device)


@torch.no_grad()
def validation_metrics(model: EquiVAE, x: torch.Tensor, y: torch.Tensor, pool_x: torch.Tensor, pool_y: torch.Tensor,
                       m: int,
             batch_size: int = 512, seed: int = 0) -> dict[str, float]:
    """Validation metrics of an EquiVAE (eval mode, ``v = mu``).

    Args:
        x, y: Images ``(N, C, H, W)`` and labels ``(N,)`` to evaluate (not part of the pool).
        pool_x, pool_y: The labelled training images that provide ``r_y`` and the class means.
        m: Complementary samples per image (drawn with ``seed``).

    Returns:
        ``{"reconstruction", "kl", "loss", "accuracy"}`` (+ ``"label_accuracy"`` of ``q(y|x)``):
        per-image means; ``accuracy`` is the distance classifier's.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    zero_prior = torch.zeros(model.config.n_classes, device=device)
    sums = {"reconstruction": 0.0, "kl": 0.0}
    comp = sample_same_class(pool_y, y, m, gen)
    for s in range(0, len(x), batch_size):
        xb = x[s:s + batch_size].to(device)
        r = model.represent(pool_x[comp[s:s + batch_size].to(pool_x.device)].to(device))
        terms = labelled_elbo(model, xb, r, y[s:s + batch_size].to(device), zero_prior, sample=False)
        sums["reconstruction"] += float(terms["reconstruction"].sum())
        sums["kl"] += float(terms["kl"].sum())
    metrics = {k: v / len(x) for k, v in sums.items()}
    metrics["loss"] = metrics["reconstruction"] + metrics["kl"]
    means = class_means(embed_images(model, pool_x, batch_size), pool_y.to(pool_x.device), model.config.n_classes)
    logits = distance_logits(embed_images(model, x, batch_size), means)
    metrics["accuracy"] = float((logits.argmax(1).cpu() == y.cpu()).float().mean())
    if model.label_posterior is not None:
        logits = torch.cat([model.label_logits(x[s:s + batch_size].to(device)).cpu()
                            for s in range(0, len(x), batch_size)])
        metrics["label_accuracy"] = float((logits.argmax(1) == y.cpu()).float().mean())
    model.train(was_training)
    return metrics
