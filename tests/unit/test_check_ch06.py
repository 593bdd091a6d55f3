"""Chapter 06's self-checks: right answers pass with one ✔ line, each classic slip gets its own hint."""

from __future__ import annotations

import numpy as np
import pytest

from neuronlab.check import CheckFailed, ch06

keras = pytest.importorskip("keras")


def _passes(capsys, call):
    call()
    out = capsys.readouterr().out
    assert out.startswith("✔") and out.count("\n") == 1, out


def _fails(call, *fragments):
    with pytest.raises(CheckFailed) as info:
        call()
    message = str(info.value)
    assert message.startswith("✘")
    for fragment in fragments:
        assert fragment in message, message
    return message


def _stub(*args, **kwargs):
    raise NotImplementedError()


# --------------------------------------------------------------------- exercise 1
def good_count(matrix):
    distinct = []
    for column in np.asarray(matrix).T:
        if not any(np.allclose(column, seen) for seen in distinct):
            distinct.append(column)
    return len(distinct)


def test_count_distinct_columns_accepts_a_right_answer(capsys):
    _passes(capsys, lambda: ch06.count_distinct_columns(good_count))


@pytest.mark.parametrize("slip, hint", [
    (lambda m: len({tuple(r) for r in np.round(m, 6)}), "number of different *rows*"),
    (lambda m: len({tuple(c) for c in m.T}), "compare columns with a tolerance"),
    (lambda m: m.shape[1], "compare every column with the distinct columns found so far"),
    (lambda m: None, "forget a `return`"),
    (lambda m: 1.0, "return a whole number"),
    (lambda m: m.nope, "it crashed"),
])
def test_count_distinct_columns_names_the_slip(slip, hint):
    _fails(lambda: ch06.count_distinct_columns(slip), hint)


def test_initial_values(capsys):
    _passes(capsys, lambda: ch06.initial_values(False, True))
    _fails(lambda: ch06.initial_values(True, True), "stay identical forever")
    _fails(lambda: ch06.initial_values(False, False), "already make the units different")
    _fails(lambda: ch06.initial_values("no", True), "booleans True or False")
    with pytest.raises(NotImplementedError):
        ch06.initial_values(None, True)


# --------------------------------------------------------------------- exercise 2
def test_selu_advantages_and_conditions(capsys):
    _passes(capsys, lambda: ch06.selu_advantages({"a", "c", "d"}))
    _passes(capsys, lambda: ch06.selu_advantages("A, C and D"))
    _fails(lambda: ch06.selu_advantages({"a", "b", "c", "d"}), "(b) is not right", "exponential")
    _fails(lambda: ch06.selu_advantages({"a", "c"}), "(d) is missing")
    _fails(lambda: ch06.selu_advantages({"a", "c", "d", "e", "f"}), "(e) is not right", "2 letters to change")
    _fails(lambda: ch06.selu_advantages({"a", "z"}), "['z'] are not among the statements")
    _fails(lambda: ch06.selu_advantages(3), "a set of strings")
    with pytest.raises(NotImplementedError):
        ch06.selu_advantages(None)
    _passes(capsys, lambda: ch06.selu_conditions({"a", "b", "c", "f"}))
    _fails(lambda: ch06.selu_conditions({"a", "b", "c", "d", "f"}), "(d) is not right", "batch normalisation")
    _fails(lambda: ch06.selu_conditions({"b", "c", "f", "g"}), "(g) is not right", "standardise them")
    _fails(lambda: ch06.selu_conditions({"b", "c", "f"}), "(a) is missing")
    assert set(ch06.SELU_STATEMENTS) == set("abcdefg") == set(ch06.SELU_CONDITIONS)


# --------------------------------------------------------------------- exercise 3
GOOD_CHOICES = {"deep_plain_mlp": "selu", "default_hidden": "relu", "dying_units": "leaky_relu",
                "large_model": "gelu", "exclusive_classes": "softmax", "binary_probability": "sigmoid",
                "bounded_output": "tanh"}


