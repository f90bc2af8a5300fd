"""What every built-in game owes: it loads through the toolkit, every level is won by the solver in the
baseline number of actions, moves animate, RESET restores, snapshots hold, and the expert agent wins."""

from __future__ import annotations

import numpy as np
import pytest
from arcengine import GameState
from builtin_support import BUILTIN_GAMES, metadata, open_builtin, plans, replay

from aria_desktop.agents import make_agent
from aria_desktop.games.game import GameKind


def test_the_builtin_games_cover_the_mechanics_and_both_inputs():
    tags = {tag for game_id in BUILTIN_GAMES for tag in metadata(open_builtin(game_id))["tags"]}
    assert {"navigation", "collection", "switches", "keys-and-doors", "pushing", "patterns"} <= tags
    inputs = [kind for kind, _ in BUILTIN_GAMES.values()]
    assert inputs.count("keyboard") >= 2 and inputs.count("click") >= 2


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_loads_as_a_builtin_game_with_its_metadata(game_id: str) -> None:
    kind, actions = BUILTIN_GAMES[game_id]
    game = open_builtin(game_id)
    meta = metadata(game)
    assert game.kind is GameKind.BUILTIN
    assert [a.name for a in game.actions] == actions
    assert meta["game_id"] == f"{game_id}-v1" and meta["class_name"] == game_id.capitalize()
    assert kind in meta["tags"]
    assert game.levels == len(meta["baseline_actions"]) == len(game.engine._levels) >= 3
    assert game.frame.shape == (64, 64) and game.frame.dtype == np.uint8 and int(game.frame.max()) <= 15
    assert game.info["levels_completed"] == 0 and game.info["state"] == GameState.NOT_FINISHED.value


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_solver_wins_every_level_in_the_baseline_number_of_actions(game_id: str) -> None:
    baseline = metadata(open_builtin(game_id))["baseline_actions"]
    assert [len(plan) for plan in plans(game_id)] == baseline
    assert all(n > 0 for n in baseline)
    assert baseline[-1] > baseline[0], "the last level should take more actions than the first"


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_replaying_the_plans_wins_with_valid_animated_frames(game_id: str) -> None:
    game = open_builtin(game_id)
    first = game.frame.copy()
    counts: list[int] = []
    for level, plan in enumerate(plans(game_id)):
        assert game.info["levels_completed"] == level
        for frames in replay(game, plan):
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


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_reset_restores_the_level_start(game_id: str) -> None:
    game = open_builtin(game_id)
    solution = plans(game_id)
    start = game.frame.copy()
    replay(game, solution[0][:1])
    assert not np.array_equal(game.frame, start)
    np.testing.assert_array_equal(game.step(0).frame, start)
    # On a later level RESET restarts that level, not the game.
    replay(game, solution[0])
    level2 = game.frame.copy()
    replay(game, solution[1][:-1])  # all but the winning move
    assert not np.array_equal(game.frame, level2)
    np.testing.assert_array_equal(game.step(0).frame, level2)
    assert game.info["levels_completed"] == 1
    replay(game, solution[1])  # the level plays again exactly as the first time
    assert game.info["levels_completed"] == 2


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_snapshots_are_independent_of_later_play(game_id: str) -> None:
    """The games' copies (the solver's search states) share the levels not being played:
    playing on after a snapshot must not leak into it."""
    game = open_builtin(game_id)
    solution = plans(game_id)
    snapshot = game.snapshot()
    replay(game, solution[0])
    level2 = game.frame.copy()
    replay(game, solution[1][:-1])
    game.restore(snapshot)
    replay(game, solution[0])
    np.testing.assert_array_equal(game.frame, level2)
    replay(game, solution[1])
    assert game.info["levels_completed"] == 2


@pytest.mark.parametrize("game_id", BUILTIN_GAMES)
def test_scripted_agent_wins_the_game(game_id: str) -> None:
    game = open_builtin(game_id)
    agent = make_agent("scripted", game)
    agent.reset(game)
    budget = sum(metadata(game)["baseline_actions"]) + 5
    for _ in range(budget):
        choice = agent.act(game)
        if game.step(choice.action, choice.xy).terminated:
            break
    assert game.info["state"] == GameState.WIN.value
    assert game.info["levels_completed"] == game.levels
