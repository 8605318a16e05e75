"""Permutation-equivariant linear layers between node and edge features (Maron et al. 2019).

Written by hand because it is the lesson of Chapter 4. Features are channels-last:
nodes ``(B, n, C)``, edges ``(B, n, n, C)``. For each pair of orders the space of
``S_n``-equivariant linear maps has a basis of Bell-number size ``b(k + l)``:

====================  =====  ==========================================================
map                   count  basis (per input channel; ``d`` diagonal, ``r`` row mean,
                             ``c`` column mean, ``t`` mean of the diagonal, ``s`` mean
                             of all entries, ``sigma`` node mean)
====================  =====  ==========================================================
node -> node (1->1)   2      ``x_i``, ``sigma``
node -> edge (1->2)   5      ``delta_ij x_i``, ``delta_ij sigma``, ``x_j``, ``x_i``, ``sigma``
edge -> node (2->1)   5      ``d_i``, ``t``, ``r_i``, ``c_i``, ``s``
edge -> edge (2->2)   15     ``delta_ij {d_i, t, r_i, c_i, s}``, ``c_i``, ``r_i``, ``c_j``,
                             ``r_j``, ``X_ij``, ``X_ji``, ``d_i``, ``d_j``, ``t``, ``s``
node -> graph (1->0)  1      ``sigma``
edge -> graph (2->0)  2      ``t``, ``s``
====================  =====  ==========================================================

Sums over one index are divided by ``n`` and double sums by ``n^2``, so activations keep
their scale whatever the graph size. Every layer holds one weight ``(num_basis, C_in, C_out)``
and offers two forward passes with identical outputs:

* ``*_naive``: materialise every basis output, stack them, then mix channels once
  (``O(b C_in C_out n^2)``); this is the definition;
* the fused form (default): mix channels on the pooled quantities first, then broadcast,
  so only the two terms ``X_ij`` and ``X_ji`` are mixed at full ``n x n`` size.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "NUM_BASIS",
    "basis_node_to_node",
    "basis_node_to_edge",
    "basis_edge_to_node",
    "basis_edge_to_edge",
    "node_to_node",
    "node_to_edge",
    "edge_to_node",
    "edge_to_edge",
    "node_to_node_naive",
    "node_to_edge_naive",
    "edge_to_node_naive",
    "edge_to_edge_naive",
    "node_to_graph",
    "edge_to_graph",
    "NodeToNode",
    "NodeToEdge",
    "EdgeToNode",
    "EdgeToEdge",
    "NodeToGraph",
    "EdgeToGraph",
]

NUM_BASIS = {"node_to_node": 2, "node_to_edge": 5, "edge_to_node": 5, "edge_to_edge": 15,
             "node_to_graph": 1, "edge_to_graph": 2}
"""Number of basis elements per map: Bell numbers ``b(k + l)``."""


def _check_nodes(x: torch.Tensor) -> None:
    if x.dim() != 3:
        raise ValueError(f"node features must have shape (B, n, C), got {tuple(x.shape)}")


def _check_edges(x: torch.Tensor) -> None:
    if x.dim() != 4 or x.shape[1] != x.shape[2]:
        raise ValueError(f"edge features must have shape (B, n, n, C) with square (n, n), got {tuple(x.shape)}")


def _check_weight(weight: torch.Tensor, x: torch.Tensor, kind: str) -> None:
    want = NUM_BASIS[kind]
    if weight.dim() != 3 or weight.shape[0] != want or weight.shape[1] != x.shape[-1]:
        raise ValueError(f"{kind} weight must have shape ({want}, C_in={x.shape[-1]}, C_out), "
                         f"got {tuple(weight.shape)}")


def _edge_pools(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Pooled quantities of edge features ``(B, n, n, C)``: ``d, r, c`` ``(B, n, C)``; ``t, s`` ``(B, C)``."""
    d = torch.diagonal(x, dim1=1, dim2=2).transpose(1, 2)
    r = x.mean(dim=2)  # r_i = (1/n) sum_j X_ij
    c = x.mean(dim=1)  # c_i = (1/n) sum_k X_ki
    t = d.mean(dim=1)
    s = r.mean(dim=1)
    return d, r, c, t, s


