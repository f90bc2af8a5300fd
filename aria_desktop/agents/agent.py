"""The agent interface: the CLI, the recorder and the app's watch / take-over modes drive agents through it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from aria_desktop.games.game import Game


@dataclass(frozen=True)
class Choice:
    """An agent's decision: an action index, with click coordinates for ARC's ACTION6."""

    action: int
    xy: tuple[int, int] | None = None


class Agent(ABC):
    """Chooses actions for a game. Scripted agents may look inside the game (RAM, engine state);
    learned agents look only at `game.frame` and `game.info`."""

    name: str = "agent"

    def reset(self, game: Game) -> None:
        """A new episode started (or a person handed control back: the state may have moved on)."""

    @abstractmethod
    def act(self, game: Game) -> Choice:
        """The next action for the game's current state."""

    def report(self) -> list[str]:
        """Short lines for the app's side panel: the plan, surprise, goal probabilities, ..."""
        return []