def test_activation_choices_accepts_every_sound_spelling(capsys):
    _passes(capsys, lambda: ch06.activation_choices(GOOD_CHOICES))
    _passes(capsys, lambda: ch06.activation_choices({**GOOD_CHOICES, "dying_units": "Leaky ReLU",
                                                     "large_model": "SiLU", "binary_probability": "logistic"}))
    assert set(GOOD_CHOICES) == set(ch06.SITUATIONS)


@pytest.mark.parametrize("key, value, hint", [
    ("deep_plain_mlp", "relu", "exactly where SELU self-normalises"),
    ("exclusive_classes", "sigmoid", "summing to 1: softmax"),
    ("bounded_output", "sigmoid", "(−1, 1): tanh"),
    ("dying_units", "relu", "small slope for z < 0"),
])
def test_activation_choices_names_the_wrong_situation(key, value, hint):
    _fails(lambda: ch06.activation_choices({**GOOD_CHOICES, key: value}), ch06.SITUATIONS[key], hint)


def test_activation_choices_rejects_bad_shapes_and_waits_for_answers():
    _fails(lambda: ch06.activation_choices({"default_hidden": "relu"}), "are missing")
    _fails(lambda: ch06.activation_choices({**GOOD_CHOICES, "default_hidden": 3}), "as a string")
    _fails(lambda: ch06.activation_choices(["relu"]), "fill in the dictionary")
    with pytest.raises(NotImplementedError):
        ch06.activation_choices({key: None for key in ch06.SITUATIONS})


# --------------------------------------------------------------------- exercise 4
def good_bn(X, gamma, beta, mean, var, epsilon=1e-3):
    return gamma * (X - mean) / np.sqrt(var + epsilon) + beta


def good_fuse(kernel, bias, gamma, beta, mean, var, epsilon=1e-3):
    scale = gamma / np.sqrt(var + epsilon)
    return kernel * scale, (bias - mean) * scale + beta


def test_bn_inference_accepts_a_right_answer(capsys):
    _passes(capsys, lambda: ch06.bn_inference(good_bn))


@pytest.mark.parametrize("slip, hint", [
    (lambda X, g, b, m, v, e: g * (X - X.mean(0)) / np.sqrt(X.var(0) + e) + b, "that is the *training* computation"),
    (lambda X, g, b, m, v, e: g * (X - m) / np.sqrt(v) + b, "add ε to the variance"),
    (lambda X, g, b, m, v, e: g * (X - m) / (np.sqrt(v) + e) + b, "ε goes inside the square root"),
    (lambda X, g, b, m, v, e: g * (X - m) / (v + e) + b, "not the variance"),
    (lambda X, g, b, m, v, e: b * (X - m) / np.sqrt(v + e) + g, "γ scales and β shifts"),
    (lambda X, g, b, m, v, e: (X - m) / np.sqrt(v + e), "still apply"),
    (lambda X, g, b, m, v, e: (X - m)[:, 0], "the output has the shape of X"),
    (lambda X, g, b, m, v, e: X @ np.ones((7, 2)), "it crashed"),
])
def test_bn_inference_names_the_slip(slip, hint):
    _fails(lambda: ch06.bn_inference(slip), hint)


def test_fuse_dense_bn_accepts_a_right_answer_and_checks_it_against_keras(capsys):
    _passes(capsys, lambda: ch06.fuse_dense_bn(good_fuse))
    rng = np.random.default_rng(0)
    pair = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    pair.layers[1].set_weights([rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4),
                                rng.uniform(0.5, 2, 4)])
    kernel, bias = good_fuse(*pair.layers[0].get_weights(), *pair.layers[1].get_weights())
    X = rng.normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(X @ kernel + bias, keras.ops.convert_to_numpy(pair(X, training=False)), atol=1e-5)


