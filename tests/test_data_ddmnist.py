"""Double-digit MNIST: construction, the product-group action on pair images, splits."""

import numpy as np
import pytest
import torch

from eqrep import actions as A
from eqrep.data import ddmnist as D
from eqrep.data.mnist import MNIST


def _fake_mnist(n_train=8, n_test=3, seed=0):
    """Tiny MNIST stand-in: random uint8 digits, ``n_train`` / ``n_test`` per class."""
    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.repeat(np.arange(10), n_train), np.repeat(np.arange(10), n_test)])
    images = rng.integers(1, 256, (len(labels), 28, 28), dtype=np.uint8)
    split = {"train": np.arange(10 * n_train), "test": np.arange(10 * n_train, len(labels))}
    return MNIST(images, labels.astype(np.int64), split, source="fake digits")


@pytest.mark.parametrize("name", A.DIGIT_GROUPS)
def test_each_half_gets_its_own_transformation(name):
    mnist = _fake_mnist()
    data = D.make_ddmnist(name, per_class=(2, 1, 1), mnist=mnist, artefacts=False, seed=1, verbose=False)
    group, product = A.digit_group(name), data.product
    top = (56 - 28) // 2
    for i in range(0, len(data.labels), 37):
        g1, g2 = product.elements[data.elements[i]]
        for col, g, src in ((0, g1, data.sources[i, 0]), (28, g2, data.sources[i, 1])):
            want = A.transform_digit(torch.from_numpy(mnist.images[src]), group, g).numpy()
            np.testing.assert_array_equal(data.pixels[i, top:top + 28, col:col + 28], want)
        assert data.pixels[i, :top].sum() == 0 and data.pixels[i, top + 28:].sum() == 0
        assert mnist.labels[data.sources[i, 0]] == data.digits[i, 0]
        assert mnist.labels[data.sources[i, 1]] == data.digits[i, 1]
    assert len(np.unique(data.elements)) == product.order  # all elements occur


def test_splits_sizes_labels_and_disjoint_digit_pools():
    mnist = _fake_mnist(n_train=10, n_test=4)
    data = D.make_ddmnist("D4", per_class=(3, 2, 1), mnist=mnist, val_fraction=0.2, seed=0, verbose=False)
    assert [len(data.split[s]) for s in ("train", "val", "test")] == [300, 200, 100]
    np.testing.assert_array_equal(data.labels, 10 * data.digits[:, 0] + data.digits[:, 1])
    for s, per in (("train", 3), ("val", 2), ("test", 1)):
        assert np.bincount(data.labels[data.split[s]], minlength=100).tolist() == [per] * 100
    used = {s: set(data.sources[data.split[s]].ravel()) for s in ("train", "val", "test")}
    assert not used["train"] & used["val"] and not used["train"] & used["test"] and not used["val"] & used["test"]
    assert used["test"] <= set(mnist.split["test"]) and used["val"] <= set(mnist.split["train"])
    images, labels = data.part("val")
    assert images.shape == (200, 1, 56, 56) and images.dtype == torch.float32
    assert 0.0 <= images.min() and images.max() <= 1.0 and labels.dtype == torch.int64
    again = D.make_ddmnist("D4", per_class=(3, 2, 1), mnist=mnist, val_fraction=0.2, seed=0, verbose=False)
    np.testing.assert_array_equal(again.pixels, data.pixels)


def test_artefacts_blur_rotations_only_for_groups_with_rotations(capsys):
    mnist = _fake_mnist()
    exact = D.make_ddmnist("C4", per_class=(1, 1, 1), mnist=mnist, artefacts=False, seed=2, verbose=False)
    blurred = D.make_ddmnist("C4", per_class=(1, 1, 1), mnist=mnist, seed=2, verbose=True)
    assert "rotation artefacts" in capsys.readouterr().out
    np.testing.assert_array_equal(blurred.sources, exact.sources)
    diff = np.abs(blurred.pixels.astype(int) - exact.pixels.astype(int))
    assert diff.mean() > 1.0  # interpolation changed the digits ...
    corr = np.corrcoef(blurred.pixels.ravel().astype(float), exact.pixels.ravel().astype(float))[0, 1]
    assert corr > 0.3  # ... but they are the same digits in the same orientation
    flips = D.make_ddmnist("D1", per_class=(1, 1, 1), mnist=mnist, seed=2, verbose=False)
    assert "artefacts" not in flips.source


def test_default_digits_are_the_offline_mnist_sample(monkeypatch):
    calls = []

    def fake_load(source="offline", verbose=True):
        calls.append(source)
        return _fake_mnist()

    monkeypatch.setattr(D, "load_mnist", fake_load)
    data = D.make_ddmnist("D1", per_class=(1, 1, 1), verbose=False)
    assert calls == ["offline"] and len(data.labels) == 300 and "fake digits" in data.source


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="three positive counts"):
        D.make_ddmnist("C4", per_class=(1, 0, 1), mnist=_fake_mnist())
    with pytest.raises(ValueError, match="no MNIST digits of class"):
        D.make_ddmnist("C4", per_class=(1, 1, 1), mnist=_fake_mnist(n_train=1), val_fraction=0.0)
