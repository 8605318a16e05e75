import torch

from eqrep.actions import permute_edges, permute_nodes, random_permutation
from eqrep.data.qm9 import one_hot_graphs, smiles_to_dense
from eqrep.invariants import sort_nodes
from eqrep.layers.pointwise import GraphInstanceNorm
from eqrep.models.graph_vae import GraphVAE, GraphVAEConfig, elbo_terms, negative_elbo

SMILES = ["C=CC#N", "c1ccoc1", "CC(O)CN", "OC1CC1F", "CCOC(=O)C", "N#CC1CC1"]


def _batch():
    pairs = [smiles_to_dense(s) for s in SMILES]
    nodes = torch.tensor(torch.stack([torch.as_tensor(p[0]) for p in pairs]).numpy()).long()
    edges = torch.stack([torch.as_tensor(p[1]) for p in pairs]).long()
    return nodes, edges


def test_encoder_decoder_equivariant_and_sorted_latent_invariant(gen):
    torch.manual_seed(0)
    model = GraphVAE(GraphVAEConfig(hidden=8)).double().eval()
    nodes, edges = _batch()
    v, e = (t.double() for t in one_hot_graphs(nodes, edges))
    mu, logvar = model.encode(v, e)
    node_logits, edge_logits = model.decode(mu)
    for _ in range(3):
        perm = random_permutation(9, gen)
        mu_p, logvar_p = model.encode(permute_nodes(v, perm), permute_edges(e, perm))
        torch.testing.assert_close(mu_p, permute_nodes(mu, perm))
        torch.testing.assert_close(logvar_p, permute_nodes(logvar, perm))
        torch.testing.assert_close(sort_nodes(mu_p), sort_nodes(mu), rtol=0, atol=1e-12)
        n_p, e_p = model.decode(permute_nodes(mu, perm))
        torch.testing.assert_close(n_p, permute_nodes(node_logits, perm))
        torch.testing.assert_close(e_p, permute_edges(edge_logits, perm))
    torch.testing.assert_close(edge_logits, edge_logits.transpose(1, 2))  # symmetrised head


def test_elbo_finite_and_decreasing_on_a_tiny_batch():
    torch.manual_seed(0)
    model = GraphVAE(GraphVAEConfig(hidden=16))
    nodes, edges = _batch()
    v, e = one_hot_graphs(nodes, edges)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        terms = elbo_terms(model(v, e, sample=False), nodes, edges)
        assert all(torch.isfinite(t) for t in terms.values()) and terms["kl"] >= 0
        loss = negative_elbo(terms, 0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_elbo_terms_hand_computed():
    # uniform logits: NLL = n log 5 for nodes and n(n-1)/2 log 4 for edges; KL(N(0,1)||N(0,1)) = 0
    from eqrep.models.graph_vae import VAEOutput

    b, n = 2, 3
    out = VAEOutput(torch.zeros(b, n, 5), torch.zeros(b, n, n, 4), torch.zeros(b, n, 1), torch.zeros(b, n, 1),
                    torch.zeros(b, n, 1))
    terms = elbo_terms(out, torch.zeros(b, n, dtype=torch.long), torch.zeros(b, n, n, dtype=torch.long))
    assert terms["nodes"].item() == torch.tensor(5.0).log().item() * n
    assert abs(terms["edges"].item() - torch.tensor(4.0).log().item() * 3) < 1e-6
    assert terms["kl"].item() == 0.0
    assert negative_elbo({"nodes": torch.tensor(1.0), "edges": torch.tensor(2.0), "kl": torch.tensor(4.0)}, 0.5) == 5.0


def test_instance_norm_normalises_and_is_equivariant(gen):
    norm = GraphInstanceNorm(3)
    x = torch.randn(2, 5, 5, 3, generator=gen) * 4 + 2
    y = norm(x)
    torch.testing.assert_close(y.mean(dim=(1, 2)), torch.zeros(2, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(y.var(dim=(1, 2), unbiased=False), torch.ones(2, 3), atol=1e-3, rtol=0)
    perm = random_permutation(5, gen)
    torch.testing.assert_close(norm(permute_edges(x, perm)), permute_edges(y, perm))