@pytest.mark.parametrize("slip, hint", [
    (lambda k, b, g, be, m, v, e: (k * (g / np.sqrt(v + e))[:, None], (b - m) * g / np.sqrt(v + e) + be),
     "you scaled the rows"),
    (lambda k, b, g, be, m, v, e: (k * g, (b - m) * g / np.sqrt(v + e) + be), "divide by the standard deviation"),
    (lambda k, b, g, be, m, v, e: (k * g / np.sqrt(v + e), b * g / np.sqrt(v + e) + be),
     "subtract the moving mean from the bias"),
    (lambda k, b, g, be, m, v, e: (k * g / np.sqrt(v + e), (b - m) * g / np.sqrt(v + e)), "add the shift β"),
    (lambda k, b, g, be, m, v, e: (k * g / np.sqrt(v + e), b), "the bias changes as well"),
    (lambda k, b, g, be, m, v, e: k * g / np.sqrt(v + e), "return two arrays"),
    (lambda k, b, g, be, m, v, e: (k[:, :1], b), "the shapes of the original Dense layer"),
])
def test_fuse_dense_bn_names_the_slip(slip, hint):
    _fails(lambda: ch06.fuse_dense_bn(slip), hint)


def test_unfinished_function_answers_raise_not_implemented():
    for check in (ch06.count_distinct_columns, ch06.bn_inference, ch06.fuse_dense_bn):
        with pytest.raises(NotImplementedError):
            check(_stub)
    with pytest.raises(TypeError, match="must be a function"):
        ch06.bn_inference(3)


# --------------------------------------------------------------------- exercise 5
def good_builder(n_hidden, activation, initializer, batch_norm=False):
    layers = [keras.Input((784,))]
    for _ in range(n_hidden):
        if batch_norm:
            layers += [keras.layers.Dense(100, use_bias=False, kernel_initializer=initializer),
                       keras.layers.BatchNormalization(momentum=0.9), keras.layers.Activation(activation)]
        else:
            layers.append(keras.layers.Dense(100, activation=activation, kernel_initializer=initializer))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def bn_after_activation(n_hidden, activation, initializer, batch_norm=False):
    layers = [keras.Input((784,))]
    for _ in range(n_hidden):
        layers.append(keras.layers.Dense(100, activation=activation, kernel_initializer=initializer))
        if batch_norm:
            layers.append(keras.layers.BatchNormalization(momentum=0.9))
    return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])


def test_deep_mlp_builder_accepts_bn_before_or_after_the_activation(capsys):
    _passes(capsys, lambda: ch06.deep_mlp_builder(good_builder))
    _passes(capsys, lambda: ch06.deep_mlp_builder(bn_after_activation))


def _variant(**changes):
    def build(n_hidden, activation, initializer, batch_norm=False):
        n = changes.get("n_hidden", n_hidden)
        bn = changes.get("batch_norm", batch_norm)
        model = good_builder(n, changes.get("activation", activation), changes.get("initializer", initializer), bn)
        if "input" in changes:
            return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *model.layers])
        if "output" in changes:
            return keras.Sequential([keras.Input((784,)), *model.layers[:-1],
                                     keras.layers.Dense(10, activation=changes["output"])])
        return model
    return build


@pytest.mark.parametrize("build, hint", [
    (_variant(input=True), "keras.Input((784,))"),
    (_variant(n_hidden=2), "Dense layers"),
    (_variant(initializer="glorot_uniform"), "pass kernel_initializer="),
    (_variant(batch_norm=False), "add one keras.layers.BatchNormalization() per hidden layer"),
    (_variant(batch_norm=True), "without batch_norm, the model has no BatchNormalization layer"),
    (_variant(activation="tanh"), "needs the activation"),
    (_variant(output="sigmoid"), "activation=\"softmax\""),
    (lambda *args, **kwargs: "model", "a Keras model"),
    (lambda n, a, i, batch_norm=False: bn_after_activation(n, a, i, batch_norm) if not batch_norm else
     keras.Sequential([keras.Input((784,))] + [layer for _ in range(n) for layer in (
         keras.layers.Dense(100, activation=a, kernel_initializer=i), keras.layers.BatchNormalization())]
         + [keras.layers.Dense(10, activation="softmax")]), "pass momentum=0.9"),
])
def test_deep_mlp_builder_names_what_is_wrong(build, hint):
    _fails(lambda: ch06.deep_mlp_builder(build), hint)


