"""neuronlab.data: the course's datasets through the real loaders, offline from the shared copy.

Keras reads ``KERAS_HOME`` once, when it is imported, so every test that touches Keras
imports it through :func:`keras_module`, which prepares the offline cache first.
"""

import os
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from neuronlab import config, data

SHARED = Path("/work/shared")


def keras_module():
    """Import Keras the way the loaders do: after pointing its cache at the offline data."""
    data.prepare_keras_cache()
    import keras

    return keras


def listing(root):
    """Every path under ``root`` with its size and modification time."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            info = path.lstat()
            entries[str(path)] = (info.st_size, info.st_mtime_ns)
    return entries


def split_shapes(splits):
    return [(x.shape, x.dtype, y.shape, y.dtype) for x, y in splits]


@pytest.fixture
def offline_data(monkeypatch):
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    assert config.data_dir() is not None


# --- quick mode -------------------------------------------------------------------------------

def test_fashion_mnist_quick_shapes_and_same_subset_twice(quick, offline_data):
    keras_module()
    (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
    assert split_shapes([(x_train, y_train), (x_test, y_test)]) == [
        ((6000, 28, 28), np.uint8, (6000,), np.uint8), ((1000, 28, 28), np.uint8, (1000,), np.uint8)]
    assert set(np.unique(y_train)) == set(range(10))
    assert len(data.FASHION_MNIST_CLASSES) == 10
    (x_again, y_again), (xt_again, _) = data.load_fashion_mnist()
    assert np.array_equal(x_train, x_again) and np.array_equal(y_train, y_again)
    assert np.array_equal(x_test, xt_again)


def test_mnist_quick_shapes_and_same_subset_twice(quick, offline_data):
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert split_shapes([(x_train, y_train), (x_test, y_test)]) == [
        ((6000, 28, 28), np.uint8, (6000,), np.uint8), ((1000, 28, 28), np.uint8, (1000,), np.uint8)]
    assert set(np.unique(y_train)) == set(range(10))
    (x_again, y_again), (xt_again, yt_again) = data.load_mnist()
    assert np.array_equal(x_train, x_again) and np.array_equal(y_test, yt_again)


def test_california_housing_quick_shapes_and_same_subset_twice(quick, offline_data):
    X, y = data.load_california_housing()
    assert X.shape == (4000, 8) and y.shape == (4000,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert len(data.CALIFORNIA_FEATURES) == X.shape[1]
    X_again, y_again = data.load_california_housing()
    assert np.array_equal(X, X_again) and np.array_equal(y, y_again)


def test_cifar10_subset_quick_shapes_and_same_subset_twice(quick, offline_data):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10_subset()
    assert split_shapes([(x_train, y_train), (x_test, y_test)]) == [
        ((1000, 32, 32, 3), np.uint8, (1000, 1), np.uint8), ((250, 32, 32, 3), np.uint8, (250, 1), np.uint8)]
    assert y_train.max() < len(data.CIFAR10_CLASSES)
    (x_again, _), (_, yt_again) = data.load_cifar10_subset()
    assert np.array_equal(x_train, x_again) and np.array_equal(y_test, yt_again)


def test_quick_subset_is_a_sorted_sample_of_the_full_data(monkeypatch, offline_data):
    monkeypatch.setenv("NEURONLAB_QUICK", "0")
    X_full, y_full = data.load_california_housing()
    monkeypatch.setenv("NEURONLAB_QUICK", "1")
    X, y = data.load_california_housing()
    index = data._subset(len(X_full), 4000)
    assert np.all(np.diff(index) > 0)
    assert np.array_equal(X, X_full[index]) and np.array_equal(y, y_full[index])


# --- full mode (the cheap ones) ---------------------------------------------------------------

def test_california_housing_full_shapes(full, offline_data):
    X, y = data.load_california_housing()
    assert X.shape == (20640, 8) and y.shape == (20640,)


def test_cifar10_subset_full_shapes(full, offline_data):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10_subset()
    assert x_train.shape == (4000, 32, 32, 3) and y_train.shape == (4000, 1)
    assert x_test.shape == (1000, 32, 32, 3) and y_test.shape == (1000, 1)


def test_mnist_full_shapes(full, offline_data):
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8


# --- no offline copy and no network -----------------------------------------------------------

def _fail(*args, **kwargs):
    raise Exception("URL fetch failure: no network")  # what keras.utils.get_file raises


def _fail_os(*args, **kwargs):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


@pytest.mark.parametrize(("loader", "module", "name"), [
    ("load_fashion_mnist", "fashion_mnist", "Fashion-MNIST"),
    ("load_mnist", "mnist", "MNIST"),
    ("load_cifar10_subset", "cifar10", "CIFAR-10"),
])
def test_keras_loader_without_offline_data_or_network_raises_data_unavailable(monkeypatch, quick, loader, module,
                                                                              name):
    keras = keras_module()  # before data_dir is patched, so the Keras cache is set up as usual
    monkeypatch.setattr(config, "data_dir", lambda: None)
    monkeypatch.setattr(getattr(keras.datasets, module), "load_data", _fail)
    with pytest.raises(data.DataUnavailableError, match="NEURONLAB_DATA") as info:
        getattr(data, loader)()
    message = str(info.value)
    assert f"Could not load {name}" in message and "URL fetch failure" in message
    assert isinstance(info.value, FileNotFoundError)


def test_california_housing_without_offline_data_or_network_raises_data_unavailable(monkeypatch, quick):
    import sklearn.datasets

    monkeypatch.setattr(config, "data_dir", lambda: None)
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", _fail_os)
    with pytest.raises(data.DataUnavailableError, match="NEURONLAB_DATA") as info:
        data.load_california_housing()
    assert "California housing" in str(info.value) and "URLError" in str(info.value)


def test_california_housing_with_a_data_folder_missing_the_file_raises_data_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError, match="NEURONLAB_DATA"):
        data.load_california_housing()


def test_loaders_with_data_variable_pointing_at_a_file_raise_file_not_found(monkeypatch, tmp_path):
    bogus = tmp_path / "data.zip"
    bogus.write_bytes(b"")
    monkeypatch.setenv("NEURONLAB_DATA", str(bogus))
    with pytest.raises(FileNotFoundError, match="NEURONLAB_DATA"):
        data.load_mnist()


# --- the shared data stays untouched ----------------------------------------------------------

def test_loading_never_writes_into_shared(quick, offline_data):
    before = listing(SHARED)
    keras_module()
    data.load_fashion_mnist()
    data.load_mnist()
    data.load_california_housing()
    data.load_cifar10_subset()
    assert listing(SHARED) == before


def test_prepare_keras_cache_links_datasets_outside_shared(offline_data):
    keras_module()  # afterwards prepare_keras_cache is a no-op returning None
    home = config.keras_home()
    assert SHARED not in home.resolve().parents
    assert (home / "datasets" / "fashion-mnist").is_dir()
    assert (home / "datasets").resolve() == (SHARED / "data" / "keras" / "datasets").resolve()
    assert data.prepare_keras_cache() is None
