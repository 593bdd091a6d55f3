"""Giving back the memory of Keras models a notebook has deleted (chapter 06 trains dozens of them).

Deleting a Keras model is not always enough for its memory to come back:

- in graph mode, every ``fit`` traces a training step whose optimizer update goes through
  ``tf.distribute``'s all-reduce, which registers a ``CustomGradient-N`` function in TensorFlow's
  global gradient registry; the registry is never cleaned, and the function's closure keeps the
  whole traced graph alive after the model is gone;
- memory that Python frees stays with the C library's allocator (glibc keeps it for reuse) until
  it is told to hand it back.

:func:`release_tensorflow_memory` undoes both once the models are deleted. The registered
functions are only needed to differentiate through an already traced step (a second-order
gradient), which nothing does after its model is gone; results do not change. It drops every
``tf.custom_gradient`` registration alike, so do not call it while a traced function that
differentiates through one of your own custom gradients is still to be used. It relies on a
private TensorFlow attribute and does nothing where that is missing.

TensorFlow is imported inside the function, so this module imports quickly.
"""

from __future__ import annotations

import ctypes
import gc

_PREFIX = "CustomGradient-"


def release_tensorflow_memory() -> int:
    """Drop TensorFlow's leftover gradient registrations, collect garbage, trim the C heap.

    Call it after deleting the models (and the data) you no longer need.

    Returns
    -------
    int
        How many gradient registrations were dropped (0 where TensorFlow keeps none, or its
        registry is not where this version of the function looks).
    """
    registry = _gradient_registry()
    stale = [name for name in registry if isinstance(name, str) and name.startswith(_PREFIX)]
    for name in stale:
        del registry[name]
    gc.collect()
    try:  # glibc's malloc keeps freed memory for reuse until told to trim it
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # another C library (macOS, Windows, musl)
        pass
    return len(stale)


def _gradient_registry() -> dict:
    try:
        from tensorflow.python.framework import ops
    except ImportError:
        return {}
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else {}
