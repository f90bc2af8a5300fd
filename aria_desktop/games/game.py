"""The single game interface every other part of ARIA uses (recorder, app, agents, trainers).

A game is reset with a seed and stepped with an action index (plus click coordinates for
ARC's ACTION6). A step returns every frame it produced: Atari steps produce one frame, ARC
steps can animate and produce several; the last frame is the new observation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class FrameKind(StrEnum):
    RGB = "rgb"  # (H, W, 3) uint8, Atari raw frames
    GRID = "grid"  # (64, 64) uint8 colour indices 0..15, ARC frames


class GameKind(StrEnum):
    ATARI = "atari"
    BUILTIN = "builtin"  # original games shipped with ARIA, written on arcengine
    ARC = "arc"  # ARC-AGI-3 games found in an environments folder


@dataclass(frozen=True)
class Action:
    """One action a game accepts.

    index: the value recorded in `actions` (ALE action index, or ARC GameAction value).
    name: the toolkit's name (NOOP, FIRE, ACTION1, ...); label: what it does for a person.
    """

    index: int
    name: str
    label: str
    needs_xy: bool = False  # ARC ACTION6: a click at (x, y) in 0..63
    resets: bool = False  # ARC RESET: restarts the level (or the game) inside an episode


@dataclass
class Step:
    """What one step produced."""

    frames: list[np.ndarray]  # at least one; the last one is the new observation
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any] = field(default_factory=dict)  # score, lives, levels_completed, state, ...

    @property
    def frame(self) -> np.ndarray:
        return self.frames[-1]


class Game(ABC):
    """A playable game. Subclasses: BreakoutGame, ArcGame (built-in and ARC-AGI-3 games)."""

    id: str  # what `aria run ID` accepts
    title: str
    kind: GameKind
    version: str
    frame_kind: FrameKind
    native_fps: float  # agent steps per second for Atari; animation frames per second for ARC
    levels: int | None = None  # number of levels, when the game has levels
    animated = True  # whether a step's frames before the last are animation to show (ARC), not frames kept for models

    @property
    @abstractmethod
    def actions(self) -> list[Action]:
        """The actions available now, in index order (ARC games can change them per level)."""

    @abstractmethod
    def reset(self, seed: int | None = None) -> np.ndarray:
        """Start a new episode and return its first frame."""

    @abstractmethod
    def step(self, action: int, xy: tuple[int, int] | None = None) -> Step:
        """Apply one action; `xy` is required for actions with needs_xy and ignored otherwise."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The environment configuration a recording stores so a replay reproduces the frames."""

    @property
    @abstractmethod
    def frame(self) -> np.ndarray:
        """The current observation (the last frame produced)."""

    @property
    @abstractmethod
    def info(self) -> dict[str, Any]:
        """The current info: score, lives, levels_completed, state."""

    def action(self, index: int) -> Action:
        for a in self.actions:
            if a.index == index:
                return a
        names = ", ".join(f"{a.index}={a.name}" for a in self.actions)
        from aria_desktop.errors import AriaError

        raise AriaError(f"Action {index} is not available in {self.id}; its actions are {names}.")

    def close(self) -> None:
        """Release the emulator or engine."""
