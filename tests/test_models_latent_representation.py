"""Learned latent representations: words, algebra loss, read-off, and the Sec. 4 objective."""


import numpy as np
import pytest
import torch

from eqrep.groups import cyclic, dihedral, direct_product
from eqrep.models.latent_representation import (
    SHIFTED_ON,
    LearnedRepresentation,
    latent_equivariance_loss,
    objective_terms,
    shifted_task_loss,
)
from eqrep.representations import direct_sum, regular

from latent_representation_helpers import conjugated_regular, set_generators


@pytest.mark.parametrize("group", [cyclic(4), dihedral(3), direct_product(cyclic(2), cyclic(2))], ids=str)
def test_matrices_follow_the_words_and_respect_the_table_at_a_representation(group):
    model = LearnedRepresentation(group, group.order).double()
    set_generators(model, conjugated_regular(group, 1, orthogonal=False))
    m = model.matrices()
    assert m.shape == (group.order, group.order, group.order)
    for g, word in enumerate(group.words):
        torch.testing.assert_close(m[g], model.word(word))
    for g in range(group.order):
        for h in range(group.order):
            torch.testing.assert_close(m[g] @ m[h], m[group.mul(g, h)], atol=1e-9, rtol=0)


@pytest.mark.parametrize("group", [cyclic(2), cyclic(4), dihedral(3), dihedral(1)], ids=str)
def test_algebra_loss_is_zero_exactly_at_a_representation(group):
    model = LearnedRepresentation(group, 2 * group.order).double()
    set_generators(model, conjugated_regular(group, 2, orthogonal=False))  # a representation, not orthogonal
    assert model.algebra_loss().item() < 1e-20
    assert model.to_representation().defect() < 1e-9
    assert model.conditioning_loss().item() > 1e-3  # conditioning is a regulariser, not part of the algebra
    set_generators(model, conjugated_regular(group, 2, orthogonal=True))
    assert model.algebra_loss(conditioning_weight=1.0).item() < 1e-20
    # off a representation: a small perturbation of a generator is seen
    with torch.no_grad():
        model.generators[-1, 0, 1] += 1e-3
    assert model.algebra_loss().item() > 1e-10
    assert model.to_representation().defect() > 1e-4


def test_random_initialisation_is_no_representation_and_training_the_algebra_loss_finds_one():
    group = cyclic(4)
    model = LearnedRepresentation(group, 8, seed=3)
    start = model.algebra_loss().item()
    assert start > 1e-2
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(300):
        opt.zero_grad()
        loss = model.algebra_loss(conditioning_weight=0.1)
        loss.backward()
        opt.step()
    assert model.algebra_loss().item() < 1e-3 * start
    assert model.to_representation().defect() < 0.1


def test_initialisations_are_seeded_and_orthogonal_ones_are_orthogonal():
    group = dihedral(3)
    a, b = LearnedRepresentation(group, 6, seed=1), LearnedRepresentation(group, 6, seed=1)
    assert torch.equal(a.generators, b.generators)
    assert not torch.equal(a.generators, LearnedRepresentation(group, 6, seed=2).generators)
    eye = torch.eye(6).expand(2, 6, 6)
    torch.testing.assert_close(a.generators.transpose(1, 2) @ a.generators, eye, atol=1e-5, rtol=0)
    near = LearnedRepresentation(group, 6, init="identity", noise=0.01)
    assert (near.generators - torch.eye(6)).abs().max() < 0.05
    with pytest.raises(ValueError, match="unknown init"):
        LearnedRepresentation(group, 6, init="zeros")


def test_inverse_loss_matches_the_reference_formula_for_c4():
    model = LearnedRepresentation(cyclic(4), 3, init="identity", noise=0.5, seed=0).double()
    a = model.generators[0]
    expected = torch.mean((torch.linalg.matrix_power(a, 3) - torch.linalg.inv(a)) ** 2)
    torch.testing.assert_close(model.inverse_loss(), expected)
    rel = torch.mean((torch.linalg.matrix_power(a, 4) - torch.eye(3, dtype=a.dtype)) ** 2)
    torch.testing.assert_close(model.algebra_loss(), rel + expected)


def test_relation_weights_scale_each_relation():
    model = LearnedRepresentation(dihedral(3), 4, seed=0)
    r, s = model.generators
    eye = torch.eye(4)
    parts = [torch.mean((r @ r @ r - eye) ** 2), torch.mean((s @ s - eye) ** 2), torch.mean((s @ r @ s @ r - eye) ** 2)]
    torch.testing.assert_close(model.relation_loss([0.5, 0.5, 2.0]), 0.5 * parts[0] + 0.5 * parts[1] + 2.0 * parts[2])
    with pytest.raises(ValueError, match="3 relations but 2 weights"):
        model.relation_loss([1.0, 1.0])


