"""The encoder-head networks of App. B: shapes, split into encoder and head, and that they learn."""

import pytest
import torch

from eqrep.models.encoder_head import ConvAutoencoder, ConvClassifier, MLPAutoencoder


@pytest.mark.parametrize("make, x_shape, z_dim, y_shape", [
    (lambda: ConvAutoencoder(42), (3, 1, 28, 28), 42, (3, 1, 28, 28)),
    (lambda: MLPAutoencoder(30, (64, 32), image_size=29), (3, 1, 29, 29), 30, (3, 1, 29, 29)),
    (lambda: ConvClassifier(64, c_hid=8), (3, 1, 28, 28), 64, (3, 10)),
    (lambda: ConvClassifier(16, in_channels=3, c_hid=8), (3, 3, 32, 32), 16, (3, 10)),
], ids=["conv-ae", "mlp-ae", "classifier-28", "classifier-32-rgb"])
def test_shapes_and_composition(make, x_shape, z_dim, y_shape):
    torch.manual_seed(0)
    model = make()
    x = torch.rand(x_shape)
    z = model.encoder(x)
    assert z.shape == (x_shape[0], z_dim)
    out = model(x)
    assert out.shape == y_shape
    torch.testing.assert_close(out, model.head(z))
    if isinstance(model, (ConvAutoencoder, MLPAutoencoder)):
        assert out.min() >= 0 and out.max() <= 1  # sigmoid output, like the images


def test_conv_autoencoder_needs_an_even_latent():
    with pytest.raises(ValueError, match="even"):
        ConvAutoencoder(41)


def test_autoencoder_fits_a_tiny_batch():
    torch.manual_seed(0)
    model = MLPAutoencoder(8, (32,), image_size=29)
    x = torch.rand(8, 1, 29, 29).round()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss = torch.nn.functional.mse_loss(model(x), x)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
