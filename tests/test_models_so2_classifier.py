"""The escnn SO(2) classifier: invariant logits, an equivariant latent, and clear shape errors."""

import numpy as np
import pytest
import torch

from eqrep.actions import rotate, rotate90, rotate_digits
from eqrep.data.mnist import load_mnist
from eqrep.models.so2_classifier import IMAGE_SIZE, RotationCNN, RotationCNNConfig, SO2Classifier, SO2ClassifierConfig

# Stated tolerance for rotations that do not map the pixel grid onto itself (the image and the
# filters are re-sampled): relative change of the logits / latent of an untrained model on real digits.
ARBITRARY_ANGLE_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return SO2Classifier().eval()


@pytest.fixture(scope="module")
def digits():
    data = load_mnist()
    images, _ = rotate_digits(data.images[:8], angles=np.zeros(8))
    return images


def _relative(a, b):
    return ((a - b).norm(dim=1) / b.norm(dim=1)).max().item()


@torch.no_grad()
def test_logits_invariant_to_quarter_turns(model, digits):
    logits = model(digits)
    for k in (1, 2, 3):
        assert torch.allclose(model(rotate90(digits, k)), logits, atol=1e-4, rtol=1e-4)


@torch.no_grad()
@pytest.mark.parametrize("angle", [0.3, np.pi / 4, 2.0, 4.0])
def test_logits_approximately_invariant_to_any_angle(model, digits, angle):
    logits = model(digits)
    assert _relative(model(rotate(digits, angle)), logits) < ARBITRARY_ANGLE_TOLERANCE


@torch.no_grad()
def test_latent_transforms_by_the_field_representation(model, digits):
    z = model.latent(digits)
    for k in (1, 2, 3):
        rho = torch.tensor(model.latent_representation(k * np.pi / 2), dtype=torch.float32)
        assert torch.allclose(model.latent(rotate90(digits, k)), z @ rho.T, atol=1e-4)
    angle = 1.1
    rho = torch.tensor(model.latent_representation(angle), dtype=torch.float32)
    assert _relative(model.latent(rotate(digits, angle)), z @ rho.T) < ARBITRARY_ANGLE_TOLERANCE
    # ... and the latent is not invariant: its frequency-1 blocks turn by 90 degrees, so they move by
    # sqrt(2) times their length
    q = torch.tensor(model.latent_change_of_basis(), dtype=torch.float32)
    moving = [i for freq, block in model.latent_irrep_blocks() if freq == 1 for i in range(block.start, block.stop)]
    before = torch.linalg.solve(q, z.T).T[:, moving]
    after = torch.linalg.solve(q, model.latent(rotate90(digits)).T).T[:, moving]
    assert _relative(after, before) == pytest.approx(np.sqrt(2), rel=1e-3)


def test_latent_representation_is_an_orthogonal_representation(model):
    a, b = 0.7, 2.9
    ra, rb, rab = (model.latent_representation(t) for t in (a, b, a + b))
    assert np.allclose(ra @ rb, rab, atol=1e-10)
    assert np.allclose(ra @ ra.T, np.eye(model.latent_dim), atol=1e-10)
    assert np.allclose(model.latent_representation(2 * np.pi), np.eye(model.latent_dim), atol=1e-10)


def test_irreducible_blocks_diagonalise_the_latent_representation(model):
    q = model.latent_change_of_basis()
    blocks = model.latent_irrep_blocks()
    assert [f for f, _ in blocks] == [0, 1] * 64  # 64 fields, each trivial + frequency 1
    angle = 0.9
    inner = np.linalg.solve(q, model.latent_representation(angle) @ q)
    for freq, block in blocks:
        c, s = np.cos(freq * angle), np.sin(freq * angle)
        expected = np.array([[1.0]]) if freq == 0 else np.array([[c, -s], [s, c]])
        assert np.allclose(inner[block, block], expected, atol=1e-8)
    mask = np.zeros_like(inner, dtype=bool)
    for _, block in blocks:
        mask[block, block] = True
    assert np.allclose(inner[~mask], 0.0, atol=1e-8)


def test_config_and_sizes():
    m = SO2Classifier(SO2ClassifierConfig(channels=(2, 2, 2, 2, 2, 3), max_frequency=2, invariant_features=4))
    assert m.latent_dim == 3 * 5  # three fields, irreps 0, 1, 2 -> 1 + 2 + 2
    assert m(torch.zeros(2, 1, IMAGE_SIZE, IMAGE_SIZE)).shape == (2, 10)
    with pytest.raises(ValueError, match="six"):
        SO2Classifier(SO2ClassifierConfig(channels=(8, 8)))


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (2, 29, 29), (2, 3, 29, 29)])
def test_bad_image_shapes_give_clear_errors(model, shape):
    with pytest.raises(ValueError, match="29 x 29"):
        model(torch.zeros(shape))


# ----------------------------------------------------------------------------- the augmentation CNN

def test_cnn_shapes_and_latent_feeds_the_head():
    torch.manual_seed(0)
    model = RotationCNN(RotationCNNConfig(latent_dim=16)).eval()
    x = torch.rand(3, 1, 29, 29)
    z = model.latent(x)
    assert z.shape == (3, 16) and (z >= 0).all()  # after a ReLU
    assert torch.allclose(model.classify_latent(z), model(x))


def test_nothing_makes_the_cnn_invariant():
    torch.manual_seed(0)
    model = RotationCNN().eval()
    x = torch.rand(4, 1, 29, 29)
    with torch.no_grad():
        z, z90 = model.latent(x), model.latent(rotate90(x))
    assert ((z90 - z).norm(dim=1) / z.norm(dim=1)).min() > 0.1


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (29, 29)])
def test_cnn_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="29 x 29"):
        RotationCNN()(torch.zeros(shape))
