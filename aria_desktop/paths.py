"""Where ARIA keeps its files when no folder is given: absolute, so nothing depends on the launch folder.

Run from a checkout (the package sits next to pyproject.toml and recordings/): the checkout's recordings/ and
screenshots/. Installed: the user data folder, $XDG_DATA_HOME/aria (default ~/.local/share/aria).
"""

from __future__ import annotations

import os
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder that holds recordings/, screenshots/ and runs/ by default."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "recordings").is_dir():
        return _CHECKOUT
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share").expanduser().resolve() / "aria"


DEFAULT_RECORDINGS = data_root() / "recordings"
DEFAULT_SCREENSHOTS = data_root() / "screenshots"
DEFAULT_RUNS = data_root() / "runs"  # training runs; the dream opens the newest world model found here
ACTIVE_MODELS = data_root() / "active-models.json"  # the checkpoint in use per model kind (`aria models use`)
