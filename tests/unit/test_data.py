"""neuronlab.data: the course's datasets through the real loaders, offline from the shared copy.

Keras reads ``KERAS_HOME`` once, when it is imported, so every test that touches Keras
imports it through :func:`keras_module`, which prepares the offline cache first.
"""

import os
import re
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from neuronlab import config, data

SHARED = config.REPOSITORY.parent / "shared"  # as CI lays it out: ../shared beside the repository


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
    if not (SHARED / "data" / "npz").is_dir():
        pytest.skip("no ../shared/data beside this clone (CI always has it)")
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


def test_fashion_mnist_splits_hold_out_the_last_twelfth_scaled_to_float32(quick, offline_data):
    keras_module()
    (x_full, y_full), (x_test_raw, y_test_raw) = data.load_fashion_mnist()
    train, valid, test = data.fashion_mnist_splits()
    assert split_shapes([train, valid, test]) == [
        ((5500, 28, 28), np.float32, (5500,), np.uint8), ((500, 28, 28), np.float32, (500,), np.uint8),
        ((1000, 28, 28), np.float32, (1000,), np.uint8)]
    assert np.array_equal(valid[1], y_full[-500:]) and np.array_equal(test[1], y_test_raw)
    assert np.allclose(train[0], x_full[:-500] / 255.0, atol=1e-7)
    assert 0.0 <= train[0].min() and train[0].max() == 1.0
    flat_train, _, flat_test = data.fashion_mnist_splits(flatten=True)
    assert flat_train[0].shape == (5500, 784) and flat_test[0].shape == (1000, 784)
    assert np.array_equal(flat_train[0], train[0].reshape(5500, 784))


def test_fashion_mnist_splits_rejects_a_non_bool_flatten():
    with pytest.raises(TypeError, match="flatten must be True or False, got 'yes'"):
        data.fashion_mnist_splits(flatten="yes")


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
    assert "no offline copy was found and the download failed" in message
    assert "offline data folder" not in message
    assert isinstance(info.value, FileNotFoundError)


def test_california_housing_without_offline_data_or_network_raises_data_unavailable(monkeypatch, quick):
    import sklearn.datasets

    monkeypatch.setattr(config, "data_dir", lambda: None)
    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", _fail_os)
    with pytest.raises(data.DataUnavailableError, match="NEURONLAB_DATA") as info:
        data.load_california_housing()
    assert "California housing" in str(info.value) and "URLError" in str(info.value)


def test_california_housing_with_a_data_folder_missing_the_file_says_the_folder_is_incomplete(monkeypatch,
                                                                                             tmp_path):
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_california_housing()
    message = str(info.value)
    assert message.startswith(f"Could not load California housing: the offline data folder {tmp_path.resolve()} "
                              "has no scikit_learn_data/cal_housing_py3.pkz (OSError: ")
    assert "Point NEURONLAB_DATA at a complete copy" in message and "download failed" not in message


# --- an incomplete offline folder, or no offline folder and a failed download ------------------

@pytest.fixture
def incomplete_data(monkeypatch, tmp_path):
    """NEURONLAB_DATA pointing at a folder whose npz/ is empty."""
    (tmp_path / "npz").mkdir()
    monkeypatch.setenv("NEURONLAB_DATA", str(tmp_path))
    return tmp_path.resolve()


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """No offline data anywhere: NEURONLAB_DATA unset and nothing beside the (stand-in) repository."""
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setattr(config, "REPOSITORY", repo)
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    assert config.data_dir() is None


@pytest.mark.parametrize(("loader", "name", "npz"), [
    ("load_mnist", "MNIST", "mnist.npz"),
    ("load_cifar10_subset", "CIFAR-10", "cifar10_subset.npz"),
])
def test_npz_loader_with_an_incomplete_offline_folder_names_the_missing_file(incomplete_data, loader, name, npz):
    with pytest.raises(data.DataUnavailableError) as info:
        getattr(data, loader)()
    message = str(info.value)
    assert message.startswith(f"Could not load {name}: the offline data folder {incomplete_data} has no npz/{npz} "
                              "(FileNotFoundError: ")
    assert "Point NEURONLAB_DATA at a complete copy" in message
    assert "download failed" not in message
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_npz_loader_with_incomplete_shared_data_beside_the_repository_names_that_folder(monkeypatch, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "shared" / "data" / "npz").mkdir(parents=True)
    monkeypatch.setattr(config, "REPOSITORY", repo)
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    folder = re.escape(str(tmp_path / "shared" / "data"))
    with pytest.raises(data.DataUnavailableError,
                       match=f"^Could not load MNIST: the offline data folder {folder} has no npz/mnist.npz"):
        data.load_mnist()


def test_npz_file_without_the_expected_arrays_is_data_unavailable(incomplete_data):
    np.savez(incomplete_data / "npz" / "mnist.npz", x_train=np.zeros(1))
    with pytest.raises(data.DataUnavailableError, match="has no npz/mnist.npz \\(KeyError: "):
        data.load_mnist()


def test_truncated_npz_in_the_offline_folder_is_data_unavailable(incomplete_data):
    (incomplete_data / "npz" / "mnist.npz").write_bytes(b"")
    with pytest.raises(data.DataUnavailableError, match="offline data folder"):
        data.load_mnist()


def test_fashion_mnist_with_an_incomplete_offline_folder_names_the_keras_folder(monkeypatch, incomplete_data):
    keras = keras_module()
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", _fail)
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_fashion_mnist()
    assert str(info.value).startswith(f"Could not load Fashion-MNIST: the offline data folder {incomplete_data} has "
                                      "no keras/datasets/fashion-mnist/ (Exception: URL fetch failure")


@pytest.mark.parametrize(("loader", "module", "name", "where"), [
    ("load_fashion_mnist", "fashion_mnist", "Fashion-MNIST", "keras/datasets/fashion-mnist/"),
    ("load_mnist", "mnist", "MNIST", "npz/mnist.npz"),
    ("load_cifar10_subset", "cifar10", "CIFAR-10", "npz/cifar10_subset.npz"),
])
def test_keras_loader_with_no_offline_folder_says_the_download_failed(monkeypatch, loader, module, name, where):
    keras = keras_module()  # before the repository is moved, so the Keras cache is set up as usual
    monkeypatch.setattr(getattr(keras.datasets, module), "load_data", _fail)
    monkeypatch.setattr(config, "REPOSITORY", Path("/nonexistent/repo"))
    monkeypatch.delenv("NEURONLAB_DATA", raising=False)
    with pytest.raises(data.DataUnavailableError) as info:
        getattr(data, loader)()
    message = str(info.value)
    assert message.startswith(f"Could not load {name}: no offline copy was found and the download failed "
                              "(Exception: URL fetch failure: no network). Set NEURONLAB_DATA")
    assert f"(the one holding {where})" in message
    assert "offline data folder" not in message


def test_california_housing_with_no_offline_folder_says_the_download_failed(monkeypatch, no_data):
    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_california_housing", _fail_os)
    with pytest.raises(data.DataUnavailableError,
                       match="^Could not load California housing: no offline copy was found and the download "
                             "failed \\(URLError: "):
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
