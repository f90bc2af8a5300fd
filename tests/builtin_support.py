"""Helpers for the built-in game tests: open a game, read its metadata, the solver's plans (solved once)."""

from __future__ import annotations

import json
from functools import cache

import numpy as np

from aria_desktop.agents.solver import PlannedStep, solve_game
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.catalog import open_game

UP, DOWN, LEFT, RIGHT, CLICK, UNDO = 1, 2, 3, 4, 6, 7
KEYBOARD = ["RESET", "ACTION1", "ACTION2", "ACTION3", "ACTION4"]
BUILTIN_GAMES = {  # id -> (input tag in metadata, action names)
    "maze": ("keyboard", KEYBOARD),
    "gems": ("keyboard", KEYBOARD),
    "keys": ("keyboard", KEYBOARD),
    "push": ("keyboard", KEYBOARD + ["ACTION7"]),
    "lamp": ("click", ["RESET", "ACTION6"]),
    "tile": ("click", ["RESET", "ACTION6"]),
}


def open_builtin(game_id: str) -> ArcGame:
    game = open_game(game_id)
    assert isinstance(game, ArcGame)
    return game


def metadata(game: ArcGame) -> dict:
    return json.loads((game.meta.local_dir / "metadata.json").read_text())


@cache
def plans(game_id: str) -> tuple[tuple[PlannedStep, ...], ...]:
    """The solver's plan for every level (solved once per test process)."""
    return tuple(tuple(plan) for plan in solve_game(open_builtin(game_id)))


def replay(game: ArcGame, plan) -> list[list[np.ndarray]]:
    return [game.step(step.choice.action, step.choice.xy).frames for step in plan]
