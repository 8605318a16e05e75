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
def test_fused_equals_naive_without_bias(name, k, l, gen):
    x = _input(k, gen)
    w = torch.randn(P.NUM_BASIS[name], 4, 5, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(getattr(P, name)(x, w), getattr(P, name + "_naive")(x, w), rtol=1e-12, atol=1e-12)


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


# ----------------------------------------------------------------------------- documented contracts

def _pools_by_hand(x):
    """``d, r, c, t, s`` of the module docstring, by loops over a (B, n, n, C) tensor."""
    b, n, _, ch = x.shape
    d = torch.stack([x[:, i, i] for i in range(n)], 1)
    r = torch.stack([sum(x[:, i, j] for j in range(n)) / n for i in range(n)], 1)  # row means
    c = torch.stack([sum(x[:, k, i] for k in range(n)) / n for i in range(n)], 1)  # column means
    t = sum(x[:, i, i] for i in range(n)) / n
    s = sum(x[:, i, j] for i in range(n) for j in range(n)) / n ** 2
    return d, r, c, t, s


def test_basis_edge_to_edge_is_in_the_documented_order(gen):
    x = _input(2, gen, b=2, n=4, c=3)
    n = 4
    d, r, c, t, s = _pools_by_hand(x)
    basis = P.basis_edge_to_edge(x)
    assert basis.shape == (2, 4, 4, 15, 3)
    for i in range(n):
        for j in range(n):
            delta = float(i == j)
            want = [delta * d[:, i], delta * t, delta * r[:, i], delta * c[:, i], delta * s,
                    c[:, i], r[:, i], c[:, j], r[:, j], x[:, i, j], x[:, j, i], d[:, i], d[:, j], t, s]
            torch.testing.assert_close(basis[:, i, j], torch.stack(want, 1), rtol=1e-12, atol=1e-12)


def test_basis_edge_to_node_and_node_maps_are_in_the_documented_order(gen):
    x = _input(2, gen, b=2, n=4, c=3)
    d, r, c, t, s = _pools_by_hand(x)
    to_node = P.basis_edge_to_node(x)
    assert to_node.shape == (2, 4, 5, 3)
    for i in range(4):
        want = torch.stack([d[:, i], t, r[:, i], c[:, i], s], 1)
        torch.testing.assert_close(to_node[:, i], want, rtol=1e-12, atol=1e-12)
    v = _input(1, gen, b=2, n=4, c=3)
    sigma = v.mean(1)
    torch.testing.assert_close(P.basis_node_to_node(v), torch.stack([v, sigma[:, None].expand_as(v)], 2))
    to_edge = P.basis_node_to_edge(v)
    assert to_edge.shape == (2, 4, 4, 5, 3)
    for i in range(4):
        for j in range(4):
            delta = float(i == j)
            want = torch.stack([delta * v[:, i], delta * sigma, v[:, j], v[:, i], sigma], 1)
            torch.testing.assert_close(to_edge[:, i, j], want, rtol=1e-12, atol=1e-12)


def test_pooled_maps_divide_by_n_and_n_squared(gen):
    x = _input(2, gen, b=2, n=5, c=3)
    w = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64)
    _, _, _, t, s = _pools_by_hand(x)
    torch.testing.assert_close(P.edge_to_graph(x, w), t @ w[0] + s @ w[1])
    bias = torch.randn(4, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(P.edge_to_graph(x, w, bias), t @ w[0] + s @ w[1] + bias)
    v = _input(1, gen, b=2, n=5, c=3)
    torch.testing.assert_close(P.node_to_graph(v, w[:1], bias), v.mean(1) @ w[0] + bias)


def test_edge_bias_is_constant_plus_diagonal(gen):
    x = _input(2, gen, b=2, n=3, c=2)
    w = torch.zeros(15, 2, 2, dtype=torch.float64)
    b, bd = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([10.0, 20.0], dtype=torch.float64)
    want = b + torch.eye(3, dtype=torch.float64)[:, :, None] * bd  # (n, n, D)
    for fn in (P.edge_to_edge, P.edge_to_edge_naive):
        torch.testing.assert_close(fn(x, w, b, bd), want.expand(2, 3, 3, 2))
        torch.testing.assert_close(fn(x, w, None, bd), (want - b).expand(2, 3, 3, 2))
        torch.testing.assert_close(fn(x, w, b), b.expand(2, 3, 3, 2))
    for fn, order, k in ((P.node_to_node, 1, 2), (P.node_to_edge, 1, 5), (P.edge_to_node, 2, 5)):
        z = _input(order, gen, b=2, n=3, c=2)
        for impl in (fn, getattr(P, fn.__name__ + "_naive")):
            out = impl(z, torch.zeros(k, 2, 2, dtype=torch.float64), b)
            torch.testing.assert_close(out, b.expand_as(out))


def test_each_fused_weight_slice_acts_on_its_basis_element(gen):
    # one basis element at a time: a fused map that mixes up two slices of the weight is caught even
    # where the two basis elements coincide on symmetric inputs
    for name, order in (("node_to_node", 1), ("node_to_edge", 1), ("edge_to_node", 2), ("edge_to_edge", 2)):
        x = _input(order, gen, b=2, n=4, c=3)
        for k in range(P.NUM_BASIS[name]):
            w = torch.zeros(P.NUM_BASIS[name], 3, 2, dtype=torch.float64)
            w[k] = torch.randn(3, 2, generator=gen, dtype=torch.float64)
            basis = getattr(P, "basis_" + name)(x)
            torch.testing.assert_close(getattr(P, name)(x, w), basis[..., k, :] @ w[k], rtol=1e-12, atol=1e-12)


def test_weight_checks_name_each_problem(gen):
    x = _input(1, gen, c=4)
    with pytest.raises(ValueError, match=r"node_to_node weight must have shape \(2, C_in=4, C_out\), got \(2, 4\)"):
        P.node_to_node(x, torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"got \(3, 4, 1\)"):
        P.node_to_node(x, torch.zeros(3, 4, 1))
    with pytest.raises(ValueError, match=r"got \(2, 5, 1\)"):
        P.node_to_node_naive(x, torch.zeros(2, 5, 1))
    with pytest.raises(ValueError, match=r"square \(n, n\), got \(3, 6, 5, 4\)"):
        P.edge_to_node(torch.zeros(3, 6, 5, 4), torch.zeros(5, 4, 1))
    for fn in (P.node_to_graph, P.basis_node_to_node, P.basis_node_to_edge):
        with pytest.raises(ValueError, match=r"node features must have shape \(B, n, C\), got \(6, 4\)"):
            fn(torch.zeros(6, 4), *([torch.zeros(1, 4, 1)] if fn is P.node_to_graph else []))
    with pytest.raises(ValueError, match=r"edge features"):
        P.edge_to_graph(torch.zeros(6, 4), torch.zeros(2, 4, 1))


def test_modules_initialise_by_fan_in_and_zero_bias():
    torch.manual_seed(0)
    for module in (P.NodeToNode, P.NodeToEdge, P.EdgeToNode, P.EdgeToEdge, P.NodeToGraph, P.EdgeToGraph):
        layer = module(40, 30)
        k = P.NUM_BASIS[module.kind]
        bound = 1 / (k * 40) ** 0.5
        assert layer.weight.shape == (k, 40, 30)
        assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.9 * bound
        assert layer.weight.min() < -0.9 * bound  # uniform on [-bound, bound]
        assert torch.equal(layer.bias, torch.zeros(30))
        assert module(3, 2, bias=False).bias is None
    assert P.EdgeToEdge(3, 2, bias=False).bias_diag is None
    assert torch.equal(P.EdgeToEdge(3, 2).bias_diag, torch.zeros(2))
    assert repr(P.NodeToEdge(3, 2, naive=True)) == "NodeToEdge(3, 2, basis=5, bias=True, naive=True)"
    assert repr(P.EdgeToGraph(3, 2, bias=False)) == "EdgeToGraph(3, 2, basis=2, bias=False, naive=False)"


@pytest.mark.parametrize("module, order", [(P.NodeToNode, 1), (P.NodeToEdge, 1), (P.EdgeToNode, 2),
                                           (P.EdgeToEdge, 2), (P.NodeToGraph, 1), (P.EdgeToGraph, 2)])
def test_modules_compute_their_functional_form(module, order, gen):
    torch.manual_seed(0)
    layer = module(3, 2).double()
    with torch.no_grad():
        layer.bias.normal_()
        if module is P.EdgeToEdge:
            layer.bias_diag.normal_()
    x = _input(order, gen, b=2, n=4, c=3)
    fn = getattr(P, module.kind)
    extra = (layer.bias_diag,) if module is P.EdgeToEdge else ()
    torch.testing.assert_close(layer(x), fn(x, layer.weight, layer.bias, *extra))
    if module not in (P.NodeToGraph, P.EdgeToGraph):
        naive = module(3, 2, naive=True).double()
        naive.load_state_dict(layer.state_dict())
        torch.testing.assert_close(naive(x), getattr(P, module.kind + "_naive")(x, layer.weight, layer.bias, *extra))


@pytest.mark.parametrize("module, order", [(P.NodeToNode, 1), (P.NodeToEdge, 1), (P.EdgeToNode, 2), (P.EdgeToEdge, 2)])
def test_the_naive_flag_chooses_the_definition(module, order, gen, monkeypatch):
    # both forms give the same numbers, so which one ran is observed by replacing them
    calls = []
    for name in (module.kind, module.kind + "_naive"):
        monkeypatch.setattr(P, name, lambda *args, _name=name: calls.append(_name) or args[0])
    x = _input(order, gen, b=1, n=3, c=2)
    module(2, 2)(x)
    module(2, 2, naive=True)(x)
    assert calls == [module.kind, module.kind + "_naive"]


@pytest.mark.parametrize("name, k, l", MAPS + [("node_to_graph", 1, 0), ("edge_to_graph", 2, 0)])
def test_maps_keep_the_inputs_device_and_dtype(name, k, l):
    # meta tensors: a constant made on the CPU (or in float32) would not mix with them (or would promote)
    x = torch.empty((2, 3, 4) if k == 1 else (2, 3, 3, 4), dtype=torch.bfloat16, device="meta")
    w = torch.empty(P.NUM_BASIS[name], 4, 5, dtype=torch.bfloat16, device="meta")
    b = torch.empty(5, dtype=torch.bfloat16, device="meta")
    extra = (b,) if name == "edge_to_edge" else ()
    fns = [getattr(P, name)] + ([getattr(P, name + "_naive")] if l else [])
    for fn in fns:
        out = fn(x, w, b, *extra)
        assert out.device.type == "meta" and out.dtype == torch.bfloat16, fn.__name__
    if l:
        basis = getattr(P, "basis_" + name)(x)
        assert basis.device.type == "meta" and basis.dtype == torch.bfloat16