# ----------------------------------------------------------------------------- basis (definition)

def basis_node_to_node(x: torch.Tensor) -> torch.Tensor:
    """The 2 basis outputs ``[x_i, sigma]`` of node features ``(B, n, C)``; shape ``(B, n, 2, C)``."""
    _check_nodes(x)
    sigma = x.mean(dim=1, keepdim=True).expand_as(x)
    return torch.stack([x, sigma], dim=2)


def basis_node_to_edge(x: torch.Tensor) -> torch.Tensor:
    """The 5 basis outputs ``[delta_ij x_i, delta_ij sigma, x_j, x_i, sigma]``; shape ``(B, n, n, 5, C)``."""
    _check_nodes(x)
    b, n, ch = x.shape
    eye = torch.eye(n, dtype=x.dtype, device=x.device)[None, :, :, None]
    sigma = x.mean(dim=1)[:, None, None, :]
    xi = x[:, :, None, :].expand(b, n, n, ch)
    xj = x[:, None, :, :].expand(b, n, n, ch)
    return torch.stack([eye * xi, eye * sigma, xj, xi, sigma.expand(b, n, n, ch)], dim=3)


def basis_edge_to_node(x: torch.Tensor) -> torch.Tensor:
    """The 5 basis outputs ``[d_i, t, r_i, c_i, s]`` of edge features; shape ``(B, n, 5, C)``."""
    _check_edges(x)
    d, r, c, t, s = _edge_pools(x)
    return torch.stack([d, t[:, None].expand_as(d), r, c, s[:, None].expand_as(d)], dim=2)


def basis_edge_to_edge(x: torch.Tensor) -> torch.Tensor:
    """The 15 basis outputs of edge features ``(B, n, n, C)``; shape ``(B, n, n, 15, C)``.

    Order: ``delta_ij d_i, delta_ij t, delta_ij r_i, delta_ij c_i, delta_ij s, c_i, r_i, c_j,
    r_j, X_ij, X_ji, d_i, d_j, t, s``.
    """
    _check_edges(x)
    b, n, _, ch = x.shape
    d, r, c, t, s = _edge_pools(x)
    eye = torch.eye(n, dtype=x.dtype, device=x.device)[None, :, :, None]

    def row(v: torch.Tensor) -> torch.Tensor:  # depends on i only
        return v[:, :, None, :].expand(b, n, n, ch)

    def col(v: torch.Tensor) -> torch.Tensor:  # depends on j only
        return v[:, None, :, :].expand(b, n, n, ch)

    def const(v: torch.Tensor) -> torch.Tensor:
        return v[:, None, None, :].expand(b, n, n, ch)

    ops = [
        eye * row(d), eye * const(t), eye * row(r), eye * row(c), eye * const(s),
        row(c), row(r), col(c), col(r), x, x.transpose(1, 2),
        row(d), col(d), const(t), const(s),
    ]
    return torch.stack(ops, dim=3)


