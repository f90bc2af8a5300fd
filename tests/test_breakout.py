"""Breakout through the real ALE: frames, actions, info, determinism, and the scripted agent against random play."""

from __future__ import annotations

import random

import numpy as np
import pytest

from aria_desktop.agents import make_agent
from aria_desktop.agents.breakout_agent import (
    FIRE,
    LEFT,
    NOOP,
    RIGHT,
    BallState,
    BreakoutAgent,
    BreakoutAgentConfig,
)
from aria_desktop.errors import AriaError
from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame
from aria_desktop.games.game import FrameKind, Game

SEEDS = (0, 1, 2)
EPISODE_CAP = 1500  # steps; the scripted agent needs about 1 ms a step
MIN_SCRIPTED_MEAN = 100.0  # points: a wall row and more, where random play scores a point or two


@pytest.fixture
def game():
    g = BreakoutGame()
    yield g
    g.close()


def _actions(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice((NOOP, FIRE, RIGHT, LEFT)) for _ in range(n)]


def _play_frames(config: BreakoutConfig, seed: int, actions: list[int]) -> np.ndarray:
    g = BreakoutGame(config)
    try:
        frames = [g.reset(seed=seed)]
        frames += [g.step(a).frame for a in actions]
        return np.stack(frames)
    finally:
        g.close()


def _ball_in_frame(frame: np.ndarray) -> tuple[int, int] | None:
    """Top-left pixel of the ball while it is between the bricks and the paddle, found in the frame alone."""
    region = frame[94:188, 8:152].any(axis=-1)
    ys, xs = np.nonzero(region)
    return (int(xs.min()) + 8, int(ys.min()) + 94) if len(xs) else None


# --- the game ---------------------------------------------------------------------------------------


def test_frames_are_raw_210x160_rgb(game):
    first = game.reset(seed=0)
    assert game.frame_kind is FrameKind.RGB
    assert first.shape == (210, 160, 3) and first.dtype == np.uint8
    step = game.step(FIRE)
    assert len(step.frames) == 2  # the previous emulator frame, kept for the models' max-pool, then the observation
    assert step.frames[0].shape == (210, 160, 3) and not game.animated
    assert step.frame.shape == (210, 160, 3) and step.frame.dtype == np.uint8
    assert game.frame is step.frame
    assert first.any() and not np.array_equal(first, step.frame)  # the ball appeared


def test_action_set_is_noop_fire_right_left(game):
    assert [(a.index, a.name) for a in game.actions] == [(0, "NOOP"), (1, "FIRE"), (2, "RIGHT"), (3, "LEFT")]
    assert not any(a.needs_xy or a.resets for a in game.actions)
    game.reset(seed=0)
    with pytest.raises(AriaError, match="Action 4 is not available"):
        game.step(4)


def test_info_tracks_score_and_lives(game):
    game.reset(seed=0)
    assert game.info["score"] == 0.0 and game.info["lives"] == 5
    total, lives_seen = 0.0, []
    for t, action in enumerate(_actions(3, 400), start=1):  # random play: a few points and lost balls
        step = game.step(action)
        total += step.reward
        lives_seen.append(step.info["lives"])
        assert step.info["score"] == total
        if step.terminated:  # the game can end part-way through a step's four frames
            assert step.info["state"] == "GAME_OVER" and step.info["lives"] == 0
            break
        assert step.info["frame_number"] == 4 * t  # frameskip 4
    assert total > 0 and lives_seen[-1] < 5
    assert all(b <= a for a, b in zip(lives_seen, lives_seen[1:]))  # lives only go down


def test_same_seed_and_actions_give_identical_frames():
    actions = _actions(7, 300)
    a = _play_frames(BreakoutConfig(), 11, actions)
    b = _play_frames(BreakoutConfig(), 11, actions)
    assert np.array_equal(a, b)