GOOD_RESULTS = {"relu_he": [0.80, 0.83, 0.84], "relu_he_bn": [0.82, 0.84, 0.85], "selu_lecun": [0.81, 0.83, 0.85]}


def test_comparison_results_and_the_fastest_variant(capsys):
    _passes(capsys, lambda: ch06.comparison_results(GOOD_RESULTS, 3))
    _fails(lambda: ch06.comparison_results({**GOOD_RESULTS, "relu_he": [0.8, 0.8]}, 3), "exactly 3 epochs")
    _fails(lambda: ch06.comparison_results({"relu_he": [0.8] * 3}, 3), "one entry per variant")
    _fails(lambda: ch06.comparison_results({**GOOD_RESULTS, "selu_lecun": [1.2, 0.9, 0.8]}, 3), "not the loss")
    _fails(lambda: ch06.comparison_results({**GOOD_RESULTS, "selu_lecun": [0.1, 0.1, 0.1]}, 3), "barely learned")
    _fails(lambda: ch06.comparison_results({**GOOD_RESULTS, "selu_lecun": [0.2, 0.22, 0.24]}, 3), "barely learned")
    _fails(lambda: ch06.comparison_results({**GOOD_RESULTS, "relu_he": "high"}, 3), "history.history")
    with pytest.raises(NotImplementedError):
        ch06.comparison_results(None, 3)
    _passes(capsys, lambda: ch06.fastest_variant(GOOD_RESULTS, "relu_he_bn", 3))
    _fails(lambda: ch06.fastest_variant(GOOD_RESULTS, "selu_lecun", 3), "read it from your own results")
    _fails(lambda: ch06.fastest_variant(GOOD_RESULTS, "bn", 3), "the names are")
    with pytest.raises(NotImplementedError):
        ch06.fastest_variant(GOOD_RESULTS, None, 3)


def test_comparison_results_checks_the_models_against_the_validation_set(capsys):
    keras = pytest.importorskip("keras")

    def deep(activation, initializer, batch_norm):
        layers = [keras.Input((784,))]
        for _ in range(20):
            if batch_norm:
                layers += [keras.layers.Dense(100, use_bias=False, kernel_initializer=initializer),
                           keras.layers.BatchNormalization(momentum=0.9), keras.layers.Activation(activation)]
            else:
                layers.append(keras.layers.Dense(100, activation=activation, kernel_initializer=initializer))
        return keras.Sequential(layers + [keras.layers.Dense(10, activation="softmax")])

    keras.utils.set_random_seed(0)
    models = {"relu_he": deep("relu", "he_normal", False), "relu_he_bn": deep("relu", "he_normal", True),
              "selu_lecun": deep("selu", "lecun_normal", False)}
    X = np.random.default_rng(0).normal(size=(200, 784)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, size=200)
    measured = {k: float(np.mean(keras.ops.convert_to_numpy(m(X)).argmax(1) == y)) for k, m in models.items()}
    results = {k: [0.8, 0.8, v] for k, v in measured.items()}
    with pytest.raises(CheckFailed) as info:  # untrained: every curve ends near chance
        ch06.comparison_results(results, 3, models, X, y)
    assert "barely learned" in str(info.value)
    lenient = {k: [0.8, 0.8, 0.9] for k in models}
    with pytest.raises(CheckFailed) as info:  # curves that are not these models on this validation set
        ch06.comparison_results(lenient, 3, models, X, y)
    assert "X_valid_std" in str(info.value)
    with pytest.raises(CheckFailed) as info:
        ch06.comparison_results(results, 3, {**models, "relu_he_bn": models["relu_he"]}, X, y)
    assert "batch normalisation" in str(info.value)
