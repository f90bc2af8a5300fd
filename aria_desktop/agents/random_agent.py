"""Uniformly random actions: the baseline every other agent must beat."""

from __future__ import annotations

import random

from aria_desktop.agents.agent import Agent, Choice
from aria_desktop.games.game import Game


class RandomAgent(Agent):
    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = random.Random(seed)
        self._last: Choice | None = None

    def act(self, game: Game) -> Choice:
        # RESET is a person's escape hatch, not a move: a random player that resets never progresses.
        choices = [a for a in game.actions if not a.resets]
        action = self.rng.choice(choices)
        xy = (self.rng.randrange(64), self.rng.randrange(64)) if action.needs_xy else None
        self._last = Choice(action.index, xy)
        return self._last

    def report(self) -> list[str]:
        if self._last is None:
            return []
        where = f" at {self._last.xy}" if self._last.xy is not None else ""
        return [f"random choice: action {self._last.action}{where}"]
