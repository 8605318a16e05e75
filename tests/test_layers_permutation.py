import pytest
import torch

from eqrep.actions import permute_edges, permute_nodes, random_permutation
from eqrep.equivariance import permutation_equivariance_error
from eqrep.layers import permutation as P

MAPS = [  # (name, input order, output order)
    ("node_to_node", 1, 1),
    ("node_to_edge", 1, 2),
    ("edge_to_node", 2, 1),
    ("edge_to_edge", 2, 2),
]
MODULES = [(P.NodeToNode, 1, 1), (P.NodeToEdge, 1, 2), (P.EdgeToNode, 2, 1), (P.EdgeToEdge, 2, 2),
           (P.NodeToGraph, 1, 0), (P.EdgeToGraph, 2, 0)]


def _input(order, gen, b=3, n=6, c=4, dtype=torch.float64):
    shape = (b, n, c) if order == 1 else (b, n, n, c)
    return torch.randn(*shape, generator=gen, dtype=dtype)


@pytest.mark.parametrize("name, k, l", MAPS)
def test_fused_equals_naive(name, k, l, gen):
    x = _input(k, gen)
    w = torch.randn(P.NUM_BASIS[name], 4, 5, generator=gen, dtype=torch.float64)
    b = torch.randn(5, generator=gen, dtype=torch.float64)
    extra = (torch.randn(5, generator=gen, dtype=torch.float64),) if name == "edge_to_edge" else ()
    fused = getattr(P, name)(x, w, b, *extra)
    naive = getattr(P, name + "_naive")(x, w, b, *extra)
    torch.testing.assert_close(fused, naive, rtol=1e-12, atol=1e-12)


def test_fused_equals_naive_gradients(gen):
    x = _input(2, gen).requires_grad_()
    w = torch.randn(15, 4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    grad_out = torch.randn(3, 6, 6, 5, generator=gen, dtype=torch.float64)
    grads = []
    for fn in (P.edge_to_edge, P.edge_to_edge_naive):
        x.grad = w.grad = None
        fn(x, w).backward(grad_out)
        grads.append((x.grad.clone(), w.grad.clone()))
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("module, k, l", MODULES)
def test_modules_are_equivariant_or_invariant(module, k, l, gen):
    torch.manual_seed(0)
    layer = module(4, 5).double()
    with torch.no_grad():
        layer.bias.normal_()
        if getattr(layer, "bias_diag", None) is not None:
            layer.bias_diag.normal_()
    x = _input(k, gen)
    for _ in range(5):
        perm = random_permutation(6, gen)
        assert permutation_equivariance_error(layer, x, k, l, perm) < 1e-12


def test_each_basis_element_is_equivariant(gen):
    x = _input(2, gen)
    perm = random_permutation(6, gen)
    px = permute_edges(x, perm)
    basis, basis_p = P.basis_edge_to_edge(x), P.basis_edge_to_edge(px)
    for k in range(15):
        torch.testing.assert_close(basis_p[:, :, :, k], permute_edges(basis[:, :, :, k], perm))
    to_node, to_node_p = P.basis_edge_to_node(x), P.basis_edge_to_node(px)
    for k in range(5):
        torch.testing.assert_close(to_node_p[:, :, k], permute_nodes(to_node[:, :, k], perm))
    v = _input(1, gen)
    to_edge, to_edge_p = P.basis_node_to_edge(v), P.basis_node_to_edge(permute_nodes(v, perm))
    for k in range(5):
        torch.testing.assert_close(to_edge_p[:, :, :, k], permute_edges(to_edge[:, :, :, k], perm))


def test_basis_elements_are_linearly_independent(gen):
    # the 15 basis outputs, as linear maps of a 5x5 matrix, span a 15-dimensional space
    n = 5
    eye = torch.eye(n * n, dtype=torch.float64).reshape(n * n, n, n, 1)
    outs = P.basis_edge_to_edge(eye)[..., 0]  # (25, n, n, 15)
    maps = outs.permute(3, 0, 1, 2).reshape(15, -1)
    assert torch.linalg.matrix_rank(maps).item() == 15


def test_a_dense_linear_layer_is_not_equivariant(gen):
    torch.manual_seed(0)
    dense = torch.nn.Linear(6 * 6 * 4, 6 * 6 * 4).double()
    f = lambda e: dense(e.reshape(e.shape[0], -1)).reshape(e.shape)  # noqa: E731
    perm = torch.tensor([1, 0, 2, 3, 4, 5])
    assert permutation_equivariance_error(f, _input(2, gen), 2, 2, perm) > 1e-2


def test_modules_naive_flag_gives_same_output(gen):
    torch.manual_seed(0)
    fused = P.EdgeToEdge(4, 3).double()
    naive = P.EdgeToEdge(4, 3, naive=True).double()
    naive.load_state_dict(fused.state_dict())
    x = _input(2, gen)
    torch.testing.assert_close(fused(x), naive(x))
    assert "basis=15" in repr(fused)


def test_normalisation_keeps_scale_independent_of_graph_size(gen):
    w = torch.ones(1, 1, 1)
    for n in (5, 50):
        x = torch.ones(2, n, 1, dtype=torch.float32)
        assert P.node_to_graph(x, w).flatten().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("bad", [torch.zeros(2, 3, 4, 5), torch.zeros(3, 4)])
def test_bad_shapes_are_rejected(bad):
    w = torch.zeros(15, 5, 2)
    with pytest.raises(ValueError, match=r"\(B, n, n, C\)"):
        P.edge_to_edge(bad, w)


def test_wrong_weight_shape_is_rejected(gen):
    with pytest.raises(ValueError, match=r"weight must have shape \(15, C_in=4"):
        P.edge_to_edge(_input(2, gen), torch.zeros(15, 3, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="node features"):
        P.node_to_edge(_input(2, gen), torch.zeros(5, 4, 2, dtype=torch.float64))