def _equivariant_setup(group):
    """A linear encoder that intertwines rho_X = rho_Z = 2 x regular exactly."""
    rep = direct_sum(regular(group), regular(group))
    mats = torch.as_tensor(rep.matrices, dtype=torch.float32)

    def act(v, g):
        return torch.einsum("bij,bj->bi", mats[g], v)

    w = sum(m for m in mats)  # the Reynolds average of the identity commutes with every rho(g)
    return act, (lambda x: x @ w.T), rep.dim


def test_objective_terms_vanish_for_an_equivariant_encoder_and_invariant_head():
    group = cyclic(4)
    act, encoder, d = _equivariant_setup(group)
    head = lambda z: torch.stack([z.sum(1), -z.sum(1)], 1)  # invariant under permutations
    x, y = torch.randn(6, d), torch.randint(2, (6,))
    g = torch.randint(group.order, (6,))
    terms = objective_terms(encoder, head, x, y, g, act, act)
    assert terms["equivariance"].item() < 1e-10
    torch.testing.assert_close(terms["shifted"], terms["task"])
    torch.testing.assert_close(terms["total"], 2 * terms["task"] + terms["equivariance"])
    # for an equivariant encoder and invariant head both readings of the shifted loss agree
    torch.testing.assert_close(objective_terms(encoder, head, x, y, g, act, act, shifted_on="input")["shifted"],
                               terms["shifted"])
    bent = lambda x: encoder(x) + x[:, :1] ** 2  # breaks equivariance
    assert objective_terms(bent, head, x, y, g, act, act)["equivariance"].item() > 1e-3
    with pytest.raises(ValueError, match=r"^need one group element per sample: g of shape \(6,\), got \(3,\)$"):
        objective_terms(encoder, head, x, y, g[:3], act, act)


def test_shifted_loss_uses_the_target_action_and_latent_loss_checks_shapes():
    act = lambda v, g: torch.where((g % 2 == 1)[:, None], -v, v)  # C_2 acting by sign
    head = lambda z: z
    z, y = torch.randn(4, 3), torch.randn(4, 3)
    g = torch.tensor([0, 1, 0, 1])
    mse = torch.nn.functional.mse_loss
    torch.testing.assert_close(shifted_task_loss(head, z, y, g, act, act, mse), mse(act(z, g), act(y, g)))
    torch.testing.assert_close(shifted_task_loss(head, z, y, g, act, act, mse), mse(z, y))  # signs cancel
    torch.testing.assert_close(shifted_task_loss(head, z, y, g, act, None, mse), mse(act(z, g), y))
    assert abs(mse(act(z, g), y) - mse(z, y)) > 1e-3
    with pytest.raises(ValueError, match="latent shapes differ"):
        latent_equivariance_loss(z, z[:, :2], g, act)


def test_section4_training_step_reduces_the_loss_on_a_tiny_batch():
    group = cyclic(2)
    torch.manual_seed(0)
    encoder, head = torch.nn.Linear(6, 4), torch.nn.Linear(4, 3)
    rep = LearnedRepresentation(group, 4)
    x, y = torch.randn(16, 6), torch.randint(3, (16,))
    act_x = lambda v, g: torch.where((g == 1)[:, None], v.flip(1), v)
    params = [*encoder.parameters(), *head.parameters(), *rep.parameters()]
    opt = torch.optim.Adam(params, lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(100):
        g = torch.randint(2, (16,), generator=gen)
        loss = objective_terms(encoder, head, x, y, g, act_x, rep)["total"] + rep.algebra_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]
    with pytest.raises(ValueError, match=r"shape \(B, 4\)"):
        rep(torch.randn(2, 5), torch.zeros(2, dtype=torch.long))


def test_conditioning_loss_is_finite_with_repeated_singular_values_and_matches_the_svd():
    model = LearnedRepresentation(dihedral(3), 5, init="identity", noise=0.0).double()
    loss = model.conditioning_loss()
    loss.backward()  # an SVD fails to converge / has NaN gradients at repeated singular values
    assert loss.item() == 0.0 and torch.isfinite(model.generators.grad).all()
    model = LearnedRepresentation(dihedral(3), 5, init="identity", noise=0.8, seed=1).double()
    s = torch.linalg.svdvals(model.generators)
    torch.testing.assert_close(model.conditioning_loss(), ((s[:, 0].log() - s[:, -1].log()) ** 2).mean())


