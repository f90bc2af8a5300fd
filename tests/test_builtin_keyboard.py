"""The built-in keyboard games (maze, gems, keys): each one's own rules checked on real frames.
What every built-in game owes (loading, solving, animation, RESET, snapshots) is in test_builtin_games.py."""

from __future__ import annotations

import numpy as np
import pytest
from builtin_support import DOWN, RIGHT, UP, open_builtin, plans, replay

from aria_desktop.agents.solver import solve_level
from aria_desktop.games.arc import ArcGame

KEYBOARD_GAMES = ["maze", "gems", "keys"]
# A move that level 1 refuses at its start: the runner has a wall above it, the skater a rock
# to its right, the explorer a wall above it.
BLOCKED_AT_START = {"maze": UP, "gems": RIGHT, "keys": UP}


def _game_globals(game: ArcGame) -> dict:
    """The game file's globals (COLOURS, ...): the toolkit execs game files as modules it does not
    register, so they are reached through the game class."""
    return type(game.engine).__init__.__globals__


def _palette(game: ArcGame):
    return _game_globals(game)["COLOURS"]


@pytest.mark.parametrize("game_id", KEYBOARD_GAMES)
def test_blocked_move_leaves_the_frame_unchanged(game_id: str) -> None:
    game = open_builtin(game_id)
    before = game.frame.copy()
    step = game.step(BLOCKED_AT_START[game_id])
    assert len(step.frames) == 1
    np.testing.assert_array_equal(step.frame, before)
    assert step.reward == 0 and not step.terminated


def _cells_of(frame: np.ndarray, colour: int) -> tuple[float, float]:
    ys, xs = np.nonzero(frame == colour)
    assert len(xs), f"colour {colour} is not on screen"
    return float(xs.mean()), float(ys.mean())


def test_maze_runner_runs_along_the_corridor_frame_by_frame() -> None:
    game = open_builtin("maze")
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
    game = open_builtin("gems")
    colours = _palette(game)
    assert (game.frame == colours.gem).any() and (game.frame == colours.exit_shut).any()
    assert not (game.frame == colours.exit_open).any()
    opened = False
    for frames in replay(game, plans("gems")[0]):
        for frame in frames:  # (the last frame of the last step shows level 2: gems, and its exit shut)
            gems_left = (frame == colours.gem).any()
            exit_open = (frame == colours.exit_open).any()
            assert not (gems_left and exit_open), "the exit opened before the last gem"
            opened |= exit_open
    assert opened
    assert game.info["levels_completed"] == 1


def test_keys_carried_key_shows_in_the_strip_and_opens_its_door() -> None:
    game = open_builtin("keys")
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
    game = open_builtin("keys")
    solution = plans("keys")
    for plan in solution[:2]:
        replay(game, plan)
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
