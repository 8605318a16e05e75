"""Training the rotated-MNIST classifiers: checkpoints, manifest, resume, and loading."""

import dataclasses

import numpy as np
import pytest
import torch

from eqrep.data.mnist import MNIST
from eqrep.train.checkpoints import CheckpointError
from eqrep.train.so2_classifier import CONFIGS, evaluate, load_classifier, rotated_split, train_classifier


@pytest.fixture(scope="module")
def tiny_mnist():
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 10
    images = np.zeros((120, 28, 28), dtype=np.uint8)
    for i, y in enumerate(labels):  # a bar whose length encodes the class, plus noise
        images[i, 4:6, 4:6 + 2 * y] = 255
        images[i] += rng.integers(0, 30, (28, 28), dtype=np.uint8)
    return MNIST(images=images, labels=labels, split={"train": np.arange(100), "test": np.arange(100, 120)},
                 source="fixture")


def _config(model, **changes):
    name = "tiny" if model == "so2" else "cnn-tiny"
    return dataclasses.replace(CONFIGS[name], **{"max_train": 48, "batch_size": 16, **changes})


@pytest.mark.parametrize("model", ["so2", "cnn"])
def test_training_writes_checkpoints_manifest_and_test_accuracy(tiny_mnist, tmp_path, model):
    manifest = train_classifier(_config(model), tmp_path, data=tiny_mnist, progress=False)
    assert {"best.pt", "last.pt", "manifest.json"} <= {p.name for p in tmp_path.iterdir()}
    assert manifest["model"] == model and manifest["data_source"] == "fixture"
    assert manifest["epochs_done"] == 1 and manifest["train_size"] == 48 and manifest["val_size"] == 10
    assert 0.0 <= manifest["test_accuracy"] <= 1.0 and manifest["history"][0]["images_per_second"] > 0
    # the loaded best model reproduces the manifest's test accuracy (escnn filters saved in eval mode)
    loaded, _ = load_classifier(tmp_path)
    test_x, test_y, _ = rotated_split(tiny_mnist, "test")
    assert evaluate(loaded, test_x, test_y)["accuracy"] == manifest["test_accuracy"]


@pytest.mark.parametrize("stop", [2, 3, 5])  # inside epoch 1, at its end, inside epoch 2
def test_resumed_run_equals_uninterrupted_run(tiny_mnist, tmp_path, stop):
    config = _config("cnn", epochs=2)
    full = train_classifier(config, tmp_path / "a", data=tiny_mnist, progress=False)
    with pytest.raises(CheckpointError, match="another config"):
        train_classifier(dataclasses.replace(config, epochs=1), tmp_path / "a", data=tiny_mnist, progress=False)
    part = train_classifier(config, tmp_path / "c", data=tiny_mnist, progress=False, max_steps=stop)
    assert part["interrupted_at"] == stop and "test_accuracy" not in part
    manifest = train_classifier(config, tmp_path / "c", data=tiny_mnist, progress=False)
    a, _ = load_classifier(tmp_path / "a", which="last")
    c, _ = load_classifier(tmp_path / "c", which="last")
    assert manifest["epochs_done"] == 2 and manifest["test_accuracy"] == full["test_accuracy"]
    for (name, pa), pc in zip(a.state_dict().items(), c.state_dict().values(), strict=True):
        assert torch.equal(pa, pc), name


def test_training_reduces_the_loss(tiny_mnist, tmp_path):
    manifest = train_classifier(_config("cnn", epochs=4, max_train=90, lr=3e-3), tmp_path, data=tiny_mnist,
                                progress=False)
    losses = [h["train_loss"] for h in manifest["history"]]
    assert losses[-1] < losses[0]


def test_unknown_model_and_configs():
    with pytest.raises(ValueError, match="unknown model"):
        dataclasses.replace(CONFIGS["cnn-tiny"], model="mlp")
    assert CONFIGS["paper"].source == "full" and CONFIGS["paper"].lr == 0.01 and CONFIGS["paper"].model == "so2"
    assert CONFIGS["default"].source == "offline" and CONFIGS["cnn"].model == "cnn"