def test_orthogonal_start_is_in_so_d_for_generators_of_odd_order():
    # det rho(r) = 1 for r of odd order, and det cannot change sign without a singular matrix
    dets = torch.stack([torch.linalg.det(LearnedRepresentation(dihedral(3), 7, seed=s).generators) for s in range(12)])
    torch.testing.assert_close(dets[:, 0], torch.ones(12), atol=1e-5, rtol=0)  # r has order 3
    assert (dets[:, 1] < 0).any() and (dets[:, 1] > 0).any()  # s has order 2: both components
    q = LearnedRepresentation(cyclic(3), 5, seed=0).generators[0]
    torch.testing.assert_close(q.T @ q, torch.eye(5), atol=1e-5, rtol=0)


# ----------------------------------------------------------------------------- documented contracts

def test_orthogonal_initialisation_is_haar_distributed():
    # Haar on O(d): every entry has mean 0 and second moment 1/d, and is positive half the time; a QR
    # without the sign correction gives Q[0, 0] < 0 always (Householder), so the mean would not vanish
    d, seeds = 4, 300
    gens = torch.stack([LearnedRepresentation(direct_product(cyclic(2), cyclic(2)), d, seed=s).generators
                        for s in range(seeds)])  # (seeds, 2, d, d); generators of even order: no det flip
    diag = torch.diagonal(gens, dim1=-2, dim2=-1).reshape(-1)
    assert abs((diag > 0).float().mean().item() - 0.5) < 0.05
    assert diag.mean().abs().item() < 0.05
    assert (gens ** 2).mean().item() == pytest.approx(1 / d, rel=0.05)
    assert not torch.equal(gens[0, 0], gens[0, 1])  # independent generators


def test_identity_initialisation_is_the_identity_plus_scaled_gaussian_noise():
    d = 30
    model = LearnedRepresentation(dihedral(3), d, init="identity", noise=0.2, seed=0)
    noise = (model.generators - torch.eye(d)) / 0.2
    assert noise.mean().abs().item() < 0.02
    assert noise.var().item() == pytest.approx(1 / d, rel=0.1)  # N(0, 1/d) before scaling by noise
    default = LearnedRepresentation(dihedral(3), d, init="identity")  # noise 0.1, seed 0
    torch.testing.assert_close(default.generators, LearnedRepresentation(dihedral(3), d, init="identity", noise=0.1,
                                                                         seed=0).generators)
    assert (default.generators - torch.eye(d)).std().item() == pytest.approx(0.1 / d ** 0.5, rel=0.1)
    seeded = LearnedRepresentation(cyclic(4), 3, seed=0).generators
    assert torch.equal(LearnedRepresentation(cyclic(4), 3).generators, seeded)
    with pytest.raises(ValueError, match="latent dimension must be >= 1, got 0"):
        LearnedRepresentation(dihedral(3), 0)
    assert LearnedRepresentation(dihedral(3), 1).dim == 1


def test_forward_acts_with_the_matrix_of_each_samples_element():
    group = dihedral(3)
    model = LearnedRepresentation(group, 3, seed=4).double()
    z = torch.randn(4, 3, dtype=torch.float64)
    g = torch.tensor([0, 5, 2, 5])
    m = model.matrices()
    torch.testing.assert_close(model(z, g), torch.stack([m[g[b]] @ z[b] for b in range(4)]))
    torch.testing.assert_close(m[0], torch.eye(3, dtype=torch.float64))
    torch.testing.assert_close(model.word([1, 0, 0]), model.generators[1] @ model.generators[0] @ model.generators[0])
    with pytest.raises(ValueError, match=r"latents must have shape \(B, 3\), got \(3,\)"):
        model(z[0], g[:1])


def test_losses_sum_over_every_generator_and_relation():
    model = LearnedRepresentation(dihedral(3), 3, init="identity", noise=0.5, seed=1).double()
    r, s = model.generators
    eye = torch.eye(3, dtype=torch.float64)
    mse = torch.nn.functional.mse_loss
    inverse = mse(r @ r, torch.linalg.inv(r)) + mse(s, torch.linalg.inv(s))  # orders 3 and 2
    torch.testing.assert_close(model.inverse_loss(), inverse)
    relations = mse(r @ r @ r, eye) + mse(s @ s, eye) + mse(s @ r @ s @ r, eye)
    torch.testing.assert_close(model.relation_loss(), relations)
    cond = model.conditioning_loss()
    torch.testing.assert_close(model.algebra_loss(), relations + inverse)
    torch.testing.assert_close(model.algebra_loss(inverse_weight=0.0), relations)
    torch.testing.assert_close(model.algebra_loss(inverse_weight=2.0, conditioning_weight=3.0),
                               relations + 2.0 * inverse + 3.0 * cond)
    torch.testing.assert_close(model.algebra_loss([2.0, 0.0, 0.0], inverse_weight=0.0), 2.0 * mse(r @ r @ r, eye))
    no_relations = direct_product(cyclic(2), cyclic(2))
    object.__setattr__(no_relations, "relations", ())
    with pytest.raises(ValueError, match="has no relations; build it with a presentation"):
        LearnedRepresentation(no_relations, 2).relation_loss()


