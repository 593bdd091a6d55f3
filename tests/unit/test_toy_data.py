"""neuronlab.data.toy_2d: the small two-class datasets of chapter 03's playground."""

import re

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons

from neuronlab.data import toy_2d
from neuronlab.perceptron import xor_data

NAMES = ("moons", "circles", "xor", "spiral")
DEFAULT_NOISE = {"moons": 0.2, "circles": 0.1, "xor": 0.15, "spiral": 0.05}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_samples", [4, 7, 200])
def test_toy_2d_gives_n_points_in_the_plane_with_balanced_zero_one_labels(name, n_samples):
    X, y = toy_2d(name, n_samples, random_state=0)
    assert X.shape == (n_samples, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (n_samples,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert len(counts) == 2 and abs(counts[0] - counts[1]) <= 1
    assert toy_2d(name, random_state=0)[0].shape == (200, 2)  # the default size


@pytest.mark.parametrize("name", NAMES)
def test_toy_2d_is_deterministic_for_a_seed_and_fresh_without_one(name):
    X, y = toy_2d(name, 50, random_state=3)
    again_X, again_y = toy_2d(name, 50, random_state=3)
    assert np.array_equal(X, again_X) and np.array_equal(y, again_y)
    assert not np.array_equal(X, toy_2d(name, 50, random_state=4)[0])
    assert not np.array_equal(toy_2d(name, 50)[0], toy_2d(name, 50)[0])
    from_generator = toy_2d(name, 50, random_state=np.random.default_rng(3))
    assert np.array_equal(from_generator[0], toy_2d(name, 50, random_state=np.random.default_rng(3))[0])
    # None takes the dataset's default noise
    assert np.array_equal(toy_2d(name, 50, noise=DEFAULT_NOISE[name], random_state=3)[0], X)


def test_toy_2d_moons_and_circles_are_scikit_learns_with_the_same_seed():
    X, y = toy_2d("moons", 120, noise=0.3, random_state=7)
    expected_X, expected_y = make_moons(120, noise=0.3, random_state=7)
    assert np.array_equal(X, expected_X) and np.array_equal(y, expected_y)
    X, y = toy_2d("circles", 120, random_state=7)
    expected_X, expected_y = make_circles(120, noise=0.1, factor=0.5, random_state=7)
    assert np.array_equal(X, expected_X) and np.array_equal(y, expected_y)


def test_toy_2d_xor_blurs_the_four_xor_points_and_keeps_their_labels():
    corners, labels = xor_data()
    X, y = toy_2d("xor", 40, noise=0.0, random_state=1)
    for corner, label in zip(corners, labels):
        here = np.all(X == corner, axis=1)
        assert here.sum() == 10 and np.all(y[here] == label)
    X, y = toy_2d("xor", 400, random_state=1)
    nearest = np.argmin(((X[:, None, :] - corners[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(labels[nearest] == y) > 0.95  # noise 0.15: a few points stray past the midlines
    assert 0.1 < np.std(X - corners[nearest]) < 0.2


def test_toy_2d_spiral_arms_are_each_others_half_turn():
    X, y = toy_2d("spiral", 100, noise=0.0, random_state=1)
    arm0, arm1 = X[y == 0], X[y == 1]
    radius = np.linalg.norm(X, axis=1)
    assert np.isclose(radius.min(), 0.1) and np.isclose(radius.max(), 1.0)
    assert np.allclose(np.sort(arm1, axis=0), np.sort(-arm0, axis=0))  # rotated by π
    # no straight line through the origin separates them: both arms go all the way round
    for arm in (arm0, arm1):
        angles = np.arctan2(arm[:, 1], arm[:, 0])
        assert np.histogram(angles, bins=8, range=(-np.pi, np.pi))[0].min() > 0


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"name": "blobs"}, ValueError, "name must be one of ['moons', 'circles', 'xor', 'spiral'], got 'blobs'"),
    ({"name": None}, ValueError, "name must be one of ['moons', 'circles', 'xor', 'spiral'], got None"),
    ({"n_samples": 3}, ValueError, "n_samples must be at least 4"),
    ({"n_samples": 2.5}, TypeError, "n_samples must be an int, got float: 2.5"),
    ({"n_samples": True}, TypeError, "n_samples must be an int, got bool: True"),
    ({"n_samples": "200"}, TypeError, "n_samples must be an int, got str: '200'"),
    ({"noise": -0.1}, ValueError, "noise must be a finite number >= 0, got -0.1"),
    ({"noise": float("nan")}, ValueError, "noise must be a finite number >= 0, got nan"),
    ({"noise": float("inf")}, ValueError, "noise must be a finite number >= 0, got inf"),
    ({"noise": "0.1"}, TypeError, "noise must be a number or None, got str: '0.1'"),
    ({"noise": True}, TypeError, "noise must be a number or None, got bool: True"),
    ({"random_state": "1"}, TypeError, "random_state must be None, an int or a numpy Generator, got str"),
    ({"random_state": 1.5}, TypeError, "random_state must be None, an int or a numpy Generator, got float"),
    ({"random_state": True}, TypeError, "random_state must be None, an int or a numpy Generator, got bool"),
])
def test_toy_2d_rejects_bad_arguments_naming_them(kwargs, error, message):
    arguments = {"name": "moons", **kwargs}
    with pytest.raises(error, match="^" + re.escape(message)):
        toy_2d(**arguments)