def test_without_sticky_actions_the_seed_changes_nothing():
    """ALE Breakout has no randomness of its own: with sticky actions off (the default), only the actions
    decide the frames, so two seeds replay alike. Recordings store the seed all the same."""
    assert BreakoutConfig().repeat_action_probability == 0.0
    actions = _actions(7, 300)
    assert np.array_equal(_play_frames(BreakoutConfig(), 0, actions), _play_frames(BreakoutConfig(), 123, actions))


def test_sticky_actions_follow_the_seed():
    sticky = BreakoutConfig(repeat_action_probability=0.25)
    actions = _actions(7, 300)
    a = _play_frames(sticky, 0, actions)
    assert np.array_equal(a, _play_frames(sticky, 0, actions))
    assert not np.array_equal(a, _play_frames(sticky, 1, actions))


# --- the scripted agent's reading of the game ---------------------------------------------------------


def test_agent_reads_the_ball_where_the_frame_shows_it(game):
    game.reset(seed=0)
    agent = BreakoutAgent()
    agent.reset(game)
    compared = matched = 0
    for _ in range(600):
        step = game.step(agent.act(game).action)
        seen = _ball_in_frame(step.frame)
        ball = agent.read_ball(game.ale.getRAM())
        if seen is None or ball is None:
            continue
        compared += 1
        matched += (round(ball.x), round(ball.y)) == seen
    assert compared > 100
    assert matched / compared > 0.95


def test_paddle_model_matches_the_emulator(game):
    """The planner's paddle model, run from the RAM for one step of each move, lands where the game puts
    the paddle."""
    game.reset(seed=0)
    agent = BreakoutAgent()
    errors = []
    for action in _actions(5, 300):
        ram = game.ale.getRAM()
        drawn = int(ram[agent.ram.paddle_x]) + agent.ram.paddle_x_offset
        target = float(agent.ram.pot_offset - int(ram[agent.ram.paddle_pot]))
        push = {RIGHT: 1, LEFT: -1}.get(action, 0)
        for _ in range(agent.cfg.frameskip):
            drawn, target = agent._paddle_frame(drawn, target, push)
        if game.step(action).terminated:  # the game may stop part-way through the step
            break
        errors.append(abs(drawn - (int(game.ale.getRAM()[agent.ram.paddle_x]) + agent.ram.paddle_x_offset)))
    assert len(errors) > 100
    assert np.mean(errors) < 1.0
    assert max(errors) <= 3


def test_prediction_bounces_off_the_walls():
    agent = BreakoutAgent()
    no_bricks = np.zeros((6, 18), dtype=bool)
    # 2 px left and 2 px down a frame from (20, 150): at frame 7 the ball is at x = 6, past the left wall
    # (x = 8), and turns; it reaches the paddle's rows (y = 186) at frame 18, at x = 6 + 11 * 2 = 28.
    contact = agent.predict(BallState(x=20, y=150, dx=-1, dy=1, speed_x=512, speed_y=512), no_bricks)
    assert contact is not None
    assert (contact.frame, contact.x) == (18, 28)
    # Going up under a full wall, the ball comes back down from the lowest brick row instead of the ceiling.
    full = np.ones((6, 18), dtype=bool)
    from_wall = agent.predict(BallState(x=80, y=150, dx=0, dy=-1, speed_x=0, speed_y=512), full)
    from_ceiling = agent.predict(BallState(x=80, y=150, dx=0, dy=-1, speed_x=0, speed_y=512), no_bricks)
    assert from_wall is not None and from_ceiling is not None
    assert from_wall.frame < from_ceiling.frame


# --- the scripted agent playing -----------------------------------------------------------------------


def _episode(game: Game, agent_name: str, seed: int, cap: int) -> tuple[float, list[int]]:
    """One episode from `seed` (the scripted agent opens with a seeded few random moves, so seeds differ):
    its score and actions."""
    game.reset(seed=seed)
    agent = make_agent(agent_name, game, seed)
    agent.reset(game)
    actions = []
    for _ in range(cap):
        actions.append(agent.act(game).action)
        step = game.step(actions[-1])
        if step.terminated or step.truncated:
            break
    return game.info["score"], actions


