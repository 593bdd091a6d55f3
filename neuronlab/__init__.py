"""neuronlab: the helper package of the course *From Neurons to Deep Networks*.

Notebooks start with ``neuronlab.setup()``.  Topic modules (``neuronlab.mcp``,
``neuronlab.data``, …) are imported where a chapter needs them, so that the
early chapters never pay for importing TensorFlow.
"""

from neuronlab.config import SEED, epochs, quick_mode
from neuronlab.notebook import claim, glue, setup

__version__ = "0.1.0"
__all__ = ["SEED", "epochs", "quick_mode", "glue", "claim", "setup", "__version__"]
