"""The F1 overlay: the bindings of the current game and mode, then the app's own keys."""

from __future__ import annotations

import pygame

from aria_desktop.app.config import Theme
from aria_desktop.app.text import Fonts, draw_text

APP_KEYS: list[tuple[str, str]] = [
    ("F1", "show / hide this help"),
    ("F12", "save a screenshot to the screenshots folder"),
    ("F2 / F3 / F4 / F5", "launcher / play / watch / replay"),
    ("Esc", "quit (the episode in progress is saved)"),
]


def draw_help(
    surface: pygame.Surface, sections: list[tuple[str, list[tuple[str, str]]]], fonts: Fonts, theme: Theme
) -> None:
    shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 200))
    surface.blit(shade, (0, 0))
    x, y = 40, 30
    key_width = 220
    draw_text(surface, "Help", (x, y), fonts.big, theme.accent)
    y += fonts.big.get_height() + 8
    for title, lines in sections:
        if not lines:
            continue
        draw_text(surface, title, (x, y), fonts.normal, theme.accent)
        y += fonts.normal.get_height() + 4
        for keys, what in lines:
            draw_text(surface, keys, (x + 10, y), fonts.small, theme.text, key_width - 20)
            draw_text(surface, what, (x + key_width, y), fonts.small, theme.dim, surface.get_width() - x - key_width - 20)
            y += fonts.small.get_height() + 3
        y += 8