def test_conditioning_loss_stays_finite_for_a_singular_generator():
    model = LearnedRepresentation(cyclic(2), 3, init="identity", noise=0.0).double()
    with torch.no_grad():
        model.generators[0, 2] = 0.0  # rank 2: sigma_min = 0
    loss = model.conditioning_loss()
    assert torch.isfinite(loss) and loss.item() > 100


def test_to_representation_is_a_float64_unchecked_copy():
    model = LearnedRepresentation(cyclic(4), 3, seed=0)
    rep = model.to_representation("mine")
    assert rep.name == "mine" and rep.generator_matrices[0].dtype == np.float64
    assert rep.defect() > 0.1  # a random start is no representation, and check=False let it through
    np.testing.assert_allclose(rep.generator_matrices[0], model.generators[0].detach().numpy(), atol=1e-7)
    assert model.to_representation().name == "learned"


def test_objective_runs_the_encoder_once_on_both_views_and_weights_the_terms():
    calls = []
    torch.manual_seed(0)
    lin = torch.nn.Linear(4, 4)

    def encoder(v):
        calls.append(v.shape[0])
        return lin(v)

    head = torch.nn.Linear(4, 3)
    act = lambda v, g: torch.where((g == 1)[:, None], v.flip(1), v)  # noqa: E731
    x, y, g = torch.randn(6, 4), torch.randint(3, (6,)), torch.tensor([0, 1, 1, 0, 1, 1])
    terms = objective_terms(encoder, head, x, y, g, act, act, alpha=0.5, beta=2.0)
    assert calls == [12]  # once, on x and rho_X(g) x concatenated
    z, zg = lin(x), lin(act(x, g))
    ce = torch.nn.functional.cross_entropy
    torch.testing.assert_close(terms["task"], ce(head(z), y))
    torch.testing.assert_close(terms["shifted"], ce(head(act(z, g)), y))
    torch.testing.assert_close(terms["equivariance"], ((act(z, g) - zg) ** 2).mean())
    torch.testing.assert_close(terms["total"], terms["task"] + 0.5 * terms["shifted"] + 2.0 * terms["equivariance"])
    target_act = lambda v, g: (v + g) % 3  # noqa: E731  (a permutation of the labels)
    on_input = objective_terms(encoder, head, x, y, g, act, act, act_y=target_act, shifted_on="input")
    torch.testing.assert_close(on_input["shifted"], ce(head(zg), target_act(y, g)))
    torch.testing.assert_close(on_input["task"], ce(head(z), y))
    on_latent = objective_terms(encoder, head, x, y, g, act, act, act_y=target_act)
    torch.testing.assert_close(on_latent["shifted"], ce(head(act(z, g)), target_act(y, g)))
    defaults = objective_terms(encoder, head, x, y, g, act, act)  # alpha = beta = 1
    torch.testing.assert_close(defaults["total"], defaults["task"] + defaults["shifted"] + defaults["equivariance"])
    double = lambda out, target: 2 * ce(out, target)  # noqa: E731  (every task term uses the given loss)
    for where in SHIFTED_ON:
        custom = objective_terms(encoder, head, x, y, g, act, act, loss_fn=double, shifted_on=where)
        plain = objective_terms(encoder, head, x, y, g, act, act, shifted_on=where)
        torch.testing.assert_close(custom["task"], 2 * plain["task"])
        torch.testing.assert_close(custom["shifted"], 2 * plain["shifted"])


def test_matrices_are_built_on_the_generators_device():
    model = LearnedRepresentation(dihedral(3), 3).to("meta")  # an identity made on the CPU would not mix
    assert model.matrices().device.type == "meta" and model.word([0, 1]).device.type == "meta"
    for loss in (model.inverse_loss, model.relation_loss, model.conditioning_loss, model.algebra_loss):
        assert loss().device.type == "meta"
    half = LearnedRepresentation(dihedral(3), 3).to(torch.bfloat16)  # and of the generators' dtype
    assert half.matrices().dtype == half.relation_loss().dtype == torch.bfloat16
