"""Constants and small helpers shared by the widget unit tests (imported as ``from widget_helpers import ...``)."""

import base64

from matplotlib.text import Text

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SITE_WIDTH = 688  # pixels of the site's content column at 100 dpi


def png_size(encoded):
    """(width, height) in pixels of a base64 PNG, from its header (which must be a PNG's)."""
    raw = base64.b64decode(encoded)
    assert raw[:8] == PNG_MAGIC
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


def texts(figure):
    """Every visible non-empty text of a drawn figure (tick labels exist only once it is drawn)."""
    figure.canvas.draw()
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
