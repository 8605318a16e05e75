"""The labelled image set shared by the MNIST and SVHN loaders."""

import numpy as np
import pytest

from eqrep.data.labelled_images import LabelledImages
from eqrep.data.mnist import MNIST
from eqrep.data.svhn import SVHN


def _images() -> LabelledImages:
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2)
    return LabelledImages(images, np.array([3, 1, 4, 1, 5]), {"train": np.array([0, 2, 4]), "test": np.array([3])},
                          source="five tiny images")


def test_part_returns_the_rows_of_the_split():
    data = _images()
    x, y = data.part("train")
    np.testing.assert_array_equal(x, data.images[[0, 2, 4]])
    np.testing.assert_array_equal(y, [3, 4, 5])
    x, y = data.part("test")
    assert x.shape == (1, 2, 2) and y.tolist() == [1]


def test_unknown_split_names_the_splits():
    with pytest.raises(KeyError, match=r"no split 'val'.*\['test', 'train'\]"):
        _images().part("val")


def test_mnist_and_svhn_are_labelled_image_sets():
    assert issubclass(MNIST, LabelledImages) and issubclass(SVHN, LabelledImages)
