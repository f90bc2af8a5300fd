"""Replay verification: re-running the recorded seed and actions reproduces every frame, and a tampered
frame (an observation, or an ARC animation frame) is found and named."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import record_episode, write_tiny_game  # noqa: E402

from aria_desktop.cli.recordings import replay_episode  # noqa: E402
from aria_desktop.errors import AriaError  # noqa: E402
from aria_desktop.games.catalog import open_game  # noqa: E402
from recorder import verify_structure  # noqa: E402

ARC_ACTIONS = [(5, None), (2, None), (5, None), (6, (60, 20)), (6, (56, 24))]


@pytest.fixture
def arc_episode(tmp_path: Path) -> tuple[Path, Path]:
    env = write_tiny_game(tmp_path / "env")
    return record_episode(open_game("tg01", env, seed=2), tmp_path / "rec", ARC_ACTIONS, seed=2).path, env


def test_arc_replay_matches_every_frame(arc_episode) -> None:
    path, env = arc_episode
    assert verify_structure(path).ok
    assert replay_episode(path, env) == []
    assert replay_episode(path) == []  # the recorded environments folder is used when it still exists


def test_tampered_animation_frame_is_found(arc_episode) -> None:
    path, env = arc_episode
    with h5py.File(path, "r+") as f:
        offsets = f["step_frame_offsets"][:]
        assert offsets[1] == 2  # step 0 (ACTION5) stored 2 animation frames before its observation
        frame = f["step_frames"][1]
        frame[10, 10] = (frame[10, 10] + 1) % 16
        f["step_frames"][1] = frame
    assert verify_structure(path).ok  # still a sound file: only the replay can tell
    problems = replay_episode(path, env)
    assert len(problems) == 1 and "step 0 frame 2 of 3 does not match the replay (1 pixels differ)" in problems[0]


def test_tampered_breakout_observation_is_found(tmp_path: Path) -> None:
    actions = [(1, None)] + [(t % 4, None) for t in range(30)]
    path = record_episode(open_game("breakout", seed=4), tmp_path, actions, seed=4).path
    assert replay_episode(path) == []
    with h5py.File(path, "r+") as f:
        frame = f["observations"][20]
        frame[100:102, 50] = 255 - frame[100:102, 50]
        f["observations"][20] = frame
    problems = replay_episode(path)
    assert len(problems) == 1 and "step 19 frame 2 of 2 does not match the replay (2 pixels differ)" in problems[0]


def test_replay_with_another_seed_is_caught(arc_episode) -> None:
    path, env = arc_episode
    with h5py.File(path, "r+") as f:
        f.attrs["seed"] = 3  # the goal sits elsewhere with seed 3
    problems = replay_episode(path, env)
    assert len(problems) == 1 and "does not match the replay" in problems[0]


def test_an_episode_after_a_game_over_replays_through_its_playthrough(tmp_path: Path) -> None:
    """tile (built in) has a move budget: the solver clears level 1, wild clicks lose level 2 (GAME_OVER); the
    next episode starts from the level reset, on level 2, and replays only after the first one."""
    import random

    from aria_desktop.session import AGENT, EpisodeRunner, RecordingSession
    from recorder import open_episode

    game = open_game("tile", seed=3)
    runner = EpisodeRunner(game, 3, "scripted", RecordingSession(tmp_path / "rec"), AGENT)
    while game.info["levels_completed"] < 1:
        runner.agent_step()
    runner.take_over()
    rng = random.Random(0)
    while not runner.episode.done:
        runner.step(6, (rng.randrange(64), rng.randrange(64)))
    assert runner.episode.outcome == "GAME_OVER"
    runner.next_episode()
    for _ in range(3):
        runner.step(6, (rng.randrange(64), rng.randrange(64)))
    runner.close()
    game.close()
    files = {}
    for path in (tmp_path / "rec" / "tile").glob("*.h5"):
        with open_episode(path) as ep:
            files[ep.playthrough.index] = path, ep.playthrough.start_level
    assert sorted(files) == [0, 1] and files[1][1] == 1
    assert replay_episode(files[0][0]) == [] and replay_episode(files[1][0]) == []
    files[0][0].rename(tmp_path / "elsewhere.h5")  # without the play-through's first episode it cannot be replayed
    with pytest.raises(AriaError, match="episode 0 is not in .*keep a play-through's episodes together"):
        replay_episode(files[1][0])
