"""EquiVAE model: complementary sampling, shapes, the bounds of Eqs. 4-7, the distance classifier."""

import math

import pytest
import torch
import torch.nn.functional as F

from eqrep.models import equivae as E

TINY = dict(filters=(4, 4, 8, 8, 8), dense=(16, 8), latent_dim=3)


def tiny_model(shape=(1, 12, 12), likelihood="bernoulli", n_classes=3, label_posterior=False, seed=0):
    torch.manual_seed(seed)
    return E.EquiVAE(E.EquiVAEConfig(image_shape=shape, likelihood=likelihood, n_classes=n_classes,
                                     label_posterior=label_posterior, **TINY))


# ----------------------------------------------------------------------------- complementary samples

def test_complementary_samples_are_other_members_of_the_same_class(gen):
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2, 2])
    for m in (1, 2, 3):
        for _ in range(20):
            comp = E.complementary_indices(labels, m, gen)
            assert comp.shape == (len(labels), m)
            query = torch.arange(len(labels))
            assert (comp != query[:, None]).all()  # never x itself
            assert (labels[comp] == labels[:, None]).all()  # only its own class
            assert all(len(set(row.tolist())) == m for row in comp)  # distinct


def test_complementary_samples_of_a_query_subset_and_their_coverage(gen):
    labels = torch.tensor([1, 1, 1, 1, 0, 0, 0])
    query = torch.tensor([2, 5])
    seen = {2: set(), 5: set()}
    for _ in range(200):
        comp = E.complementary_indices(labels, 2, gen, query=query)
        for q, row in zip(query.tolist(), comp.tolist(), strict=True):
            seen[q] |= set(row)
    assert seen == {2: {0, 1, 3}, 5: {4, 6}}  # every other member drawn, never the query
    # a class of exactly m + 1 members: the row is the other m members
    comp = E.complementary_indices(labels, 2, gen, query=torch.tensor([4]))
    assert sorted(comp[0].tolist()) == [5, 6]


