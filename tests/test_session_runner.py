"""The episode runner, below the app: seeds, take-over labels, recording, outcomes and ARC play-throughs.

`toyw` (conftest): level 1's goal is three steps right; on level 2 a step right is lava (GAME_OVER),
two steps down is the goal (WIN).
"""

from __future__ import annotations

import numpy as np
import pytest

from aria_desktop.agents import Agent, Choice
from aria_desktop.errors import AriaError
from aria_desktop.games.arc import ArcGame
from aria_desktop.games.catalog import open_game
from aria_desktop.session import AGENT, HUMAN, EpisodeRunner, EpisodeSaved, Notice, RecordingSession
from recorder import iter_episodes, open_episode

RIGHT, DOWN = 4, 2


def _files(out) -> list:
    """Episode summaries in the order they were played (files of one second sort by a random id)."""
    def order(summary):
        with open_episode(summary.path) as ep:
            return ep.attrs["created"], ep.playthrough.index

    return sorted(iter_episodes(out), key=order)


def test_playthrough_k_uses_seed_plus_k_for_the_game_and_the_agent(tmp_path):
    game = open_game("maze", seed=7)
    runner = EpisodeRunner(game, 7, "random", RecordingSession(tmp_path), AGENT, max_steps=3)
    actions = []
    for _ in range(3):
        steps = [runner.agent_step() for _ in range(3)]
        assert steps[-1].outcome == "TRUNCATED" and steps[-1].step.truncated
        actions.append([s.action for s in steps])
        runner.next_episode()
    runner.close()
    game.close()
    seeds = []
    for summary in _files(tmp_path)[:3]:
        with open_episode(summary.path) as ep:
            seeds.append(ep.seed)
            assert ep.playthrough.index == 0 and ep.outcome == "TRUNCATED"
    assert sorted(seeds) == [7, 8, 9]
    # The agent of play-through 2 is seeded with 9: it plays like a fresh runner's first play-through from 9.
    fresh = open_game("maze", seed=9)
    alone = EpisodeRunner(fresh, 9, "random", controller=AGENT)
    assert [alone.agent_step().action for _ in range(3)] == actions[2]
    fresh.close()


def test_every_step_is_labelled_with_who_played_it(tmp_path, arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, "random", RecordingSession(tmp_path))
    assert runner.controller == HUMAN and runner.agent is None  # the agent is made when it is first needed
    runner.step(DOWN)
    assert runner.take_over() == AGENT
    runner.agent_step()
    runner.agent_step(wait=5.0)  # through the worker thread
    assert runner.take_over() == HUMAN
    runner.step(DOWN)
    assert runner.episode.steps_by == [2, 2]
    runner.close()
    game.close()
    (summary,) = _files(tmp_path)
    with open_episode(summary.path) as ep:
        np.testing.assert_array_equal(ep.controllers, [HUMAN, AGENT, AGENT, HUMAN])
        assert ep.outcome == "QUIT"


def test_a_win_ends_the_episode_and_the_next_one_is_a_new_playthrough(tmp_path, arc_env_dir):
    game = open_game("toyw", arc_env_dir, seed=3)
    runner = EpisodeRunner(game, 3, recording=RecordingSession(tmp_path))
    first = runner.episode.playthrough
    results = [runner.step(a) for a in (RIGHT, RIGHT, RIGHT, DOWN, DOWN)]
    assert [r.outcome for r in results] == [None] * 4 + ["WIN"]
    with pytest.raises(AriaError, match="episode is over"):
        runner.step(DOWN)
    second = runner.next_episode()
    assert second.seed == 4 and second.playthrough.index == 0 and second.playthrough.id != first.id
    assert game.info["levels_completed"] == 0  # a fresh game
    saved = [e for e in runner.drain() if isinstance(e, EpisodeSaved)]
    runner.close()
    game.close()
    assert len(saved) == 1
    with open_episode(saved[0].path) as ep:
        assert ep.outcome == "WIN" and ep.terminations[-1] and ep.steps == 5 and ep.rewards.sum() == 2


def test_after_a_game_over_the_playthrough_goes_on_from_the_level_reset(tmp_path, arc_env_dir):
    game = open_game("toyw", arc_env_dir, seed=2)
    runner = EpisodeRunner(game, 2, recording=RecordingSession(tmp_path))
    for a in (RIGHT, RIGHT, RIGHT):
        runner.step(a)
    level_two = game.frame.copy()
    assert runner.step(RIGHT).outcome == "GAME_OVER"  # lava
    assert runner.continues_playthrough()
    first = runner.episode
    second = runner.next_episode()
    assert second.playthrough.id == first.playthrough.id and second.playthrough.index == 1
    assert second.playthrough.start_level == 1 and second.seed == 2
    np.testing.assert_array_equal(game.frame, level_two)  # the level was reset, the progress kept
    assert runner.step(DOWN).outcome is None and runner.step(DOWN).outcome == "WIN"
    runner.close()
    game.close()
    first_file, second_file = (s.path for s in _files(tmp_path))
    with open_episode(first_file) as a, open_episode(second_file) as b:
        assert a.outcome == "GAME_OVER" and a.steps == 4 and a.playthrough.index == 0
        assert b.playthrough == second.playthrough and b.outcome == "WIN" and b.steps == 2
        assert a.playthrough.id == first_file.name.split(".")[0]  # a play-through is named after its first file
        np.testing.assert_array_equal(b.observations[0], level_two)


