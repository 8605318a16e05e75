"""The fixed latent representation rho_Z = (I_m (x) rho_reg) (+) padding and the penalty module."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from eqrep.actions import act_on_pairs, pair_group
from eqrep.groups import cyclic, dihedral, direct_product
from eqrep.models.penalty import (
    PenaltyCNN,
    RegularRepresentationPenalty,
    latent_regular_representation,
    parameter_count,
    penalty_objective,
    permutation_sources,
    regular_copies,
)
from eqrep.representations import character_table, multiplicities, regular

GROUPS = {
    "C_2": lambda: cyclic(2),
    "C_4": lambda: cyclic(4),
    "D_1": lambda: dihedral(1),
    "D_3": lambda: dihedral(3),
    "D_4": lambda: dihedral(4),
    "C_4xC_4": lambda: direct_product(cyclic(4), cyclic(4)),
    "D_1xD_1": lambda: direct_product(dihedral(1), dihedral(1)),
    "D_4xD_4": lambda: direct_product(dihedral(4), dihedral(4)),
}


@pytest.fixture(params=sorted(GROUPS), scope="module")
def group(request):
    return GROUPS[request.param]()


def test_rho_z_is_a_permutation_representation_and_a_homomorphism(group):
    for dim in sorted({group.order, group.order + 3, max(66, group.order)}):
        rep = latent_regular_representation(group, dim)  # check=True inside: raises if no homomorphism
        m = rep.matrices
        assert m.shape == (group.order, dim, dim)
        assert np.isin(m, (0.0, 1.0)).all() and (m.sum(1) == 1).all() and (m.sum(2) == 1).all()
        rng = np.random.default_rng(0)
        for g, h in rng.integers(group.order, size=(10, 2)):
            np.testing.assert_array_equal(m[g] @ m[h], m[group.mul(g, h)])
        copies, pad = regular_copies(group, dim)
        assert copies * group.order + pad == dim and 0 <= pad < group.order
        fixed = np.arange(dim - pad, dim)  # the padding is trivial
        assert (m[:, fixed, fixed] == 1).all()
        if group.order > 1:
            assert not np.array_equal(m[1], np.eye(dim))


def test_multiplicities_are_copies_times_degree_plus_padding_in_the_trivial(group):
    dim = 66 if group.order <= 66 else group.order
    copies, pad = regular_copies(group, dim)
    table = character_table(group)
    mult = multiplicities(latent_regular_representation(group, dim), table)
    expected = copies * table.degrees.astype(float)
    expected[0] += pad
    np.testing.assert_allclose(mult, expected, atol=1e-9)


def test_regular_representation_of_a_product_is_the_kronecker_product_of_the_factors():
    g1, g2 = dihedral(4), cyclic(4)
    prod = direct_product(g1, g2)
    chi1, chi2 = regular(g1).character, regular(g2).character
    chi = regular(prod).character
    for p, (a, b) in enumerate(prod.elements):
        assert chi[p] == pytest.approx(chi1[a] * chi2[b])


def test_paper_latent_sizes_for_ddmnist():
    assert regular_copies(pair_group("C4"), 66) == (4, 2)
    assert regular_copies(pair_group("D1"), 66) == (16, 2)
    assert regular_copies(pair_group("D4"), 66) == (1, 2)
    with pytest.raises(ValueError, match=re.escape("needs dim >= |G| = 64")):
        regular_copies(pair_group("D4"), 48)


def test_gather_equals_the_matrix_product(group):
    pen = RegularRepresentationPenalty(group, 2 * group.order + 1)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(9, pen.dim, generator=gen)
    g = torch.randint(group.order, (9,), generator=gen)
    torch.testing.assert_close(pen.act(z, g), pen.act_matmul(z, g), atol=0, rtol=0)
    maps = torch.randn(9, pen.dim, 3, 2, generator=gen)  # latents with extra axes, e.g. feature maps
    torch.testing.assert_close(pen.act(maps, g), pen.act_matmul(maps, g), atol=0, rtol=0)


def test_permutation_sources_rejects_non_permutations():
    with pytest.raises(ValueError, match="not all permutation"):
        permutation_sources(np.stack([np.eye(3), 0.5 * np.ones((3, 3))]))


def test_the_penalty_module_has_no_parameters():
    pen = RegularRepresentationPenalty(pair_group("C4"), 66, weight=2.0)
    assert list(pen.parameters()) == []
    assert set(pen.state_dict()) == {"matrices", "sources"}
    assert pen.copies == 4 and pen.padding == 2


def _equivariant_map(group, dim, seed=0):
    """``f(x) = tanh(A x)`` with ``A = (W (x) I_|G|) (+) V``: mixes regular copies and padding
    coordinates among themselves, so it commutes with rho_Z, and so does the pointwise tanh."""
    copies, pad = regular_copies(group, dim)
    gen = torch.Generator().manual_seed(seed)
    a = torch.zeros(dim, dim)
    a[: copies * group.order, : copies * group.order] = torch.kron(torch.randn(copies, copies, generator=gen),
                                                                    torch.eye(group.order))
    a[copies * group.order:, copies * group.order:] = torch.randn(pad, pad, generator=gen)
    return lambda x: torch.tanh(x @ a.T)


@pytest.mark.parametrize("name", ["D_4", "C_4xC_4", "D_3"])
def test_penalty_is_zero_for_an_equivariant_map_and_positive_otherwise(name):
    group = GROUPS[name]()
    dim = 2 * group.order + 3
    pen = RegularRepresentationPenalty(group, dim, weight=1.0)
    f = _equivariant_map(group, dim)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(32, dim, generator=gen)
    g = pen.sample(32, generator=gen)
    assert pen(f(x), f(pen.act(x, g)), g).item() < 1e-12
    w = torch.randn(dim, dim, generator=gen)
    h = lambda v: torch.tanh(v @ w.T)  # a generic map
    assert pen(h(x), h(pen.act(x, g)), g).item() > 1e-2
    double = RegularRepresentationPenalty(group, dim, weight=2.0)
    torch.testing.assert_close(double(h(x), h(pen.act(x, g)), g), 2 * pen(h(x), h(pen.act(x, g)), g))


def test_penalty_is_zero_for_a_lifting_encoder_of_ddmnist_images():
    """``f(x)_h = phi(rho_X(h)^-1 x)`` is exactly equivariant from the pair-image action to the
    regular representation; three such features (three phis) and padding give 3 copies + 2."""
    product = pair_group("C4")
    n = product.order
    pen = RegularRepresentationPenalty(product, 3 * n + 2)
    gen = torch.Generator().manual_seed(0)
    templates = torch.randn(3, 56 * 56, generator=gen)
    inv = torch.as_tensor(product.inverses)

    def f(x):
        b = x.shape[0]
        feats = []
        for t in templates:
            cols = [torch.tanh(act_on_pairs(x, "C4", inv[h].expand(b)).flatten(1) @ t / 50) for h in range(n)]
            feats.append(torch.stack(cols, 1))
        pad = x.flatten(1).mean(1, keepdim=True)  # invariant coordinates
        return torch.cat(feats + [pad, pad ** 2], 1)

    x = torch.rand(5, 1, 56, 56, generator=gen)
    g = pen.sample(5, generator=gen)
    torch.testing.assert_close(pen.act(f(x), g), f(act_on_pairs(x, "C4", g)), atol=1e-6, rtol=0)
    assert pen(f(x), f(act_on_pairs(x, "C4", g)), g).item() < 1e-12
    shuffled = lambda v: f(v)[:, torch.randperm(pen.dim, generator=gen)]  # wrong channel order
    assert pen(shuffled(x), shuffled(act_on_pairs(x, "C4", g)), g).item() > 1e-4


def test_sampling_is_uniform_and_reproducible():
    pen = RegularRepresentationPenalty(dihedral(4), 8)
    a = pen.sample(8000, generator=torch.Generator().manual_seed(0))
    b = pen.sample(8000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.dtype == torch.long
    counts = torch.bincount(a, minlength=8).float()
    assert (counts - 1000).abs().max() < 150


def test_bad_input_is_rejected():
    pen = RegularRepresentationPenalty(cyclic(4), 10)
    z = torch.randn(3, 10)
    with pytest.raises(ValueError, match=r"shape \(B, 10, ...\)"):
        pen.act(torch.randn(3, 9), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="one group element per sample"):
        pen.act(z, torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"lie in \[0, 4\)"):
        pen.act(z, torch.tensor([0, 1, 4]))
    with pytest.raises(ValueError, match="latent shapes differ"):
        pen(z, z[:, :5], torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="cannot hold the regular representation"):
        RegularRepresentationPenalty(cyclic(4), 3)


def test_penalty_objective_combines_the_three_terms_and_trains():
    group = cyclic(4)
    pen = RegularRepresentationPenalty(group, 10, weight=3.0)
    torch.manual_seed(0)
    encoder, head = torch.nn.Linear(10, 10), torch.nn.Linear(10, 4)
    x, y = torch.randn(32, 10), torch.randint(4, (32,))
    gen = torch.Generator().manual_seed(0)
    g = pen.sample(32, generator=gen)
    terms = penalty_objective(encoder, head, x, y, g, pen.act, pen)
    torch.testing.assert_close(terms["total"], terms["task"] + terms["shifted"] + 3.0 * terms["equivariance"])
    ablated = penalty_objective(encoder, head, x, y, g, pen.act, pen, shifted_weight=0.25)
    torch.testing.assert_close(ablated["shifted"], terms["shifted"])
    torch.testing.assert_close(ablated["total"], terms["task"] + 0.25 * terms["shifted"] + 3.0 * terms["equivariance"])
    # the other reading of the shifted loss: the task loss on the transformed inputs' codes
    on_input = penalty_objective(encoder, head, x, y, g, pen.act, pen, shifted_on="input")
    torch.testing.assert_close(on_input["shifted"], F.cross_entropy(head(encoder(pen.act(x, g))), y))
    assert abs(on_input["shifted"].item() - terms["shifted"].item()) > 1e-3  # a linear encoder is not equivariant
    torch.testing.assert_close(on_input["task"], terms["task"])
    torch.testing.assert_close(on_input["equivariance"], terms["equivariance"])
    with pytest.raises(ValueError, match="shifted_on must be one of"):
        penalty_objective(encoder, head, x, y, g, pen.act, pen, shifted_on="output")
    target_act = lambda v, g: (v + g) % 4  # noqa: E731  (equivariant targets)
    moved = penalty_objective(encoder, head, x, y, g, pen.act, pen, act_y=target_act)
    torch.testing.assert_close(moved["shifted"], F.cross_entropy(head(pen.act(encoder(x), g)), target_act(y, g)))
    double = penalty_objective(encoder, head, x, y, g, pen.act, pen, loss_fn=lambda o, t: 2 * F.cross_entropy(o, t))
    torch.testing.assert_close(double["task"], 2 * terms["task"])
    opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-2)
    first = terms["equivariance"].item()
    for _ in range(150):
        terms = penalty_objective(encoder, head, x, y, pen.sample(32, generator=gen), pen.act, pen)
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
    assert terms["equivariance"].item() < 0.1 * first


# ----------------------------------------------------------------------------- documented contracts

def test_rho_z_is_consecutive_regular_blocks_then_fixed_padding():
    c3 = cyclic(3)
    rep = latent_regular_representation(c3, 8)  # m = 2 copies, p = 2 padding
    assert rep.name == "2 x regular (+) 2 x trivial"
    reg = regular(c3).matrices
    for g in range(3):
        want = np.eye(8)
        want[:3, :3], want[3:6, 3:6] = reg[g], reg[g]
        np.testing.assert_array_equal(rep.matrices[g], want)
    assert regular_copies(c3, 3) == (1, 0) and regular_copies(c3, 8) == (2, 2)
    with pytest.raises(ValueError, match=r"^a latent of dimension 2 cannot hold the regular representation of C_3"):
        regular_copies(c3, 2)


@pytest.mark.parametrize("bad", [
    [[1.0, 0.0], [1.0, 0.0]],    # rows sum to 1, a column sums to 2
    [[1.0, 1.0], [0.0, 0.0]],    # columns sum to 1, a row sums to 2
    [[0.5, 0.5], [0.5, 0.5]],    # doubly stochastic, entries not 0/1
    [[2.0, -1.0], [-1.0, 2.0]],  # rows and columns sum to 1
])
def test_permutation_sources_checks_each_property(bad):
    with pytest.raises(ValueError, match="^the matrices are not all permutation matrices$"):
        permutation_sources(np.array([np.eye(2), bad]))


def test_permutation_sources_reads_the_gather_indices():
    m = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=float)  # (M z)_0 = z_2, (M z)_1 = z_0, (M z)_2 = z_1
    src = permutation_sources(np.stack([np.eye(3), m]))
    assert src.dtype == np.int64 and src.tolist() == [[0, 1, 2], [2, 0, 1]]
    z = np.array([10.0, 20.0, 30.0])
    np.testing.assert_array_equal(z[src[1]], m @ z)


def test_penalty_buffers_dtypes_and_weighted_mse():
    pen = RegularRepresentationPenalty(cyclic(4), 9, weight=3)
    assert pen.weight == 3.0 and isinstance(pen.weight, float)
    assert pen.matrices.dtype == torch.float32 and pen.matrices.shape == (4, 9, 9)
    assert pen.sources.dtype == torch.int64 and pen.sources.shape == (4, 9) and pen.dim == 9
    assert (pen.copies, pen.padding) == (2, 1)
    gen = torch.Generator().manual_seed(0)
    z, target = torch.randn(5, 9, generator=gen), torch.randn(5, 9, generator=gen)
    g = torch.tensor([0, 1, 2, 3, 1])
    torch.testing.assert_close(pen(z, target, g), 3.0 * ((pen.act_matmul(z, g) - target) ** 2).mean())
    # element indices of any integer dtype are indices (a uint8 tensor would otherwise index as a mask)
    torch.testing.assert_close(pen.act(z, g.to(torch.uint8)), pen.act(z, g), atol=0, rtol=0)
    torch.testing.assert_close(pen.act_matmul(z, g.to(torch.uint8)), pen.act(z, g), atol=0, rtol=0)
    z64 = z.double()  # the float32 matrices follow the latents' dtype
    torch.testing.assert_close(pen.act_matmul(z64, g), pen.act(z64, g), atol=0, rtol=0)
    z_by_hand = torch.stack([z[b, pen.sources[g[b]]] for b in range(5)])
    torch.testing.assert_close(pen.act(z, g), z_by_hand, atol=0, rtol=0)
    assert not torch.equal(pen.act(z, g), z)
    with pytest.raises(ValueError, match=r"shape \(B, 9, ...\), got \(9,\)"):
        pen.act(z[0], g[:1])
    with pytest.raises(ValueError, match=r"^need one group element per sample: shape \(5,\), got \(2,\)$"):
        pen.act(z, g[:2])
    assert pen.act(z[:0], g[:0]).shape == (0, 9)  # an empty batch is fine


def test_sample_is_uniform_on_the_group_and_lands_on_the_device():
    pen = RegularRepresentationPenalty(direct_product(cyclic(2), cyclic(3)), 6)
    a = pen.sample(6000, generator=torch.Generator().manual_seed(1))
    assert a.shape == (6000,) and a.min() == 0 and a.max() == 5
    counts = torch.bincount(a, minlength=6).float()
    assert (counts - 1000).abs().max() < 120  # about 4.4 standard deviations of a binomial count
    assert pen.sample(3, device="cpu").device.type == "cpu" and pen.sample(0).shape == (0,)
    assert RegularRepresentationPenalty(cyclic(2), 2).to("meta").sample(3).device.type == "meta"  # buffers' device
    assert RegularRepresentationPenalty(cyclic(2), 2).weight == 1.0
    torch.manual_seed(5)
    first = pen.sample(50)
    torch.manual_seed(5)
    assert torch.equal(first, pen.sample(50))  # without a generator: torch's global one


# ------------------------------------------------------------------ the CNN of App. C.1

def test_shapes_and_the_66_channel_latent():
    torch.manual_seed(0)
    model = PenaltyCNN()
    x = torch.rand(3, 1, 56, 56)
    z = model.encode(x)
    assert z.shape == (3, 66) and model.latent_dim == 66
    assert model(x).shape == (3, 100)
    torch.testing.assert_close(model.head(z), model(x))
    assert PenaltyCNN(latent_dim=48).encode(x).shape == (3, 48)  # the original benchmark's width


def test_feature_maps_shrink_from_57_to_one_pixel():
    model = PenaltyCNN().eval()
    x, shapes = torch.rand(2, 1, 28, 28), []
    for layer in model.encoder:  # upsample, 5 blocks, 3 pools, the 1 x 1 conv, flatten
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == [(1, 57, 57), (6, 55, 55), (12, 55, 55), (12, 27, 27), (24, 15, 15), (24, 7, 7),
                      (36, 3, 3), (36, 3, 3), (36, 1, 1), (66, 1, 1), (66,)]


def test_the_encoder_is_nonlinear():
    torch.manual_seed(0)
    model = PenaltyCNN().eval()  # batch norm with running statistics: affine, so only the ELUs bend it
    a = 10 * torch.randn(1, 1, 28, 28)
    with torch.no_grad():  # f(a) + f(-a) = 2 f(0) for an affine f
        bend = model.encode(a) + model.encode(-a) - 2 * model.encode(torch.zeros_like(a))
    assert bend.abs().max() > 1e-2


def test_parameter_count_by_hand():
    conv = lambda i, o, k: i * o * k * k + o
    bn = lambda c: 2 * c
    encoder = (conv(1, 6, 7) + bn(6) + conv(6, 12, 5) + bn(12) + conv(12, 24, 3) + bn(24)
               + conv(24, 36, 3) + bn(36) + conv(36, 36, 3) + bn(36) + conv(36, 66, 1))
    head = bn(66) + 66 * 100 + 100
    model = PenaltyCNN()
    assert parameter_count(model.encoder) == encoder
    assert parameter_count(model.head) == head
    assert parameter_count(model) == encoder + head == 33_742  # "0.03 M" in the paper's Table 4
    model.head[-1].weight.requires_grad_(False)
    assert parameter_count(model) == encoder + head - 6600
    assert parameter_count(model, trainable_only=False) == encoder + head


def test_penalty_training_step_on_a_tiny_batch_reduces_the_objective():
    torch.manual_seed(0)
    model = PenaltyCNN()
    pen = RegularRepresentationPenalty(pair_group("C4"), model.latent_dim, weight=2.0)
    x, y = torch.rand(8, 1, 56, 56), torch.randint(100, (8,))
    g = pen.sample(8, generator=torch.Generator().manual_seed(0))
    act_x = lambda v, h: act_on_pairs(v, "C4", h)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(12):
        terms = penalty_objective(model.encode, model.head, x, y, g, act_x, pen)
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
        losses.append(terms["total"].item())
    assert losses[-1] < 0.7 * losses[0]


def test_cnn_rejects_bad_input():
    model = PenaltyCNN()
    with pytest.raises(ValueError, match=r"expected images \(B, 1, H, W\)"):
        model(torch.rand(2, 3, 56, 56))
    with pytest.raises(ValueError, match="did not shrink"):
        PenaltyCNN(size=80).encode(torch.rand(2, 1, 56, 56))
