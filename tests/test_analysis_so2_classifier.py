"""Analysis of the image classifiers' latents: invariant projections, invariance curves, kNN F1."""

import numpy as np
import pytest
import torch

from eqrep.actions import rotate90
from eqrep.analysis import so2_classifier as A
from eqrep.models.so2_classifier import SO2Classifier, SO2ClassifierConfig


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return SO2Classifier(SO2ClassifierConfig(channels=(4, 4, 4, 4, 4, 5), max_frequency=2, invariant_features=4)).eval()


def test_sampled_average_is_the_so2_reynolds_operator(model):
    r = A.sampled_representation(model).mean(axis=0)
    dense = np.stack([model.latent_representation(t) for t in np.linspace(0, 2 * np.pi, 720, endpoint=False)]).mean(0)
    assert np.allclose(r, dense, atol=1e-10)
    assert np.allclose(r @ r, r, atol=1e-10) and np.allclose(r, r.T, atol=1e-10)  # orthogonal projector
    assert round(np.trace(r)) == 5  # one trivial block per field
    with pytest.raises(ValueError, match="more than 2 angles"):
        A.sampled_representation(model, n_angles=2)


def test_random_invariant_projection_is_invariant_and_random(model, rng):
    a = A.random_invariant_projection(model, out_dim=3, seed=1)
    assert a.shape == (3, model.latent_dim)
    for angle in rng.uniform(0, 2 * np.pi, 5):
        assert np.allclose(a @ model.latent_representation(angle), a, atol=1e-10)
    assert np.linalg.matrix_rank(a) == 3
    assert not np.allclose(a, A.random_invariant_projection(model, out_dim=3, seed=2))


def test_irrep_norms_are_invariant_and_not_constant(model, rng):
    z = rng.standard_normal((6, model.latent_dim))
    norms = A.irrep_norms(model, z)
    assert norms.shape == (6, 5 * 3)  # five fields with blocks of frequency 0, 1, 2
    for angle in rng.uniform(0, 2 * np.pi, 3):
        assert np.allclose(A.irrep_norms(model, z @ model.latent_representation(angle).T), norms, atol=1e-10)
    assert norms.std(axis=0).min() > 0
    with pytest.raises(ValueError, match="latents of shape"):
        A.irrep_norms(model, z[:, :5])


def test_encode_and_logits_over_angles(model):
    x = torch.rand(5, 1, 29, 29)
    assert np.allclose(A.encode_images(model, x, batch_size=2), model.latent(x).detach().numpy(), atol=1e-6)
    curve = A.logits_over_angles(model, x[0], np.array([0.0, np.pi / 2]))
    assert curve.shape == (2, 10)
    with torch.no_grad():
        assert np.allclose(curve[0], model(x[:1])[0].numpy(), atol=1e-5)
        assert np.allclose(curve[1], model(rotate90(x[:1]))[0].numpy(), atol=1e-4)
    with pytest.raises(ValueError, match="one image"):
        A.logits_over_angles(model, x, np.array([0.0]))


def test_knn_f1_hand_computed():
    train_x, train_y = np.array([[0.0], [1.0], [10.0], [11.0]]), np.array([0, 0, 1, 1])
    test_x, test_y = np.array([[0.2], [10.5], [5.6]]), np.array([0, 1, 0])
    # k = 1 predicts 0, 1, 1: both classes have F1 = 2/3; k = 4 ties 2:2 -> the smaller label, 0, 0, 0
    scores = A.knn_f1(train_x, train_y, test_x, test_y, ks=(1, 4))
    assert scores[0] == pytest.approx(2 / 3)
    assert scores[1] == pytest.approx((0.8 + 0.0) / 2)  # class 0: P 2/3, R 1 -> 0.8; class 1: 0
    with pytest.raises(ValueError, match="features must be"):
        A.knn_f1(train_x, train_y, test_x[:, None], test_y)