def _mix(basis: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mix stacked basis outputs ``(..., K, C_in)`` with ``weight`` ``(K, C_in, C_out)``."""
    k, c_in, c_out = weight.shape
    return basis.reshape(*basis.shape[:-2], k * c_in) @ weight.reshape(k * c_in, c_out)


def _add_diagonal(y: torch.Tensor, diag: torch.Tensor) -> torch.Tensor:
    """Return ``y`` ``(B, n, n, D)`` plus ``diag`` ``(B, n, D)`` on its diagonal (in place)."""
    torch.diagonal(y, dim1=1, dim2=2).add_(diag.transpose(1, 2))
    return y


# ----------------------------------------------------------------------------- naive forms

def node_to_node_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Node -> node map by stacking the 2 basis outputs; ``(B, n, C) -> (B, n, D)``."""
    _check_weight(weight, x, "node_to_node")
    y = _mix(basis_node_to_node(x), weight)
    return y if bias is None else y + bias


def node_to_edge_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Node -> edge map by stacking the 5 basis outputs; ``(B, n, C) -> (B, n, n, D)``."""
    _check_weight(weight, x, "node_to_edge")
    y = _mix(basis_node_to_edge(x), weight)
    return y if bias is None else y + bias


def edge_to_node_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Edge -> node map by stacking the 5 basis outputs; ``(B, n, n, C) -> (B, n, D)``."""
    _check_weight(weight, x, "edge_to_node")
    y = _mix(basis_edge_to_node(x), weight)
    return y if bias is None else y + bias


def edge_to_edge_naive(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                       bias_diag: torch.Tensor | None = None) -> torch.Tensor:
    """Edge -> edge map by stacking all 15 basis outputs; ``(B, n, n, C) -> (B, n, n, D)``.

    Bias: ``b + b_diag delta_ij`` (the two equivariant constants).
    """
    _check_weight(weight, x, "edge_to_edge")
    y = _mix(basis_edge_to_edge(x), weight)
    if bias is not None:
        y = y + bias
    if bias_diag is not None:
        y = y + torch.eye(x.shape[1], dtype=x.dtype, device=x.device)[:, :, None] * bias_diag
    return y


# ----------------------------------------------------------------------------- fused forms

def node_to_node(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Fused node -> node map; same result as :func:`node_to_node_naive`."""
    _check_nodes(x)
    _check_weight(weight, x, "node_to_node")
    y = x @ weight[0] + (x.mean(dim=1, keepdim=True) @ weight[1])
    return y if bias is None else y + bias


def node_to_edge(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Fused node -> edge map; same result as :func:`node_to_edge_naive`."""
    _check_nodes(x)
    _check_weight(weight, x, "node_to_edge")
    d_out = weight.shape[2]
    # weights on x: [diag (0), col x_j (2), row x_i (3)]; on sigma: [diag (1), const (4)]
    diag, col, row = (x @ torch.cat([weight[0], weight[2], weight[3]], dim=1)).split(d_out, dim=-1)
    g_diag, const = (x.mean(dim=1) @ torch.cat([weight[1], weight[4]], dim=1)).split(d_out, dim=-1)
    if bias is not None:
        const = const + bias
    y = (row + const[:, None, :])[:, :, None, :] + col[:, None, :, :]
    return _add_diagonal(y, diag + g_diag[:, None, :])


def edge_to_node(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Fused edge -> node map; same result as :func:`edge_to_node_naive`."""
    _check_edges(x)
    _check_weight(weight, x, "edge_to_node")
    d, r, c, t, s = _edge_pools(x)
    y = torch.cat([d, r, c], dim=-1) @ torch.cat([weight[0], weight[2], weight[3]], dim=0)
    g = torch.cat([t, s], dim=-1) @ torch.cat([weight[1], weight[4]], dim=0)
    if bias is not None:
        g = g + bias
    return y + g[:, None, :]


def edge_to_edge(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                 bias_diag: torch.Tensor | None = None) -> torch.Tensor:
    """Fused edge -> edge map; same result as :func:`edge_to_edge_naive`.

    Only ``X_ij`` and ``X_ji`` are channel-mixed at full ``n x n`` size, by one GEMM on
    ``[X, X^T]`` (``2 C_in`` inputs) that accumulates into the broadcast terms; the other 13
    basis elements are mixed on pooled ``(B, n, C)`` or ``(B, C)`` tensors and broadcast.
    """
    _check_edges(x)
    _check_weight(weight, x, "edge_to_edge")
    b, n, _, c_in = x.shape
    d_out = weight.shape[2]
    d, r, c, t, s = _edge_pools(x)
    w_nodes = torch.cat([
        torch.cat([weight[0], weight[2], weight[3]], dim=0),   # delta_ij {d_i, r_i, c_i}
        torch.cat([weight[11], weight[6], weight[5]], dim=0),  # row terms d_i, r_i, c_i
        torch.cat([weight[12], weight[8], weight[7]], dim=0),  # column terms d_j, r_j, c_j
    ], dim=1)
    diag, row, col = (torch.cat([d, r, c], dim=-1) @ w_nodes).split(d_out, dim=-1)
    w_graph = torch.cat([
        torch.cat([weight[1], weight[4]], dim=0),    # delta_ij {t, s}
        torch.cat([weight[13], weight[14]], dim=0),  # constants t, s
    ], dim=1)
    g_diag, const = (torch.cat([t, s], dim=-1) @ w_graph).split(d_out, dim=-1)
    if bias is not None:
        const = const + bias
    if bias_diag is not None:
        g_diag = g_diag + bias_diag
    broadcast = (row + const[:, None, :])[:, :, None, :] + col[:, None, :, :]  # (B, n, n, D)
    both = torch.cat([x, x.transpose(1, 2)], dim=-1).reshape(-1, 2 * c_in)    # [X_ij, X_ji]
    y = torch.addmm(broadcast.reshape(-1, d_out), both, weight[9:11].reshape(2 * c_in, d_out))
    return _add_diagonal(y.view(b, n, n, d_out), diag + g_diag[:, None, :])


def node_to_graph(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Invariant node -> graph map ``sigma W``; ``(B, n, C) -> (B, D)``."""
    _check_nodes(x)
    _check_weight(weight, x, "node_to_graph")
    y = x.mean(dim=1) @ weight[0]
    return y if bias is None else y + bias


def edge_to_graph(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Invariant edge -> graph map ``t W_0 + s W_1``; ``(B, n, n, C) -> (B, D)``."""
    _check_edges(x)
    _check_weight(weight, x, "edge_to_graph")
    _, _, _, t, s = _edge_pools(x)
    y = torch.cat([t, s], dim=-1) @ torch.cat([weight[0], weight[1]], dim=0)
    return y if bias is None else y + bias


# ----------------------------------------------------------------------------- modules

class _BasisLinear(nn.Module):
    """Shared parameters: ``weight`` ``(K, C_in, C_out)``, uniform on ``[-1/sqrt(K C_in), 1/sqrt(K C_in)]``
    (the fan-in of the stacked basis), and ``bias`` ``(C_out,)``, zero (``None`` with ``bias=False``)."""

    kind = ""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, naive: bool = False) -> None:
        super().__init__()
        k = NUM_BASIS[self.kind]
        self.in_channels, self.out_channels, self.naive = in_channels, out_channels, naive
        bound = 1.0 / math.sqrt(k * in_channels)
        self.weight = nn.Parameter(torch.empty(k, in_channels, out_channels).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, basis={NUM_BASIS[self.kind]}, "
                f"bias={self.bias is not None}, naive={self.naive}")


class NodeToNode(_BasisLinear):
    """Equivariant linear map node ``(B, n, C_in)`` -> node ``(B, n, C_out)``; 2 basis elements."""

    kind = "node_to_node"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (node_to_node_naive if self.naive else node_to_node)(x, self.weight, self.bias)


class NodeToEdge(_BasisLinear):
    """Equivariant linear map node ``(B, n, C_in)`` -> edge ``(B, n, n, C_out)``; 5 basis elements."""

    kind = "node_to_edge"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (node_to_edge_naive if self.naive else node_to_edge)(x, self.weight, self.bias)


class EdgeToNode(_BasisLinear):
    """Equivariant linear map edge ``(B, n, n, C_in)`` -> node ``(B, n, C_out)``; 5 basis elements."""

    kind = "edge_to_node"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (edge_to_node_naive if self.naive else edge_to_node)(x, self.weight, self.bias)


class EdgeToEdge(_BasisLinear):
    """Equivariant linear map edge ``(B, n, n, C_in)`` -> edge ``(B, n, n, C_out)``; 15 basis elements.

    Bias ``b + b_diag delta_ij``.
    """

    kind = "edge_to_edge"

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, naive: bool = False) -> None:
        super().__init__(in_channels, out_channels, bias, naive)
        self.bias_diag = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fn = edge_to_edge_naive if self.naive else edge_to_edge
        return fn(x, self.weight, self.bias, self.bias_diag)


class NodeToGraph(_BasisLinear):
    """Invariant linear map node ``(B, n, C_in)`` -> graph ``(B, C_out)``; 1 basis element."""

    kind = "node_to_graph"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return node_to_graph(x, self.weight, self.bias)


class EdgeToGraph(_BasisLinear):
    """Invariant linear map edge ``(B, n, n, C_in)`` -> graph ``(B, C_out)``; 2 basis elements."""

    kind = "edge_to_graph"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return edge_to_graph(x, self.weight, self.bias)
