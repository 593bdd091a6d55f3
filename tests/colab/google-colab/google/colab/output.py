"""Stand-in for ``google.colab.output``."""

custom_widget_manager_enabled = False


def enable_custom_widget_manager() -> None:
    """Colab's switch for ipywidgets 8 widgets; here it only records that it was called."""
    global custom_widget_manager_enabled
    custom_widget_manager_enabled = True
