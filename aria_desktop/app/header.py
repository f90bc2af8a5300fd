"""The header line: mode, game, controller, step, score or level, the model in use, measured FPS, recording state."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from aria_desktop.app.config import Theme
from aria_desktop.app.text import Fonts, draw_text


@dataclass
class HeaderInfo:
    mode: str
    game: str = "-"
    controller: str | None = None  # "human" / "agent: scripted"; None when nobody plays
    step: int | None = None
    score: str | None = None  # "score 12 · lives 3" or "level 2 of 3"
    recording: bool | None = None  # None: the mode does not record (no indicator)
    episodes: int = 0  # episodes saved in this app session
    extra: str | None = None  # "paused", "speed 2x", ...
    model: str | None = None  # the checkpoint in use, "wm 1a2b3c4d step 500" (it can change: hot reload)


def level_text(info: dict, levels: int | None) -> str:
    """The one level convention: "level k of N", k the level being played (1-based; the last one once won)."""
    total = int(info.get("win_levels") or levels or 0)
    current = int(info.get("levels_completed", 0) or 0) + 1
    return f"level {min(current, total)} of {total}" if total else f"level {current}"


def header_text(info: HeaderInfo, fps: float | None) -> list[str]:
    """The header's parts, left to right (tests read these)."""
    parts = [info.mode, info.game]
    if info.controller:
        parts.append(info.controller)
    if info.step is not None:
        parts.append(f"step {info.step}")
    if info.score:
        parts.append(info.score)
    if info.extra:
        parts.append(info.extra)
    if info.model:
        parts.append(info.model)
    parts.append("idle" if fps is None else f"{fps:.0f} fps")  # None: the window redraws only on input
    return parts


def draw_header(
    surface: pygame.Surface, rect: pygame.Rect, info: HeaderInfo, fps: float | None, fonts: Fonts, theme: Theme
) -> list[str]:
    surface.fill(theme.header, rect)
    parts = header_text(info, fps)
    x = rect.x + 10
    y = rect.y + (rect.height - fonts.normal.get_height()) // 2 + 1
    for i, part in enumerate(parts):
        color = theme.accent if i == 0 else theme.text
        if info.controller and part == info.controller:
            color = theme.human if part.startswith("human") else theme.agent
        x = draw_text(surface, part, (x, y), fonts.normal, color).right + 8
        if i < len(parts) - 1:
            x = draw_text(surface, "·", (x, y), fonts.normal, theme.dim).right + 8
    if info.recording is None:
        return parts
    # The recording indicator sits at the right edge, where the eye finds it.
    label = f"REC · {info.episodes} saved" if info.recording else f"not recording · {info.episodes} saved"
    image = fonts.normal.render(label, True, theme.record if info.recording else theme.dim)
    right = rect.right - 10 - image.get_width()
    if info.recording:
        pygame.draw.circle(surface, theme.record, (right - 12, rect.centery), 6)
    surface.blit(image, (right, y))
    return parts + [label]