def test_complementary_sampling_is_reproducible():
    labels = torch.arange(40) % 4
    a = E.complementary_indices(labels, 3, torch.Generator().manual_seed(7))
    b = E.complementary_indices(labels, 3, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_too_few_class_members_is_a_clear_error(gen):
    labels = torch.tensor([0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"class 1 has 1 eligible samples \(the sample itself excluded\)"):
        E.complementary_indices(labels, 2, gen)
    with pytest.raises(ValueError, match="class 1 has 2 eligible"):
        E.sample_same_class(labels, torch.tensor([0, 1]), 3, gen)
    with pytest.raises(ValueError, match="m >= 1"):
        E.complementary_indices(labels, 0, gen)
    with pytest.raises(ValueError, match="query indices"):
        E.complementary_indices(labels, 1, gen, query=torch.tensor([5]))


def test_class_samples_for_unlabelled_data(gen):
    labels = torch.tensor([2, 0, 1, 2, 0, 1, 2, 0])
    sets = E.sample_same_class(labels, torch.arange(3), 2, gen)
    assert sets.shape == (3, 2)
    assert (labels[sets] == torch.arange(3)[:, None]).all()


# ----------------------------------------------------------------------------- shapes

@pytest.mark.parametrize("shape,likelihood", [((1, 28, 28), "bernoulli"), ((3, 32, 32), "gaussian"),
                                              ((1, 29, 29), "bernoulli"), ((2, 12, 20), "gaussian")])
def test_shapes_of_every_part(shape, likelihood):
    model = tiny_model(shape, likelihood, label_posterior=True)
    x = torch.rand(5, *shape)
    r = model.represent(torch.rand(5, 4, *shape))
    assert r.shape == (5, 3) and model.embed(x).shape == (5, 3) and model.f_inv(x).shape == (5, 16)
    out = model(x, r)
    assert out.params.shape == (5, *shape)  # the decoder gives back the image size exactly
    assert out.mu.shape == out.logvar.shape == out.v.shape == (5, 3)
    assert model.label_logits(x).shape == (5, 3)
    image = model.mean_image(r, out.v)
    assert image.shape == (5, *shape)
    if likelihood == "bernoulli":
        assert 0 <= image.min() and image.max() <= 1


def test_v_can_have_its_own_dimension():
    model = E.EquiVAE(E.EquiVAEConfig(image_shape=(1, 12, 12), n_classes=3, **{**TINY, "latent_dim": 5}, v_dim=2))
    x = torch.rand(4, 1, 12, 12)
    r = model.represent(torch.rand(4, 2, 1, 12, 12))
    out = model(x, r)
    assert r.shape == (4, 5) and out.mu.shape == out.logvar.shape == out.v.shape == (4, 2)
    assert out.params.shape == (4, 1, 12, 12) and model.config.v_size == 2
    assert E.EquiVAEConfig(latent_dim=7).v_size == 7  # default: v as large as r
    with pytest.raises(ValueError, match="v_dim"):
        E.EquiVAEConfig(v_dim=0)


def test_paper_sizes_stay_under_a_million_parameters():
    model = E.EquiVAE(E.EquiVAEConfig(label_posterior=True))  # App. B: "well under 1 million"
    assert sum(p.numel() for p in model.parameters()) < 1_000_000
    convs = [m for m in model.invariant.trunk.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [8, 16, 32, 64, 64] and [c.stride[0] for c in convs] == [1, 2, 2, 2, 2]
    deconvs = [m for m in model.decoder.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [d.out_channels for d in deconvs] == [64, 32, 16, 8] and model.decoder.out.out_channels == 1


def test_log_variance_is_clamped_so_the_unlabelled_bound_stays_finite():
    model = tiny_model(label_posterior=True)
    with torch.no_grad():
        model.encoder.logvar[-1].bias.fill_(1e4)  # an encoder that would overflow exp(log sigma^2)
    x = torch.rand(4, 1, 12, 12)
    with torch.no_grad():
        _, logvar = model.encode(x, torch.randn(4, model.config.latent_dim))
    assert logvar.max().item() == E.LOGVAR_MAX
    log_q = torch.tensor([[0.0, -math.inf, -math.inf]]).expand(4, 3)  # q = 0 on two classes
    bound = E.unlabelled_elbo(model, x, torch.randn(3, model.config.latent_dim), log_q, torch.zeros(3))["bound"]
    assert torch.isfinite(bound).all()


def test_a_confident_q_of_y_gets_finite_gradients():
    model = tiny_model(label_posterior=True)
    logits = torch.tensor([[0.0, -200.0, -200.0]] * 4, requires_grad=True)  # q underflows to exactly 0
    log_q = torch.log_softmax(logits, 1)
    assert (log_q.exp() == 0).sum() == 8
    out = E.unlabelled_elbo(model, torch.rand(4, 1, 12, 12), torch.randn(3, model.config.latent_dim), log_q,
                            torch.zeros(3))
    out["bound"].sum().backward()
    assert torch.isfinite(logits.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_bad_inputs_are_rejected():
    model = tiny_model()
    with pytest.raises(ValueError, match=r"expected images \(N, 1, 12, 12\)"):
        model.embed(torch.rand(2, 1, 28, 28))
    with pytest.raises(RuntimeError, match="label_posterior=True"):
        model.label_logits(torch.rand(2, 1, 12, 12))
    with pytest.raises(ValueError, match="unknown likelihood"):
        E.EquiVAEConfig(likelihood="poisson")
    assert E.EquiVAEConfig(image_shape=[1, 28, 28], filters=[8, 16, 32, 64, 64]) == E.EquiVAEConfig()


def test_r_is_a_function_of_the_set():
    model = tiny_model()
    sets = torch.rand(4, 5, 1, 12, 12)
    torch.testing.assert_close(model.represent(sets), model.represent(sets[:, torch.randperm(5)]))
    torch.testing.assert_close(model.represent(sets[:, :1]), model.embed(sets[:, 0]))  # m = 1 is embed


# ----------------------------------------------------------------------------- bounds

def test_likelihoods_and_kl_match_hand_computed_values():
    x = torch.tensor([0.0, 1.0, 0.5, 0.25]).view(1, 1, 2, 2)
    nll = E.reconstruction_nll(torch.zeros_like(x), x, "bernoulli")
    torch.testing.assert_close(nll, torch.tensor([4 * math.log(2)]))  # logits 0: log 2 per pixel
    nll = E.reconstruction_nll(x, x, "gaussian", torch.zeros(1))
    torch.testing.assert_close(nll, torch.tensor([2 * math.log(2 * math.pi)]))  # 4 pixels * 0.5 log 2 pi
    nll = E.reconstruction_nll(x + 2, x, "gaussian", torch.full((1,), math.log(2.0)))
    torch.testing.assert_close(nll, torch.tensor([4 * (0.5 + math.log(2.0) + 0.5 * math.log(2 * math.pi))]))
    kl = E.kl_to_prior(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(2.0)]]))
    torch.testing.assert_close(kl, torch.tensor([0.5 + 0.5 * (2 - 1 - math.log(2.0))]))
    torch.testing.assert_close(E.class_log_prior(torch.tensor([0, 0, 1, 2]), 3), torch.tensor([0.5, 0.25, 0.25]).log())
    with pytest.raises(ValueError, match="every one of the 3 classes"):
        E.class_log_prior(torch.tensor([0, 0, 1]), 3)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_labelled_bound_terms_are_finite_and_kl_nonnegative(likelihood):
    model = tiny_model(likelihood=likelihood)
    x, y = torch.rand(6, 1, 12, 12), torch.tensor([0, 1, 2, 0, 1, 2])
    r = model.represent(torch.rand(6, 3, 1, 12, 12))
    prior = torch.log(torch.full((3,), 1 / 3))
    terms = E.labelled_elbo(model, x, r, y, prior)
    for value in terms.values():
        assert value.shape == (6,) and torch.isfinite(value).all()
    assert (terms["kl"] >= 0).all()
    if likelihood == "bernoulli":
        assert (terms["reconstruction"] > 0).all()
    torch.testing.assert_close(terms["bound"], -terms["reconstruction"] - terms["kl"] + prior[y])


def test_supervised_objective_decreases_on_a_tiny_batch():
    model = tiny_model()
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(12) % 3
    templates = torch.rand(3, 1, 12, 12, generator=gen).round()  # one binary pattern per class, 5 % flipped
    pool = (templates[labels] - (torch.rand(12, 1, 12, 12, generator=gen) < 0.05).float()).abs()
    prior = E.class_log_prior(labels, 3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss(sample):
        comp = E.complementary_indices(labels, 2, gen)
        return E.supervised_loss(E.labelled_elbo(model, pool, model.represent(pool[comp]), labels, prior, sample))

    before = loss(sample=False).item()
    for _ in range(40):
        opt.zero_grad()
        loss(sample=True).backward()
        opt.step()
    after = loss(sample=False).item()
    assert after < 0.85 * before, (before, after)  # ~101 -> ~79 nats


def test_unlabelled_bound_with_one_hot_q_is_the_labelled_bound():
    model = tiny_model(label_posterior=True).eval()
    x, y = torch.rand(6, 1, 12, 12), torch.tensor([2, 0, 1, 1, 0, 2])
    class_r = model.represent(torch.rand(3, 4, 1, 12, 12))
    prior = torch.tensor([0.5, 0.3, 0.2]).log()
    lab = E.labelled_elbo(model, x, class_r[y], y, prior, sample=False)
    log_q = torch.full((6, 3), -math.inf).scatter(1, y[:, None], 0.0)  # q(y|x) one-hot on the true label
    unl = E.unlabelled_elbo(model, x, class_r, log_q, prior, sample=False)
    torch.testing.assert_close(unl["bound"], lab["bound"])
    # ... and Eq. 7 on labelled data adds log q(y|x) = 0 for that q
    zero = torch.zeros(6)
    torch.testing.assert_close(E.semi_supervised_loss(lab, zero, unl), -2 * lab["bound"].mean())
    # the weight alpha multiplies only log q(y|x) of the labelled batch
    log_q_true = torch.full((6,), -0.5)
    torch.testing.assert_close(E.semi_supervised_loss(lab, log_q_true, unl, label_weight=10.0),
                               -2 * lab["bound"].mean() + 5.0)
    # without the unlabelled batch (a warm-up step) only the labelled part is left
    torch.testing.assert_close(E.semi_supervised_loss(lab, log_q_true, None, label_weight=10.0),
                               -lab["bound"].mean() + 5.0)


def test_unlabelled_bound_is_the_q_average_of_labelled_bounds_plus_entropy():
    model = tiny_model(label_posterior=True).eval()
    x = torch.rand(4, 1, 12, 12)
    class_r = model.represent(torch.rand(3, 2, 1, 12, 12))
    prior = torch.tensor([0.2, 0.5, 0.3]).log()
    log_q = F.log_softmax(torch.randn(4, 3), 1)
    unl = E.unlabelled_elbo(model, x, class_r, log_q, prior, sample=False)
    per_class = torch.stack([E.labelled_elbo(model, x, class_r[c].expand(4, -1), torch.full((4,), c), prior,
                                             sample=False)["bound"] for c in range(3)], 1)
    entropy = -(log_q.exp() * log_q).sum(1)
    torch.testing.assert_close(unl["bound"], (log_q.exp() * per_class).sum(1) + entropy)
    torch.testing.assert_close(unl["reconstruction"][:, 1], E.labelled_elbo(
        model, x, class_r[1].expand(4, -1), torch.ones(4, dtype=torch.long), prior, sample=False)["reconstruction"])
    assert (unl["label_kl"] >= 0).all()


def test_q_of_y_sees_f_inv_only_through_a_stop_gradient():
    model = tiny_model(label_posterior=True)
    model.label_logits(torch.rand(3, 1, 12, 12)).sum().backward()
    assert all(p.grad is None for p in model.invariant.parameters())
    assert all(p.grad is not None for p in model.label_posterior.parameters())


# ----------------------------------------------------------------------------- classifiers

def test_distance_classifier_matches_a_hand_computed_case():
    emb = torch.tensor([[0.0, 0.0], [2.0, 0.0], [4.0, 2.0], [1.0, 1.0]])
    labels = torch.tensor([0, 1, 1, 0])
    means = E.class_means(emb, labels, 2)
    torch.testing.assert_close(means, torch.tensor([[0.5, 0.5], [3.0, 1.0]]))
    queries = torch.tensor([[0.5, 0.5], [3.0, 0.0], [1.75, 0.75]])
    logits = E.distance_logits(queries, means)
    torch.testing.assert_close(logits, -torch.tensor([[0.0, 6.5], [6.5, 1.0], [1.625, 1.625]]))
    probs = logits.softmax(1)
    torch.testing.assert_close(probs[1], torch.tensor([math.exp(-6.5), math.exp(-1.0)]) /
                               (math.exp(-6.5) + math.exp(-1.0)))
    torch.testing.assert_close(probs[2], torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="at least one sample"):
        E.class_means(emb, labels, 3)


def test_embed_images_batches_and_keeps_the_mode():
    model = tiny_model().train()
    x = torch.rand(7, 1, 12, 12)
    emb = E.embed_images(model, x, batch_size=3)
    assert model.training and emb.shape == (7, 3)
    torch.testing.assert_close(emb, model.eval().embed(x).detach())


def test_classifier_heads():
    config = E.EquiVAEConfig(image_shape=(1, 12, 12), n_classes=3, **TINY)
    bench = E.BenchmarkClassifier(config)
    assert bench(torch.rand(2, 1, 12, 12)).shape == (2, 3)
    assert sum(isinstance(m, torch.nn.Dropout) for m in bench.modules()) == 2  # f_inv's architecture + 2 dropouts
    head = E.ClassifierHead(3, 4)
    assert head(torch.rand(5, 3)).shape == (5, 4)
    assert [m.out_features for m in head.modules() if isinstance(m, torch.nn.Linear)] == [128, 64, 4]


def test_complementary_samples_are_uniform_distinct_subsets_of_the_class():
    labels = torch.tensor([0, 1, 0, 0, 1, 0, 0, 1])  # class 0: indices 0, 2, 3, 5, 6
    reps = 3000
    query = torch.full((reps,), 3)  # the query itself (index 3) must never be drawn
    comp = E.complementary_indices(labels, 2, torch.Generator().manual_seed(0), query=query)
    assert comp.shape == (reps, 2) and comp.dtype == torch.long
    assert (comp[:, 0] != comp[:, 1]).all() and (labels[comp] == 0).all() and (comp != 3).all()
    pairs = torch.sort(comp, dim=1).values
    counts = torch.unique(pairs, dim=0, return_counts=True)[1]
    assert len(counts) == 6  # every pair of the 4 eligible members, each with probability 1/6
    assert (counts.float() - reps / 6).abs().max() < 90  # about 4.4 standard deviations
    firsts = torch.bincount(comp[:, 0], minlength=8).float()[[0, 2, 5, 6]]
    assert (firsts - reps / 4).abs().max() < 110  # each position is uniform too


def test_forward_draws_v_from_the_posterior_by_reparameterisation():
    model = tiny_model().eval()
    x = torch.rand(1, 1, 12, 12).expand(4000, -1, -1, -1)
    r = torch.randn(1, 3).expand(4000, -1)
    torch.manual_seed(0)
    with torch.no_grad():
        out = model(x, r)
        eps = (out.v - out.mu) / torch.exp(0.5 * out.logvar)  # v = mu + sigma eps, sigma = exp(logvar / 2)
        assert out.logvar.abs().min().item() > 0.2  # sigma away from 1, so a wrong scale shows
        assert eps.mean(0).abs().max().item() < 0.06
        torch.testing.assert_close(eps.var(0), torch.ones(3), atol=0.08, rtol=0)
        assert out.logvar.std(0).max().item() < 1e-5  # the same image every time: one posterior
        assert torch.equal(model(x[:3], r[:3], sample=False).v, out.mu[:3])
