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

MAX_SEED = 2**32 - 1  # gymnasium / numpy seeds are unsigned 32-bit; -1 is the format's "unknown seed"
SEED_RANGE = dict(min=0, max=MAX_SEED)  # typer refuses other seeds with one sentence, before anything runs


def check_out(out: str | Path) -> Path:
    """--out as a folder path; an empty one (Path('') would be the current folder, unnoticed) is one sentence.
    Commands take --out as text so that an empty value reaches this check."""
    from aria_desktop.errors import AriaError

    if not str(out).strip():
        raise AriaError("--out is empty; give a recordings folder, e.g. --out recordings.")
    return Path(out)
