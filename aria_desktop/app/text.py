"""Fonts and text drawing (pygame's bundled font, so it looks the same on every machine)."""

from __future__ import annotations

import pygame


class Fonts:
    def __init__(self, size: int, small_size: int) -> None:
        self.normal = pygame.font.Font(None, size + 4)  # the default font runs small
        self.small = pygame.font.Font(None, small_size + 3)
        self.big = pygame.font.Font(None, size * 2)


def draw_text(
    surface: pygame.Surface,
    text: str,
    pos: tuple[int, int],
    font: pygame.font.Font,
    color: tuple[int, int, int],
    max_width: int | None = None,
) -> pygame.Rect:
    """Draw one line (cut with an ellipsis to max_width); returns the rect it took."""
    if max_width is not None and font.size(text)[0] > max_width:
        while text and font.size(text + "…")[0] > max_width:
            text = text[:-1]
        text += "…"
    image = font.render(text, True, color)
    return surface.blit(image, pos)


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Split text into lines no wider than width (long words are left whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if current and font.size(trial)[0] > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines
