"""The F1 overlay: the bindings of the current game and mode, then the app's own keys."""

from __future__ import annotations

import pygame

from aria_desktop.app.config import Theme
from aria_desktop.app.keymap import APP_KEYS
from aria_desktop.app.text import Fonts, draw_text


def app_keys() -> list[tuple[str, str]]:
    """The app's own keys, with one line per mode that has a switching key."""
    from aria_desktop.app.modes import modes_in_order

    switches = [(pygame.key.name(m.hotkey).upper(), f"switch to {m.name}") for m in modes_in_order() if m.hotkey]
    return APP_KEYS.help_lines() + switches


def draw_help(
    surface: pygame.Surface, sections: list[tuple[str, list[tuple[str, str]]]], fonts: Fonts, theme: Theme
) -> None:
    shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    shade.fill((0, 0, 0, 170))
    surface.blit(shade, (0, 0))
    rows = sum(len(lines) for _, lines in sections if lines)
    titles = sum(1 for _, lines in sections if lines)
    height = fonts.big.get_height() + 30 + titles * (fonts.normal.get_height() + 12) + rows * (fonts.small.get_height() + 3)
    box = pygame.Rect(24, 20, min(760, surface.get_width() - 48), min(height, surface.get_height() - 40))
    surface.fill(theme.panel, box)
    pygame.draw.rect(surface, theme.accent, box, 1)
    x, y = box.x + 16, box.y + 10
    key_width = 240
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