def test_breakout_has_no_level_reset_so_every_game_over_is_a_new_playthrough(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game)
    for a in (RIGHT, RIGHT, RIGHT, RIGHT):
        runner.step(a)
    assert runner.episode.outcome == "GAME_OVER" and runner.continues_playthrough()
    game.close()
    breakout = open_game("breakout")
    runner = EpisodeRunner(breakout)
    runner.episode.outcome = "GAME_OVER"  # what a lost last life reports
    assert not runner.continues_playthrough()
    assert runner.next_episode().playthrough.index == 0 and runner.playthroughs == 2
    breakout.close()


def test_an_arc_game_is_built_once_when_a_runner_starts(arc_env_dir, monkeypatch):
    builds = []
    make = ArcGame._make
    monkeypatch.setattr(ArcGame, "_make", lambda self, seed: (builds.append(seed), make(self, seed))[1])
    game = open_game("toyw", arc_env_dir, seed=4)
    runner = EpisodeRunner(game, 4, "random", controller=AGENT)
    runner.agent_step()
    assert builds == [4]
    runner.restart()  # a new play-through resets (builds) the game with the next seed
    assert builds == [4, 5]
    game.close()


def test_a_failing_agent_hands_control_back_with_a_notice(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, "random", controller=AGENT)

    def broken(_game):
        raise ValueError("agent exploded")

    runner.agent.act = broken
    assert runner.agent_step(wait=5.0) is None
    assert runner.controller == HUMAN
    (notice,) = runner.drain()
    assert isinstance(notice, Notice) and notice.error and "agent exploded" in notice.sentence
    game.close()


def test_a_missing_agent_is_an_error_unless_a_fallback_is_named(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    with pytest.raises(AriaError, match="no scripted agent"):
        EpisodeRunner(game, 0, "scripted", controller=AGENT)
    runner = EpisodeRunner(game, 0, "scripted", controller=AGENT, fallback_agent="random")
    assert runner.agent_name == "random" and "no scripted agent" in runner.drain()[0].sentence
    game.close()


def test_a_recording_problem_is_a_notice_and_play_goes_on(tmp_path, arc_env_dir):
    blocked = tmp_path / "recordings"
    blocked.write_text("a file where the folder should be")
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, recording=RecordingSession(blocked))
    (notice,) = runner.drain()
    assert isinstance(notice, Notice) and notice.error and str(blocked) in notice.sentence
    assert runner.step(RIGHT).outcome is None and not runner.recording.enabled
    runner.close()
    game.close()


def test_the_person_never_steps_the_game_while_the_agent_still_reads_it(arc_env_dir):
    import time

    from aria_desktop.agents import Agent, Choice

    log: list[str] = []

    class SlowAgent(Agent):
        def act(self, game):
            time.sleep(0.3)
            log.append("agent read the game")
            return Choice(DOWN)

    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, "random", controller=AGENT)
    runner.agent = SlowAgent()
    assert runner.agent_step(wait=0.0) is None  # thinking on the worker thread
    runner.take_over()  # the person takes control at once
    step = game.step
    game.step = lambda *args: (log.append("game stepped"), step(*args))[1]
    runner.step(RIGHT)
    assert log == ["agent read the game", "game stepped"] and runner.episode.steps_by == [1, 0]
    game.close()


class PlannedAgent(Agent):
    """Plays a fixed plan and notes every state it was shown and every reset."""

    def __init__(self, plan: list[int]) -> None:
        self.plan, self.shown, self.resets = list(plan), [], 0

    def reset(self, game) -> None:
        self.resets += 1

    def act(self, game) -> Choice:
        self.shown.append(game.info["state"])
        return Choice(self.plan.pop(0) if self.plan else 1)


def test_an_agent_in_control_sees_the_game_over_before_the_level_reset(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, "random", controller=AGENT)
    runner.agent = agent = PlannedAgent([RIGHT] * 4)  # level 1's goal, then level 2's lava
    for _ in range(4):
        runner.agent_step()
    assert runner.episode.outcome == "GAME_OVER" and agent.shown == ["NOT_FINISHED"] * 4
    runner.next_episode()
    assert agent.shown[-1] == "GAME_OVER" and agent.resets == 0  # it answered the frame: no reset behind its back
    assert game.info["state"] == "NOT_FINISHED" and game.info["levels_completed"] == 1
    runner.take_over()  # the person loses next: the agent did not see it, so it starts afresh
    runner.step(RIGHT, controller=HUMAN)
    runner.next_episode()
    assert len(agent.shown) == 5 and agent.resets == 1
    game.close()


def test_keep_agent_plays_every_playthrough_with_one_agent_and_use_agent_switches(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    runner = EpisodeRunner(game, 0, "random", controller=AGENT, keep_agent=True)
    first = runner.agent
    runner.agent_step()
    runner.restart()
    assert runner.agent is first and runner.episode.seed == 1
    assert runner.use_agent("explorer") is runner.agent and runner.agent_name == "explorer"
    assert runner.controller == AGENT
    with pytest.raises(AriaError, match="Unknown agent 'genius'"):
        runner.use_agent("genius")
    assert runner.agent is None and runner.controller == HUMAN  # the person has control
    game.close()
