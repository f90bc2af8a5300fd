"""The built-in keyboard games (maze, gems, keys): loaded through the toolkit, solved level by level,
animated, resettable, and each one's own rule checked on real frames."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from arcengine import GameState

from aria_desktop.agents import make_agent
from aria_desktop.agents.solver import PlannedStep, solve_game, solve_level
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.catalog import open_game
from aria_desktop.games.game import GameKind

KEYBOARD_GAMES = ["maze", "gems", "keys"]
UP, DOWN, LEFT, RIGHT = 1, 2, 3, 4
# A move that level 1 refuses at its start: the runner has a wall above it, the skater a rock
# to its right, the explorer a wall above it.
BLOCKED_AT_START = {"maze": UP, "gems": RIGHT, "keys": UP}


def _open(game_id: str) -> ArcGame:
    game = open_game(game_id)
    assert isinstance(game, ArcGame)
    return game


def _metadata(game: ArcGame) -> dict:
    return json.loads((game.meta.local_dir / "metadata.json").read_text())


def _game_globals(game: ArcGame) -> dict:
    """The game file's globals (COLOURS, ...): the toolkit execs game files as modules it does not
    register, so they are reached through the game class."""
    return type(game.engine).__init__.__globals__


def _palette(game: ArcGame):
    return _game_globals(game)["COLOURS"]


@cache
def _plans(game_id: str) -> tuple[tuple[PlannedStep, ...], ...]:
    """The solver's plan for every level (solved once per test session)."""
    return tuple(tuple(plan) for plan in solve_game(_open(game_id)))


def _replay(game: ArcGame, plan) -> list[list[np.ndarray]]:
    return [game.step(step.choice.action, step.choice.xy).frames for step in plan]


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_loads_as_a_builtin_keyboard_game(game_id: str) -> None:
    game = _open(game_id)
    meta = _metadata(game)
    assert game.kind is GameKind.BUILTIN
    assert [a.name for a in game.actions] == ["RESET", "ACTION1", "ACTION2", "ACTION3", "ACTION4"]
    assert meta["game_id"] == f"{game_id}-v1" and meta["class_name"] == game_id.capitalize()
    assert "keyboard" in meta["tags"]
    assert game.levels == len(meta["baseline_actions"]) == len(game.engine._levels) >= 3
    assert game.frame.shape == (64, 64) and game.frame.dtype == np.uint8
    assert game.info["levels_completed"] == 0


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_solver_wins_every_level_in_the_baseline_number_of_actions(game_id: str) -> None:
    plans = _plans(game_id)
    meta = _metadata(_open(game_id))
    assert len(plans) == len(meta["baseline_actions"])
    assert [len(plan) for plan in plans] == meta["baseline_actions"]
    assert all(len(plan) > 0 for plan in plans)


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_replaying_the_plans_wins_with_valid_animated_frames(game_id: str) -> None:
    game = _open(game_id)
    first = game.frame.copy()
    counts: list[int] = []
    for level, plan in enumerate(_plans(game_id)):
        assert game.info["levels_completed"] == level
        for frames in _replay(game, plan):
            counts.append(len(frames))
            for frame in frames:
                assert frame.shape == (64, 64) and frame.dtype == np.uint8 and int(frame.max()) <= 15
    assert game.info["state"] == GameState.WIN.value
    assert game.info["levels_completed"] == game.levels
    assert max(counts) >= 4, "no step animated over several frames"
    assert sum(c > 1 for c in counts) >= len(counts) // 2, "most moves should animate"
    # RESET after the win starts the whole game again.
    np.testing.assert_array_equal(game.step(0).frame, first)
    assert game.info["levels_completed"] == 0 and game.info["level_index"] == 0


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_blocked_move_leaves_the_frame_unchanged(game_id: str) -> None:
    game = _open(game_id)
    before = game.frame.copy()
    step = game.step(BLOCKED_AT_START[game_id])
    assert len(step.frames) == 1
    np.testing.assert_array_equal(step.frame, before)
    assert step.reward == 0 and not step.terminated


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_reset_restores_the_level_start(game_id: str) -> None:
    game = _open(game_id)
    plans = _plans(game_id)
    start = game.frame.copy()
    _replay(game, plans[0][:2])
    assert not np.array_equal(game.frame, start)
    np.testing.assert_array_equal(game.step(0).frame, start)
    # On a later level RESET restarts that level, not the game.
    _replay(game, plans[0])
    level2 = game.frame.copy()
    _replay(game, plans[1][:2])
    assert not np.array_equal(game.frame, level2)
    np.testing.assert_array_equal(game.step(0).frame, level2)
    assert game.info["levels_completed"] == 1
    # The level plays again exactly as the first time.
    _replay(game, plans[1])
    assert game.info["levels_completed"] == 2


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_snapshots_are_independent_of_later_play(game_id: str) -> None:
    """The solver searches on copies of the game (which share the levels not being played):
    playing on after a snapshot must not leak into it."""
    game = _open(game_id)
    plans = _plans(game_id)
    snapshot = game.snapshot()
    _replay(game, plans[0])
    level2 = game.frame.copy()
    _replay(game, plans[1][:3])
    game.restore(snapshot)
    _replay(game, plans[0])
    np.testing.assert_array_equal(game.frame, level2)
    _replay(game, plans[1])
    assert game.info["levels_completed"] == 2


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_scripted_agent_wins_the_game(game_id: str) -> None:
    game = _open(game_id)
    agent = make_agent("scripted", game)
    agent.reset(game)
    budget = sum(_metadata(game)["baseline_actions"]) + 5
    for _ in range(budget):
        choice = agent.act(game)
        if game.step(choice.action, choice.xy).terminated:
            break
    assert game.info["state"] == GameState.WIN.value
    assert game.info["levels_completed"] == game.levels


