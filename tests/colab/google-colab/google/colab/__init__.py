"""Stand-in for Colab's ``google.colab``: only what the course calls.

The test's kernel imports this module at start-up, as Colab's kernel does, so
``"google.colab" in sys.modules`` is true in every notebook it runs.
"""

from google.colab import output

__all__ = ["output"]
