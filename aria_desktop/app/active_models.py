"""The launcher's block of active models: one line per kind, the checkpoint in use and its headline figure.

The runs folder is scanned at most every few seconds (checkpoint.json files and run events only), on a redraw.
"""

from __future__ import annotations

import time

import pygame

from aria_desktop.app.text import draw_text, wrap

RESCAN_AFTER = 5.0  # seconds a scan stays fresh (the launcher redraws only on input)
KIND_NAMES = {"atari-vqvae": "Breakout VQ-VAE", "atari-wm": "Breakout world model (dream)",
              "arc-vqvae": "ARC VQ-VAE", "arc-world-model": "ARC game transformer"}


def active_model_lines(app) -> list[str]:
    """'Breakout world model (dream): wm · 3e225913 step 150 · token acc 91.00%' per kind with a checkpoint."""
    cached = app.cache.get("active_models")
    if cached is not None and time.monotonic() - cached[0] < RESCAN_AFTER:
        return cached[1]
    from aria_desktop import paths
    from trainers.errors import TrainerError
    from trainers.models_registry import models_overview

    try:
        runs = paths.DEFAULT_RUNS if paths.DEFAULT_RUNS.is_dir() else None  # chosen models may live elsewhere
        overview = models_overview(runs, paths.ACTIVE_MODELS)
    except (TrainerError, OSError):
        overview = None
    lines = []
    for kind, entry in sorted(overview.active.items() if overview else []):
        where = entry.run.name if entry.run else entry.path.name
        lines.append(f"{KIND_NAMES.get(kind, kind)}: {where} · {entry.short} · {entry.headline_text}")
    app.cache["active_models"] = (time.monotonic(), lines)
    return lines


def draw_active_models(surface: pygame.Surface, x: int, y: int, width: int, app) -> int:
    """The block at (x, y); returns the bottom edge used."""
    fonts, theme = app.fonts, app.config.theme
    lines = active_model_lines(app)
    title = "Models in use (`aria models list`, `aria models use`)" if lines else \
        "No trained models yet: `aria dream --setup` makes a first dream, `aria train ...` the others."
    y += 8
    for i, line in enumerate([title, *lines]):
        for part in wrap(line, fonts.small, width):
            draw_text(surface, part, (x, y), fonts.small, theme.dim if i == 0 else theme.text, width)
            y += fonts.small.get_height() + 3
    return y
