"""ARIA Desktop: the `aria` CLI, the pygame app and its modes, game adapters and agents."""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # pygame's greeting is noise in a CLI
