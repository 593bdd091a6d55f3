"""Interactive explorables, one module per chapter.

Each explorable separates a pure ``state(**controls)`` (testable without a
display) from its drawing, and shows a static figure of its current state
wherever no kernel runs (the built site, a notebook opened without running it).
"""

from neuronlab.widgets.base import Explorable

__all__ = ["Explorable"]
