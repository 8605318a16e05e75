import numpy as np
import pytest
import torch

from eqrep.analysis.graph_vae import (
    decode_latents,
    decoded_smiles,
    encode_graphs,
    hamming_distance,
    hamming_steps,
    interpolate,
    invariant_representations,
    knn_mae,
    sample_quality,
)
from eqrep.data.qm9 import smiles_to_dense
from eqrep.models.graph_vae import GraphVAE, GraphVAEConfig


def test_hamming_hand_computed():
    n1, n2 = np.array([0, 1, 4]), np.array([0, 2, 4])
    e1 = np.full((3, 3), 3)
    e2 = e1.copy()
    e2[0, 1] = e2[1, 0] = 0  # one new bond, counted once
    assert hamming_distance(n1, e1, n2, e2) == 2
    assert hamming_steps(np.stack([n1, n1, n2]), np.stack([e1, e1, e2])).tolist() == [0, 2]


def test_knn_mae_hand_computed():
    train_x = np.array([[0.0], [1.0], [10.0]])
    train_y = np.array([[0.0], [2.0], [100.0]])
    test_x = np.array([[0.2], [9.0]])
    test_y = np.array([[1.0], [90.0]])
    mae = knn_mae(train_x, train_y, test_x, test_y, ks=(1, 2))
    # k=1: predictions 0 and 100 -> errors 1, 10 -> 5.5; k=2: predictions 1 and 51 -> errors 0, 39 -> 19.5
    np.testing.assert_allclose(mae[:, 0], [5.5, 19.5])
    with pytest.raises(ValueError, match="features must be"):
        knn_mae(train_x[:, 0], train_y, test_x, test_y)


def test_invariant_representations_are_invariant(rng):
    z = rng.standard_normal((20, 9))
    zp = np.stack([row[rng.permutation(9)] for row in z])
    a, b = invariant_representations(z), invariant_representations(zp)
    assert set(a) == {"sorted", "sum", "max", "min", "std", "norm", "power sums"}
    # power sums are injective on multisets: opposite pairs must not collapse (p_2 differs)
    ps = invariant_representations(np.array([[1.0, -1.0, 0.0], [2.0, -2.0, 0.0], [0.0, 0.0, 0.0]]))["power sums"]
    assert len({tuple(np.round(r, 9)) for r in ps}) == 3
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-9)
    assert a["sorted"].shape == (20, 9) and a["max"].shape == (20, 1)


def test_batched_encode_permutation_matches_permute_nodes():
    from eqrep.actions import permute_edges, permute_nodes

    torch.manual_seed(0)
    model = GraphVAE(GraphVAEConfig(hidden=8)).double().eval()
    pairs = [smiles_to_dense(s) for s in ["CC(O)CN", "OC1CC1F"]]
    nodes = torch.tensor(np.stack([p[0] for p in pairs])).long()
    edges = torch.tensor(np.stack([p[1] for p in pairs])).long()
    zp = encode_graphs(model.float(), nodes, edges, permute=True, seed=5)
    gen = torch.Generator().manual_seed(5)
    perms = [torch.randperm(9, generator=gen) for _ in range(2)]
    for b, perm in enumerate(perms):
        v = permute_nodes(nodes[b][:, None], perm)[:, 0][None]
        e = permute_edges(edges[b][..., None], perm)[..., 0][None]
        np.testing.assert_allclose(zp[b], encode_graphs(model, v, e, permute=False)[0], atol=1e-6)


def test_encode_permutes_consistently_and_interpolation_endpoints():
    torch.manual_seed(0)
    model = GraphVAE(GraphVAEConfig(hidden=8)).eval()
    pairs = [smiles_to_dense(s) for s in ["C=CC#N", "c1ccoc1", "CC(O)CN"]]
    nodes = torch.tensor(np.stack([p[0] for p in pairs])).long()
    edges = torch.tensor(np.stack([p[1] for p in pairs])).long()
    z = encode_graphs(model, nodes, edges, permute=False)
    zp = encode_graphs(model, nodes, edges, permute=True, seed=3)
    np.testing.assert_allclose(np.sort(z, axis=1), np.sort(zp, axis=1), atol=1e-5)
    assert not np.allclose(z, zp)
    batched = interpolate(model, zp[:2], zp[1:], steps=5)  # two pairs at once
    assert batched["equivariant"][1].shape == (2, 5, 9) and batched["invariant"][2].shape == (2, 5, 9, 9)
    np.testing.assert_array_equal(hamming_steps(*batched["invariant"][1:]).shape, (2, 4))
    paths = interpolate(model, zp[0], zp[1], steps=5)
    np.testing.assert_array_equal(paths["equivariant"][1], batched["equivariant"][1][0])
    lat_eq, nodes_eq, edges_eq = paths["equivariant"]
    lat_inv, nodes_inv, _ = paths["invariant"]
    np.testing.assert_allclose(lat_eq[[0, -1]], zp[[0, 1]], atol=1e-6)
    np.testing.assert_allclose(lat_inv[[0, -1]], np.sort(zp[[0, 1]], axis=1), atol=1e-6)
    assert (np.diff(lat_inv, axis=1) >= -1e-9).all()  # the invariant path stays in the sorted cone
    # the endpoints decode to the same graphs up to relabelling (sorted multiset of node types)
    np.testing.assert_array_equal(np.sort(nodes_eq[0]), np.sort(nodes_inv[0]))
    assert edges_eq.shape == (5, 9, 9)


class _FixedDecoder(torch.nn.Module):
    """Decodes latent ``b`` to the ``b mod len(graphs)``-th of fixed graphs (a stand-in for a model)."""

    def __init__(self, smiles):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.graphs = [smiles_to_dense(s) if s else (np.zeros(9, int), np.full((9, 9), 1)) for s in smiles]

    def decode_graphs(self, z):
        picks = [self.graphs[b % len(self.graphs)] for b in range(len(z))]
        return (torch.as_tensor(np.stack([p[0] for p in picks])), torch.as_tensor(np.stack([p[1] for p in picks])))


def test_decoding_and_smiles_of_fixed_graphs():
    model = _FixedDecoder(["CCO", "c1ccoc1", None])  # None: nine slots all bonded -- no valid molecule
    nodes, edges = decode_latents(model, np.zeros((3, 9)))
    assert nodes.shape == (3, 9) and edges.shape == (3, 9, 9)
    assert decoded_smiles(nodes, edges) == ["CCO", "c1ccoc1", None]


def test_sample_quality_hand_computed():
    # 10 samples cycle through: CCO, CCO, invalid, C#N, c1ccoc1 -> valid 8/10 (CCO x4, C#N x2, c1ccoc1 x2),
    # distinct valid 3 -> unique 3/8; known: CCO -> novel 2/3
    model = _FixedDecoder(["CCO", "CCO", None, "C#N", "c1ccoc1"])
    q = sample_quality(model, 10, known_smiles=["CCO"], seed=0)
    assert q == {"valid": 0.8, "unique": 3 / 8, "novel": 2 / 3}
    empty = sample_quality(_FixedDecoder([None]), 4, known_smiles=[])
    assert empty == {"valid": 0.0, "unique": 0.0, "novel": 0.0}