def _episode_score(game: Game, agent_name: str, seed: int, cap: int) -> float:
    return _episode(game, agent_name, seed, cap)[0]


def test_scripted_episodes_differ_by_seed_and_repeat_for_the_same_seed(game):
    a = _episode(game, "scripted", 3, 300)[1]
    b = _episode(game, "scripted", 4, 300)[1]
    assert a == _episode(game, "scripted", 3, 300)[1]
    assert a != b


def test_make_agent_gives_the_breakout_tracker(game):
    assert isinstance(make_agent("scripted", game), BreakoutAgent)


def test_scripted_agent_launches_and_reports_its_plan(game):
    game.reset(seed=0)
    agent = BreakoutAgent(BreakoutAgentConfig(opening_max=0))
    agent.reset(game)
    assert agent.act(game).action == FIRE
    assert any("FIRE" in line for line in agent.report())
    game.step(FIRE)
    said = {}
    for _ in range(60):
        action = agent.act(game).action
        said.setdefault(action, agent.report()[-1])
        if len(said) == 1:
            lines = agent.report()
        game.step(action)
    assert lines[0].startswith("ball at (") and "moving" in lines[0]
    assert any("intercept at x=" in line for line in lines)
    assert said[NOOP] == "next: NOOP (the paddle stays)"  # the no-op by its name, not "moving HOLD"
    assert {said[a] for a in said if a != NOOP} <= {"next: LEFT", "next: RIGHT"}


def test_scripted_agent_scores_far_above_random(game):
    scripted = [_episode_score(game, "scripted", seed, EPISODE_CAP) for seed in SEEDS]
    randoms = [_episode_score(game, "random", seed, EPISODE_CAP) for seed in SEEDS]
    assert np.mean(scripted) >= MIN_SCRIPTED_MEAN, scripted
    assert np.mean(scripted) >= 3 * np.mean(randoms), (scripted, randoms)
    assert min(scripted) > max(randoms)


def test_scripted_agent_takes_over_mid_episode(game):
    """A person plays, the agent takes over, the person plays again and hands back: the agent must keep
    scoring from whatever state it is handed (ball in flight, ball lost, paddle anywhere)."""
    game.reset(seed=4)
    agent = make_agent("scripted", game)
    agent.reset(game)
    person = make_agent("random", game, 4)
    scores = []
    for _turn in range(3):
        for _ in range(37):  # the person: FIREs, moves the paddle, may lose a ball
            game.step(person.act(game).action)
        before = game.info["score"]
        for _ in range(400):
            step = game.step(agent.act(game).action)
            if step.terminated:
                break
        scores.append(game.info["score"] - before)
        if step.terminated:
            break
    assert len(scores) == 3
    assert all(gain >= 10 for gain in scores), scores


class _GridGame(Game):
    """A stand-in for a non-Atari game: just enough of the interface for the agent to refuse it."""

    id = "grid-stand-in"

    @property
    def actions(self):
        return []

    def reset(self, seed=None):
        return np.zeros((64, 64), dtype=np.uint8)

    def step(self, action, xy=None):
        raise NotImplementedError

    def config(self):
        return {}

    @property
    def frame(self):
        return np.zeros((64, 64), dtype=np.uint8)

    @property
    def info(self):
        return {}


def test_scripted_breakout_agent_refuses_other_games_in_one_sentence():
    with pytest.raises(AriaError, match="cannot play 'grid-stand-in'"):
        BreakoutAgent().act(_GridGame())


def test_a_recorded_configuration_reopens_the_same_game():
    from aria_desktop.games.catalog import open_game

    recorded = BreakoutGame(BreakoutConfig(frameskip=2)).config()
    game = open_game("breakout", config=recorded)  # the extra keys (game, ale_py) are not settings
    assert game.cfg.frameskip == 2 and game.native_fps == 30.0 and game.config() == recorded
    game.close()
