"""pytest plugin (loaded by ``-p`` in pyproject.toml): the test suite always runs in quick mode.

Setting the variable here, before any notebook kernel starts, means every kernel
nbval launches inherits it, whichever paths pytest was given.
"""

import os


def pytest_configure(config):
    os.environ.setdefault("NEURONLAB_QUICK", "1")
