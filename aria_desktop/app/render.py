"""Frames to pygame surfaces: the ARC 16-colour palette exactly, RGB frames as they are, crisp integer scaling."""

from __future__ import annotations

import numpy as np
import pygame

# The ARC-AGI-3 toolkit's palette (arc_agi.rendering.COLOR_MAP), index -> RGB.
ARC_PALETTE = np.array(
    [
        (0xFF, 0xFF, 0xFF),  # 0 white
        (0xCC, 0xCC, 0xCC),  # 1 off-white
        (0x99, 0x99, 0x99),  # 2 light grey
        (0x66, 0x66, 0x66),  # 3 grey
        (0x33, 0x33, 0x33),  # 4 off-black
        (0x00, 0x00, 0x00),  # 5 black
        (0xE5, 0x3A, 0xA3),  # 6 magenta
        (0xFF, 0x7B, 0xCC),  # 7 light magenta
        (0xF9, 0x3C, 0x31),  # 8 red
        (0x1E, 0x93, 0xFF),  # 9 blue
        (0x88, 0xD8, 0xF1),  # 10 light blue
        (0xFF, 0xDC, 0x00),  # 11 yellow
        (0xFF, 0x85, 0x1B),  # 12 orange
        (0x92, 0x12, 0x31),  # 13 maroon
        (0x4F, 0xCC, 0x30),  # 14 green
        (0xA3, 0x56, 0xD6),  # 15 purple
    ],
    dtype=np.uint8,
)


def frame_to_rgb(frame: np.ndarray) -> np.ndarray:
    """(H, W) colour indices or (H, W, 3) RGB -> (H, W, 3) uint8 RGB."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        return ARC_PALETTE[np.clip(frame, 0, 15).astype(np.intp)]
    return frame.astype(np.uint8, copy=False)


def integer_scale(frame_size: tuple[int, int], area: pygame.Rect) -> int:
    """The largest whole-number scale at which a (w, h) frame fits the area (at least 1)."""
    w, h = frame_size
    return max(1, min(area.width // w, area.height // h))


def frame_rect(frame_size: tuple[int, int], area: pygame.Rect) -> pygame.Rect:
    """Where a frame of (w, h) pixels is drawn: integer-scaled and centred in the area."""
    s = integer_scale(frame_size, area)
    rect = pygame.Rect(0, 0, frame_size[0] * s, frame_size[1] * s)
    rect.center = area.center
    return rect


def frame_size(frame: np.ndarray) -> tuple[int, int]:
    return int(frame.shape[1]), int(frame.shape[0])


def draw_frame(surface: pygame.Surface, frame: np.ndarray, area: pygame.Rect) -> pygame.Rect:
    """Draw the frame scaled by a whole number (nearest neighbour: every game pixel an exact square)."""
    rgb = frame_to_rgb(frame)
    rect = frame_rect(frame_size(rgb), area)
    small = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.swapaxes(0, 1)))
    surface.blit(pygame.transform.scale(small, rect.size), rect)
    return rect


def window_to_grid(pos: tuple[int, int], rect: pygame.Rect, size: tuple[int, int]) -> tuple[int, int] | None:
    """The game pixel (x, y) under a window pixel, or None outside the drawn frame."""
    if not rect.collidepoint(pos):
        return None
    s = rect.width // size[0]
    return (pos[0] - rect.x) // s, (pos[1] - rect.y) // s


def mark_click(surface: pygame.Surface, rect: pygame.Rect, size: tuple[int, int], xy: tuple[int, int],
               color: tuple[int, int, int], faint: bool = False) -> None:
    """Mark game pixel `xy` of a frame of `size` drawn at `rect`: a ring around its outlined cell (a click that
    was made), or with faint=True only the cell's outline (a click that was weighed). A black edge keeps either
    visible on any colour."""
    s = max(1, rect.width // size[0])
    cell = pygame.Rect(rect.x + int(xy[0]) * s, rect.y + int(xy[1]) * s, s, s)
    if faint:
        box = cell.inflate(4, 4)
        pygame.draw.rect(surface, (0, 0, 0), box.inflate(2, 2), 1)
        pygame.draw.rect(surface, color, box, 1)
        return
    radius = max(6, 2 * s)
    pygame.draw.rect(surface, (0, 0, 0), cell.inflate(2, 2), 1)
    pygame.draw.circle(surface, (0, 0, 0), cell.center, radius + 2, 2)
    pygame.draw.circle(surface, color, cell.center, radius, 2)
