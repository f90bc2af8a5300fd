"""Options several `aria` commands share, written once so their help reads the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aria_desktop.paths import DEFAULT_RECORDINGS  # noqa: F401  (re-exported: every command's --out default)

EnvDir = Annotated[
    Path | None,
    typer.Option("--env-dir", help="ARC-AGI-3 environments folder (<game>/<version>/metadata.json); default $ENVIRONMENTS_DIR."),
]
