"""Breadth-first search over an arcengine game's states: proves levels winnable, and plans for the expert agent.

A state is identified by its rendered frame (ARC games show their whole state), the level and the score.
Clicks are enumerated with the engine's own list of clickable cells (sprites tagged `sys_click`).
"""

from __future__ import annotations

import copy
import hashlib
from collections import deque
from dataclasses import dataclass

import numpy as np
from arcengine import ActionInput, ARCBaseGame, GameAction, GameState

from aria_desktop.agents.agent import Choice
from aria_desktop.games.arc import ArcGame


@dataclass(frozen=True)
class SolverConfig:
    max_states: int = 200_000  # the search gives up past this many distinct states


@dataclass(frozen=True)
class PlannedStep:
    choice: Choice
    frame_hash: bytes  # the frame the game shows after this step, to notice when play leaves the plan


def frame_hash(frame: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(frame, dtype=np.uint8).tobytes(), digest_size=16).digest()


def candidate_actions(engine: ARCBaseGame) -> list[Choice]:
    """Every move worth trying from this state: the simple actions, and one click per clickable cell."""
    choices: list[Choice] = []
    seen: set[tuple[int, int]] = set()
    for action in engine._get_valid_actions():  # the engine's own enumeration (private in arcengine)
        if action.id is GameAction.ACTION6:
            xy = (int(action.data["x"]), int(action.data["y"]))
            if xy not in seen:
                seen.add(xy)
                choices.append(Choice(6, xy))
        else:
            choices.append(Choice(action.id.value))
    if 7 in engine._available_actions:
        choices.append(Choice(7))
    return choices


def clone_engine(engine: ARCBaseGame) -> ARCBaseGame:
    """A deep copy that shares the pristine level templates: the engine only ever clones from them."""
    return copy.deepcopy(engine, memo={id(engine._clean_levels): engine._clean_levels})


def _apply(engine: ARCBaseGame, choice: Choice) -> tuple[np.ndarray | None, int, GameState]:
    data = {"x": choice.xy[0], "y": choice.xy[1]} if choice.xy else {}
    result = engine.perform_action(ActionInput(id=GameAction.from_id(choice.action), data=data), raw=True)
    frames = list(result.frame or [])
    last = np.asarray(frames[-1], dtype=np.uint8) if frames else None
    return last, int(result.levels_completed), GameState(result.state)


def solve_level(game: ArcGame, config: SolverConfig | None = None) -> list[PlannedStep] | None:
    """The shortest action sequence from the game's current state that completes the current level
    (or wins the game); None when the search space is exhausted or too large."""
    cfg = config or SolverConfig()
    root = clone_engine(game.engine)
    start_levels = int(game.info["levels_completed"])
    key0 = (frame_hash(game.frame), root.level_index, start_levels)
    seen = {key0}
    queue: deque[tuple[ARCBaseGame, list[PlannedStep]]] = deque([(root, [])])
    while queue:
        engine, path = queue.popleft()
        for choice in candidate_actions(engine):
            child = clone_engine(engine)
            frame, levels, state = _apply(child, choice)
            if frame is None or state is GameState.GAME_OVER:
                continue
            step = PlannedStep(choice, frame_hash(frame))
            if levels > start_levels or state is GameState.WIN:
                return path + [step]
            key = (step.frame_hash, child.level_index, levels)
            if key in seen:
                continue
            if len(seen) >= cfg.max_states:
                return None
            seen.add(key)
            queue.append((child, path + [step]))
    return None


def solve_game(game: ArcGame, config: SolverConfig | None = None) -> list[list[PlannedStep]]:
    """Solve every level in turn, playing each plan on `game`; returns the plan per level.
    Raises RuntimeError naming the level that could not be solved."""
    plans: list[list[PlannedStep]] = []
    while game.info["state"] != GameState.WIN.value:
        level = int(game.info["levels_completed"])
        plan = solve_level(game, config)
        if plan is None:
            raise RuntimeError(f"{game.id}: level {level + 1} has no solution within the search budget")
        for step in plan:
            game.step(step.choice.action, step.choice.xy)
        plans.append(plan)
    return plans
