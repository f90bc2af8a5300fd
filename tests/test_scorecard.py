"""The ARC-AGI-3 score: hand-worked cases, and a cross-check against the toolkit's own scorecard."""

from __future__ import annotations

import random

import pytest
from arc_agi.models import EnvironmentInfo
from arc_agi.scorecard import EnvironmentScorecard, Scorecard
from arcengine import ActionInput, FrameDataRaw, GameAction, GameState

from trainers.arc_scorecard import (
    GameScore,
    StepRecord,
    level_score,
    plays_from_steps,
    score_game,
    score_play,
    total_score,
)


def steps(*moves: tuple) -> list[StepRecord]:
    """(action, levels_completed[, state[, full_reset]]) per step."""
    return [StepRecord(*m) if len(m) > 2 else StepRecord(*m, "NOT_FINISHED") for m in moves]


def test_level_score_is_the_squared_ratio_capped_at_115():
    assert level_score(10, 10) == 100.0
    assert level_score(10, 20) == pytest.approx(25.0)
    assert level_score(10, 5) == 115.0  # twice as fast as the baseline: capped
    assert level_score(10, 0) == 0.0


def test_two_levels_weighted_by_their_index():
    # level 1: 10 actions (baseline 10) -> 100; level 2: 40 actions (baseline 20) -> 25
    play = plays_from_steps(steps(*[(1, 0)] * 9, (1, 1), *[(2, 1)] * 39, (2, 2, "WIN")))[0]
    s = score_play(play, [10, 20])
    assert s.level_actions == [10, 40]
    assert s.level_scores == pytest.approx([100.0, 25.0])
    assert s.score == pytest.approx((1 * 100 + 2 * 25) / 3)
    assert s.won


def test_score_is_capped_at_the_weighted_share_of_levels_done():
    # level 1 in 5 actions (baseline 10) -> 115; level 2 never done. (115 + 0) / 3 = 38.3 > cap 100 * 1/3
    play = plays_from_steps(steps(*[(1, 0)] * 4, (1, 1), *[(3, 1)] * 20))[0]
    s = score_play(play, [10, 20])
    assert s.level_actions == [5, 20]
    assert s.score == pytest.approx(100 / 3)


def test_level_resets_count_as_actions():
    play = plays_from_steps(steps((1, 0), (1, 0), (0, 0), (1, 0), (1, 0), (1, 0), (1, 1, "WIN")))[0]
    assert (play.actions, play.resets) == (7, 1)
    assert score_play(play, [4]).score == pytest.approx(100 * (4 / 7) ** 2)


def test_a_full_reset_starts_a_new_play_and_the_best_play_counts():
    first = [(1, 0)] * 19 + [(1, 1)] + [(2, 1)] * 3  # level 1 in 20 (baseline 10: 25 points)
    second = [(0, 0, "NOT_FINISHED", True)] + [(1, 0)] * 9 + [(1, 1)]  # level 1 in 10: 100 points
    plays = plays_from_steps(steps(*first, *second))
    assert len(plays) == 2
    game = score_game(plays, [10, 10])
    assert [p.score for p in game.plays] == pytest.approx([25 / 3, 100 / 3])
    assert game.score == pytest.approx(100 / 3)
    assert game.actions == 23 + 10  # every play's actions; the full reset itself is not one
    assert game.levels_completed == 1


def test_more_completed_levels_than_baselines_scores_zero():
    play = plays_from_steps(steps((1, 1), (1, 2)))[0]
    assert score_play(play, [5]).score == 0.0
    assert score_play(play, []).score == 0.0


def test_total_is_the_mean_over_games():
    games = [GameScore(60.0, 1, 10, None, []), GameScore(0.0, 0, 10, None, []), GameScore(30.0, 2, 5, None, [])]
    assert total_score(games) == pytest.approx(30.0)
    assert total_score([]) == 0.0


def _toolkit_score(records: list[StepRecord], baseline: list[int]) -> float:
    """The same steps through the toolkit's Scorecard and EnvironmentScorecard."""
    card = Scorecard(card_id="x")
    card.new_play("g-1", "guid")  # the episode's opening full reset
    for r in records:
        data = FrameDataRaw()
        data.game_id = "g-1"
        data.action_input = ActionInput(id=GameAction.from_id(r.action))
        data.state = GameState(r.state)
        data.levels_completed = r.levels_completed
        card.update_scorecard("guid", data, r.full_reset)
    info = EnvironmentInfo(game_id="g-1", baseline_actions=baseline)
    return EnvironmentScorecard.from_scorecard(card, [info]).environments[0].score


def _random_episode(rng: random.Random, n_levels: int) -> list[StepRecord]:
    records, levels, state = [], 0, "NOT_FINISHED"
    for _ in range(rng.randrange(1, 120)):
        roll = rng.random()
        if state == "GAME_OVER" or roll < 0.05:  # a level reset, or now and then a full one
            full = rng.random() < 0.3
            levels = 0 if full else levels
            state = "NOT_FINISHED"
            records.append(StepRecord(0, levels, state, full))
            continue
        if roll < 0.15:
            levels += 1
            state = "WIN" if levels == n_levels else "NOT_FINISHED"
        elif roll < 0.2:
            state = "GAME_OVER"
        records.append(StepRecord(rng.randrange(1, 8), levels, state))
        if state == "WIN":
            break
    return records


def test_matches_the_toolkit_scorecard_on_random_episodes():
    rng = random.Random(7)
    scored = 0
    for _ in range(60):
        baseline = [rng.randrange(1, 30) for _ in range(rng.randrange(1, 6))]
        records = _random_episode(rng, len(baseline))
        ours = score_game(plays_from_steps(records), baseline).score
        assert ours == pytest.approx(_toolkit_score(records, baseline)), records
        scored += ours > 0
    assert scored > 20  # most cases exercise the formula, not just zeros


@pytest.mark.parametrize("agent_name", ["explorer", "random"])
def test_matches_the_toolkit_scorecard_of_a_played_game(agent_name):
    """Two episodes of maze through the toolkit's wrapper: its own scorecard saw the same plays."""
    from aria_desktop.agents.evaluate import play_episode
    from aria_desktop.games.catalog import open_game
    from aria_desktop.session import AGENT, EpisodeRunner

    game = open_game("maze")
    runner = EpisodeRunner(game, 0, agent_name, controller=AGENT, keep_agent=True)  # as aria eval agent plays
    episodes = [play_episode(runner, max_actions=150)]
    runner.restart()
    episodes.append(play_episode(runner, max_actions=150))
    ours = score_game([p for e in episodes for p in plays_from_steps(e.steps)], game.meta.baseline_actions)
    toolkit = game._arcade.get_scorecard().environments[0]  # the toolkit keeps a scorecard of every play
    assert ours.score == pytest.approx(toolkit.score)
    assert ours.levels_completed == toolkit.levels_completed
    assert ours.actions == toolkit.actions
    if agent_name == "explorer":
        assert ours.score > 0
