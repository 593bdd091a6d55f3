"""Benchmark group ``engine``: chapter 03's NumPy MLP against the floor of its matrix products.

An epoch of :class:`neuronlab.mlp.MLPClassifier` does little besides its matrix products; its
time divided by the time of those products alone (``neuronlab.mlp.matmul_floor_seconds``) says
how much the engine adds.  Each repeat times one epoch and the floor right after it, so both see
the machine in the same state.
"""

from __future__ import annotations

import numpy as np

from neuronlab.tools.bench import Figure, load_now, group


@group("engine", "chapter 03's NumPy MLP: an epoch against its matrix products alone")
def engine(repeat: int) -> list[Figure]:
    from neuronlab.mlp import MLPClassifier, matmul_floor_seconds

    rng = np.random.default_rng(0)
    n, batch = 6144, 512
    X = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    model = MLPClassifier((300, 100), learning_rate=0.01, batch_size=batch, epochs=1,
                          random_state=0).fit(X, y)
    ratios, load = [], load_now()
    for _ in range(repeat):
        model.partial_fit(X, y)
        epoch = model.history_["epoch_seconds"][-1]
        ratios.append(epoch / matmul_floor_seconds(model.layer_sizes_, n, batch, repeats=1))
        load = max(load, load_now())
    return [Figure("engine · MLP epoch / matmul floor", ratios, unit="×", load=load,
                   note="6,144 images, batches of 512, 784-300-100-10")]
