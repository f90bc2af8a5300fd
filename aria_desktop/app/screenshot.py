"""F12: save the window as a PNG in the screenshots folder."""

from __future__ import annotations

import time
from pathlib import Path

import pygame


def save_screenshot(surface: pygame.Surface, folder: Path, label: str) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"aria_{label}_{stamp}.png"
    n = 1
    while path.exists():  # two screenshots in the same second
        path = folder / f"aria_{label}_{stamp}_{n}.png"
        n += 1
    pygame.image.save(surface, str(path))
    return path
