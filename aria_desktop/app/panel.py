"""The side panel: a column of sections. Modes hand the app a list of sections each frame.

Text lines (the agent's report, episode facts), a progress bar (training), a curve (loss, an agent's
surprise over time) and ranked bars (an agent's probability per action that it completes the level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pygame

from aria_desktop.app.config import Theme
from aria_desktop.app.text import Fonts, draw_text, wrap


class Section:
    title: str

    def height(self, fonts: Fonts, width: int) -> int:
        raise NotImplementedError

    def draw(self, surface: pygame.Surface, rect: pygame.Rect, fonts: Fonts, theme: Theme) -> None:
        raise NotImplementedError


@dataclass
class TextSection(Section):
    """A title and lines of text (wrapped to the panel's width)."""

    title: str
    lines: list[str] = field(default_factory=list)

    def _wrapped(self, fonts: Fonts, width: int) -> list[str]:
        return [part for line in self.lines for part in (wrap(line, fonts.small, width - 4) or [""])]

    def height(self, fonts: Fonts, width: int) -> int:
        return fonts.normal.get_height() + 4 + len(self._wrapped(fonts, width)) * (fonts.small.get_height() + 2)

    def draw(self, surface, rect, fonts, theme) -> None:
        draw_text(surface, self.title, rect.topleft, fonts.normal, theme.accent, rect.width)
        y = rect.y + fonts.normal.get_height() + 4
        for line in self._wrapped(fonts, rect.width):
            draw_text(surface, line, (rect.x + 4, y), fonts.small, theme.text, rect.width - 4)
            y += fonts.small.get_height() + 2


@dataclass
class BarSection(Section):
    """A progress bar with a caption (training progress)."""

    title: str
    fraction: float
    caption: str = ""

    def height(self, fonts: Fonts, width: int) -> int:
        return fonts.normal.get_height() + 4 + 14 + fonts.small.get_height() + 4

    def draw(self, surface, rect, fonts, theme) -> None:
        draw_text(surface, self.title, rect.topleft, fonts.normal, theme.accent, rect.width)
        bar = pygame.Rect(rect.x, rect.y + fonts.normal.get_height() + 4, rect.width, 14)
        pygame.draw.rect(surface, theme.dim, bar, 1)
        filled = bar.inflate(-4, -4)
        filled.width = int(filled.width * min(1.0, max(0.0, self.fraction)))
        surface.fill(theme.accent, filled)
        draw_text(surface, self.caption, (rect.x, bar.bottom + 2), fonts.small, theme.text, rect.width)


@dataclass
class CurveSection(Section):
    """A line plot of recent values (loss, surprise, goal probability)."""

    title: str
    values: list[float]
    plot_height: int = 90

    def height(self, fonts: Fonts, width: int) -> int:
        return fonts.normal.get_height() + 4 + self.plot_height + 4

    def draw(self, surface, rect, fonts, theme) -> None:
        last = f"  {self.values[-1]:.4g}" if self.values else ""
        draw_text(surface, self.title + last, rect.topleft, fonts.normal, theme.accent, rect.width)
        box = pygame.Rect(rect.x, rect.y + fonts.normal.get_height() + 4, rect.width, self.plot_height)
        pygame.draw.rect(surface, theme.dim, box, 1)
        if len(self.values) < 2:
            return
        lo, hi = min(self.values), max(self.values)
        span = (hi - lo) or 1.0
        n = len(self.values) - 1
        points = [
            (box.x + 2 + (box.width - 4) * i / n, box.bottom - 3 - (box.height - 6) * (v - lo) / span)
            for i, v in enumerate(self.values)
        ]
        pygame.draw.lines(surface, theme.text, False, points, 1)


@dataclass
class RankSection(Section):
    """Labelled values in [0, 1] as bars, largest first, the top `top` of them (goal probability per action)."""

    title: str
    values: dict[str, float]
    top: int = 6
    empty: str = "-"  # what shows when there are no values

    def _rows(self) -> list[tuple[str, float]]:
        return sorted(self.values.items(), key=lambda kv: -kv[1])[: self.top]

    def height(self, fonts: Fonts, width: int) -> int:
        return fonts.normal.get_height() + 4 + max(1, len(self._rows())) * (fonts.small.get_height() + 3)

    def draw(self, surface, rect, fonts, theme) -> None:
        draw_text(surface, self.title, rect.topleft, fonts.normal, theme.accent, rect.width)
        y = rect.y + fonts.normal.get_height() + 4
        rows = self._rows()
        if not rows:
            draw_text(surface, self.empty, (rect.x + 4, y), fonts.small, theme.dim, rect.width - 4)
        label_w, value_w = rect.width * 2 // 5, 48
        line_h = fonts.small.get_height()
        for label, value in rows:
            draw_text(surface, label, (rect.x + 4, y), fonts.small, theme.text, label_w - 8)
            bar = pygame.Rect(rect.x + label_w, y + 3, rect.width - label_w - value_w, line_h - 6)
            pygame.draw.rect(surface, theme.dim, bar, 1)
            filled = bar.inflate(-2, -2)
            filled.width = int(filled.width * min(1.0, max(0.0, value)))
            surface.fill(theme.accent, filled)
            draw_text(surface, f"{value:.2f}", (bar.right + 6, y), fonts.small, theme.text, value_w - 6)
            y += line_h + 3


def draw_panel(
    surface: pygame.Surface, rect: pygame.Rect, sections: list[Section], fonts: Fonts, theme: Theme
) -> list[tuple[Section, pygame.Rect]]:
    """Draw the sections top down; returns where each one went (those that fit)."""
    surface.fill(theme.panel, rect)
    inner = rect.inflate(-20, -16)
    y = inner.y
    placed = []
    for section in sections:
        h = section.height(fonts, inner.width)
        if y + h > inner.bottom:
            break  # out of room: later sections are less important
        placed.append((section, pygame.Rect(inner.x, y, inner.width, h)))
        section.draw(surface, placed[-1][1], fonts, theme)
        y += h + 10
    return placed