def _cells_of(frame: np.ndarray, colour: int) -> tuple[float, float]:
    ys, xs = np.nonzero(frame == colour)
    assert len(xs), f"colour {colour} is not on screen"
    return float(xs.mean()), float(ys.mean())


def test_maze_runner_runs_along_the_corridor_frame_by_frame() -> None:
    game = _open("maze")
    runner = _palette(game).runner
    x0, y0 = _cells_of(game.frame, runner)
    frames = game.step(RIGHT).frames  # level 1: a corridor runs right from the start
    xs = [x0] + [_cells_of(f, runner)[0] for f in frames]
    ys = {y0} | {_cells_of(f, runner)[1] for f in frames}
    assert len(frames) >= 3
    assert all(b > a for a, b in zip(xs, xs[1:])), "the runner should advance one cell per frame"
    assert ys == {y0}
    # It stopped: pressing right again at the corridor's end changes nothing.
    assert np.array_equal(game.step(RIGHT).frame, frames[-1])


def test_gems_exit_opens_only_once_every_gem_is_collected() -> None:
    game = _open("gems")
    colours = _palette(game)
    assert (game.frame == colours.gem).any() and (game.frame == colours.exit_shut).any()
    assert not (game.frame == colours.exit_open).any()
    opened = False
    for frames in _replay(game, _plans("gems")[0]):
        for frame in frames:  # (the last frame of the last step shows level 2: gems, and its exit shut)
            gems_left = (frame == colours.gem).any()
            exit_open = (frame == colours.exit_open).any()
            assert not (gems_left and exit_open), "the exit opened before the last gem"
            opened |= exit_open
    assert opened
    assert game.info["levels_completed"] == 1


def test_keys_carried_key_shows_in_the_strip_and_opens_its_door() -> None:
    game = _open("keys")
    colours = _palette(game)
    red = _game_globals(game)["KEY_COLOURS"]["r"]

    def strip(frame: np.ndarray) -> np.ndarray:
        return frame[(frame == colours.hud).any(axis=1)]  # the rows of the top strip

    start = game.frame.copy()
    assert (start == red).any() and not (strip(start) == red).any()  # a red key and door, none carried
    # Level 1 (explorer at the top left, red key below, red door to the right): without the key
    # the door does not open.
    for action in (RIGHT, RIGHT, DOWN):
        game.step(action)
    at_door = game.frame.copy()
    locked = game.step(RIGHT)
    assert len(locked.frames) == 1 and np.array_equal(locked.frame, at_door)
    # Fetch the key: it leaves the floor and shows in the strip.
    assert np.array_equal(game.step(0).frame, start)
    for action in (DOWN, DOWN, RIGHT):
        game.step(action)
    assert (strip(game.frame) == red).any()
    # Open the door: it crumbles over several frames, the key is used up, the explorer walks through.
    game.step(UP)
    game.step(RIGHT)
    opening = game.step(RIGHT)
    assert len(opening.frames) >= 4
    assert not (strip(opening.frame) == red).any()
    assert not (opening.frame == red).any(), "the key and the door should both be gone"


def test_keys_a_used_key_is_gone_so_the_wrong_door_strands_the_explorer() -> None:
    game = _open("keys")
    plans = _plans("keys")
    for plan in plans[:2]:
        _replay(game, plan)
    assert game.info["levels_completed"] == 2
    # Level 3: one red key, two red doors. Take the key and open the lower door, which leads
    # only to a blue key with no blue door: the level can no longer be won.
    for action in (DOWN, DOWN, DOWN, RIGHT):
        game.step(action)
    assert len(game.step(RIGHT).frames) >= 4  # the door crumbles
    assert solve_level(game) is None
    # RESET brings the level (and the key) back, and it is winnable again.
    game.step(0)
    assert solve_level(game) is not None
