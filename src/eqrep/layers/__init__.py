"""Equivariant layers: permutation-equivariant maps between node and edge features."""

from eqrep.layers.permutation import (
    NUM_BASIS,
    EdgeToEdge,
    EdgeToGraph,
    EdgeToNode,
    NodeToEdge,
    NodeToGraph,
    NodeToNode,
)

__all__ = ["NUM_BASIS", "EdgeToEdge", "EdgeToGraph", "EdgeToNode", "NodeToEdge", "NodeToGraph", "NodeToNode"]
