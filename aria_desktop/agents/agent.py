"""The agent interface: the CLI, the recorder and the app's watch / take-over modes drive agents through it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from aria_desktop.games.game import Game


@dataclass(frozen=True)
class Choice:
    """An agent's decision: an action index, with click coordinates for ARC's ACTION6."""

    action: int
    xy: tuple[int, int] | None = None


@dataclass
class Insight:
    """What an agent computed for its last decision, for the Watch panel (every field optional).

    `goal` maps a candidate's label ("UP", "click 12,40", ...) to the predicted probability that it completes
    the level; `surprise` is the last observed frame's surprise (higher = less expected); `clicks` are the
    candidate positions (frame x, y) the agent weighed, the chosen one in `chosen.xy`."""

    branch: str = ""  # which rule chose: "goal", "policy", "explore", ...
    surprise: float | None = None
    goal: dict[str, float] = field(default_factory=dict)
    clicks: list[tuple[int, int]] = field(default_factory=list)
    graph_size: int | None = None
    chosen: Choice | None = None


class Agent(ABC):
    """Chooses actions for a game. Scripted agents may look inside the game (RAM, engine state);
    learned agents look only at `game.frame` and `game.info`."""

    name: str = "agent"

    def reset(self, game: Game) -> None:
        """A new episode started (or a person handed control back: the state may have moved on)."""

    @abstractmethod
    def act(self, game: Game) -> Choice:
        """The next action for the game's current state."""

    def insight(self) -> Insight | None:
        """The last decision's figures (surprise, goal probabilities, branch, ...), or None for agents without."""
        return None

    def report(self) -> list[str]:
        """Short lines for the app's side panel: the plan, surprise, goal probabilities, ..."""
        return []
