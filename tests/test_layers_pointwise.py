"""Pointwise layers: instance normalisation over nodes/edges and the ReLU-linear-ReLU-norm block."""

import pytest
import torch

from eqrep.actions import permute_edges, permute_nodes, random_permutation
from eqrep.layers.pointwise import GraphInstanceNorm, PointwiseBlock


@pytest.mark.parametrize("shape", [(3, 5, 4), (3, 5, 5, 4)])
def test_instance_norm_normalises_each_sample_and_channel(shape, gen):
    x = 3.0 + 2.0 * torch.randn(*shape, generator=gen, dtype=torch.float64)
    norm = GraphInstanceNorm(4).double()
    y = norm(x)
    dims = tuple(range(1, len(shape) - 1))
    torch.testing.assert_close(y.mean(dims), torch.zeros(3, 4, dtype=torch.float64), atol=1e-12, rtol=0)
    # biased variance over the node (and edge) axes, plus eps
    var = x.var(dims, unbiased=False, keepdim=True)
    torch.testing.assert_close(y, (x - x.mean(dims, keepdim=True)) / torch.sqrt(var + 1e-5))


def test_instance_norm_affine_parameters_and_eps(gen):
    x = torch.randn(2, 6, 3, generator=gen, dtype=torch.float64)
    norm = GraphInstanceNorm(3, eps=0.5).double()
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0, -1.0]))
        norm.bias.copy_(torch.tensor([0.0, 5.0, 1.0]))
    var, mean = torch.var_mean(x, dim=1, keepdim=True, unbiased=False)
    plain = (x - mean) / torch.sqrt(var + 0.5)
    torch.testing.assert_close(norm(x), plain * norm.weight + norm.bias)
    bare = GraphInstanceNorm(3, eps=0.5, affine=False).double()
    assert bare.weight is None and bare.bias is None and list(bare.parameters()) == []
    torch.testing.assert_close(bare(x), plain)
    scale_only = GraphInstanceNorm(3, eps=0.5).double()
    scale_only.bias = None  # weight without bias
    with torch.no_grad():
        scale_only.weight.fill_(2.0)
    torch.testing.assert_close(scale_only(x), 2.0 * plain)
    constant = torch.full((1, 4, 3), 7.0, dtype=torch.float64)  # zero variance: eps keeps it finite
    torch.testing.assert_close(bare(constant), torch.zeros_like(constant))
    assert GraphInstanceNorm(3).eps == 1e-5
    torch.testing.assert_close(GraphInstanceNorm(3).weight.data, torch.ones(3))
    torch.testing.assert_close(GraphInstanceNorm(3).bias.data, torch.zeros(3))


def test_pointwise_block_is_relu_linear_relu_norm(gen):
    torch.manual_seed(0)
    block = PointwiseBlock(3, 5).double()
    x = torch.randn(2, 4, 4, 3, generator=gen, dtype=torch.float64)
    want = block.norm(torch.relu(block.mix(torch.relu(x))))
    torch.testing.assert_close(block(x), want)
    assert block.mix.in_features == 3 and block.mix.out_features == 5 and block.norm.weight.shape == (5,)
    assert PointwiseBlock(3).mix.out_features == 3  # out_channels defaults to channels
    perm = random_permutation(4, gen)
    torch.testing.assert_close(block(permute_edges(x, perm)), permute_edges(block(x), perm))
    v = torch.randn(2, 4, 3, generator=gen, dtype=torch.float64)
    torch.testing.assert_close(block(permute_nodes(v, perm)), permute_nodes(block(v), perm))
    x_before = x.clone()
    block(x)
    assert torch.equal(x, x_before)  # the in-place ReLU acts on the block's own intermediate only
