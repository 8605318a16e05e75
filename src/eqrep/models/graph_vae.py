"""Permutation-equivariant graph VAE for QM9 (Hansen et al. 2024, Sec. 5.1 and App. C).

Graphs are one-hot node features ``(B, n, 5)`` and edge features ``(B, n, n, 4)``. The latent
is one real number per node, ``Z = R^n`` (mean and log-variance per node); sorting it along the
node axis (:func:`eqrep.invariants.sort_nodes`) is the isometric invariant projection.

Encoder: hybrid node+edge -> edge layer, two edge -> edge layers, edge -> node to the latent.
Decoder: node -> edge, two edge -> edge layers, then an edge -> edge head (symmetrised,
``E + E^T``) and an edge -> node head; softmax outputs (logits here; the loss applies them).
Every hidden linear layer is followed by :class:`~eqrep.layers.pointwise.PointwiseBlock`.
The whole model commutes with node permutations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from eqrep.layers.permutation import EdgeToEdge, EdgeToNode, NodeToEdge
from eqrep.layers.pointwise import PointwiseBlock

__all__ = ["GraphVAEConfig", "GraphVAE", "VAEOutput", "elbo_terms", "negative_elbo"]


@dataclass(frozen=True)
class GraphVAEConfig:
    """Sizes of the graph VAE."""

    node_types: int = 5
    edge_types: int = 4
    hidden: int = 20
    latent_channels: int = 1


@dataclass
class VAEOutput:
    """Decoder logits ``(B, n, 5)``, ``(B, n, n, 4)`` and latent statistics ``(B, n, L)``."""

    node_logits: torch.Tensor
    edge_logits: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


class GraphVAE(nn.Module):
    """The permutation-equivariant VAE of App. C (channels-last)."""

    def __init__(self, config: GraphVAEConfig = GraphVAEConfig()) -> None:
        super().__init__()
        self.config = c = config
        h = c.hidden
        # encoder
        self.enc_nodes = NodeToEdge(c.node_types, h)
        self.enc_edges = EdgeToEdge(c.edge_types, h)
        self.enc_blocks = nn.ModuleList([PointwiseBlock(2 * h, h), PointwiseBlock(h), PointwiseBlock(h)])
        self.enc_layers = nn.ModuleList([EdgeToEdge(h, h), EdgeToEdge(h, h)])
        self.to_latent = EdgeToNode(h, 2 * c.latent_channels)
        # decoder
        self.from_latent = NodeToEdge(c.latent_channels, h)
        self.dec_blocks = nn.ModuleList([PointwiseBlock(h), PointwiseBlock(h), PointwiseBlock(h)])
        self.dec_layers = nn.ModuleList([EdgeToEdge(h, h), EdgeToEdge(h, h)])
        self.edge_head = EdgeToEdge(h, c.edge_types)
        self.node_head = EdgeToNode(h, c.node_types)

    def encode(self, nodes: torch.Tensor, edges: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One-hot graphs ``(B, n, 5)``, ``(B, n, n, 4)`` -> latent mean and log-variance ``(B, n, L)``
        (the inputs are cast to the parameters' dtype)."""
        dtype = self.to_latent.weight.dtype
        x = torch.cat([self.enc_nodes(nodes.to(dtype)), self.enc_edges(edges.to(dtype))], dim=-1)
        x = self.enc_blocks[0](x)
        for layer, block in zip(self.enc_layers, self.enc_blocks[1:], strict=True):
            x = block(layer(x))
        mu, logvar = self.to_latent(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent ``(B, n, L)`` -> node logits ``(B, n, 5)`` and symmetric edge logits ``(B, n, n, 4)``."""
        x = self.dec_blocks[0](self.from_latent(z))
        for layer, block in zip(self.dec_layers, self.dec_blocks[1:], strict=True):
            x = block(layer(x))
        edge_logits = self.edge_head(x)
        return self.node_head(x), edge_logits + edge_logits.transpose(1, 2)

    def forward(self, nodes: torch.Tensor, edges: torch.Tensor, sample: bool = True,
                noise: torch.Tensor | None = None) -> VAEOutput:
        """Encode one-hot graphs ``(B, n, 5)``, ``(B, n, n, 4)``; sample ``z = mu + sigma * eps``
        (``eps = noise`` of shape ``(B, n, L)`` when given, else standard normal; ``z = mu`` when
        ``sample`` is false); decode."""
        mu, logvar = self.encode(nodes, edges)
        if noise is not None and noise.shape != mu.shape:
            raise ValueError(f"noise has shape {tuple(noise.shape)}, the latent {tuple(mu.shape)}")
        eps = noise if noise is not None else torch.randn_like(mu)
        z = mu + eps.to(mu.dtype) * torch.exp(0.5 * logvar) if sample else mu
        node_logits, edge_logits = self.decode(z)
        return VAEOutput(node_logits, edge_logits, mu, logvar, z)

    @torch.no_grad()
    def decode_graphs(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Most likely graph of each latent: index tensors ``(B, n)`` and ``(B, n, n)``."""
        node_logits, edge_logits = self.decode(z)
        return node_logits.argmax(-1), edge_logits.argmax(-1)


def elbo_terms(out: VAEOutput, node_types: torch.Tensor, edge_types: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-graph negative ELBO terms, each averaged over the batch.

    Args:
        out: Model output.
        node_types: ``(B, n)`` target indices; edge_types: ``(B, n, n)`` target indices.

    Returns:
        ``{"nodes": ..., "edges": ..., "kl": ...}``: categorical negative log-likelihood of the
        nodes and of the edges ``i < j`` (the graph is undirected; the diagonal carries no bond),
        and ``KL(q(z|G) || N(0, I))``, each summed over the graph and averaged over the batch.
    """
    b, n = node_types.shape
    # at least float32 (under bfloat16 autocast); a float64 model keeps float64
    node_logits, edge_logits, mu, logvar = (t.to(torch.promote_types(t.dtype, torch.float32))
                                            for t in (out.node_logits, out.edge_logits, out.mu, out.logvar))
    nll_nodes = F.cross_entropy(node_logits.reshape(-1, node_logits.shape[-1]),
                                node_types.reshape(-1), reduction="sum") / b
    iu = torch.triu_indices(n, n, offset=1, device=edge_types.device)
    logits = edge_logits[:, iu[0], iu[1]]
    nll_edges = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), edge_types[:, iu[0], iu[1]].reshape(-1),
                                reduction="sum") / b
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum() / b
    return {"nodes": nll_nodes, "edges": nll_edges, "kl": kl}


def negative_elbo(terms: dict[str, torch.Tensor], kl_weight: float = 1.0) -> torch.Tensor:
    """The training loss, a scalar, from the batch-mean terms of :func:`elbo_terms`:
    ``nodes + edges + kl_weight * kl`` (per graph, averaged over the batch ``(B,)``)."""
    return terms["nodes"] + terms["edges"] + kl_weight * terms["kl"]
