"""Breakout keeps each step's previous emulator frame for the max-pool preprocessing, without changing the recording."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from atari_support import (
    one_thread,  # noqa: F401 - the fixture, used by pytestmark
    record_breakout,
)

from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame
from models.atari_frames import from_model, preprocess, psnr, to_model
from recorder import open_episode, replay
from trainers.atari_data import find_breakout, load_episode

pytestmark = pytest.mark.usefixtures("one_thread")


def test_preprocess_max_pools_then_resizes() -> None:
    a = np.zeros((210, 160, 3), np.uint8)
    b = np.zeros((210, 160, 3), np.uint8)
    a[100:110, 40:50] = 200  # an object drawn only on the earlier emulator frame
    out = preprocess(b, a)
    assert out.shape == (84, 64, 3) and out.dtype == np.uint8
    assert out[42, 18].max() > 150 and preprocess(b).max() == 0
    batch = preprocess(np.stack([a, b]), np.stack([b, b]))
    assert batch.shape == (2, 84, 64, 3) and np.array_equal(batch[0], preprocess(a))
    x = to_model(out)
    assert x.shape == (3, 84, 64) and float(x.min()) >= -1 and float(x.max()) <= 1
    assert np.array_equal(from_model(x), out) and psnr(out, out) == float("inf")


def test_previous_frame_option_keeps_observations_and_replays(tmp_path: Path) -> None:
    plain, keeping = BreakoutGame(BreakoutConfig(record_previous_frame=False)), BreakoutGame()  # kept by default
    assert np.array_equal(plain.reset(5), keeping.reset(5))
    differ = 0
    for t in range(60):
        a = 1 if t % 15 == 0 else (t // 3) % 4
        s1, s2 = plain.step(a), keeping.step(a)
        assert len(s1.frames) == 1 and len(s2.frames) == 2
        assert np.array_equal(s1.frame, s2.frame) and s1.reward == s2.reward and s1.info == s2.info
        differ += int(not np.array_equal(s2.frames[0], s2.frames[1]))
    assert differ > 0  # the previous emulator frame is a different frame, not a copy
    plain.close()
    keeping.close()

    path = record_breakout(tmp_path, episodes=1, steps=25)[0]
    with open_episode(path) as ep:
        assert ep.env_config["record_previous_frame"] is True
        assert list(np.diff(ep.step_frame_offsets)) == [1] * ep.steps
        game = BreakoutGame(BreakoutConfig.from_recorded(ep.env_config))
        assert replay(ep, game.reset, lambda a, xy: game.step(a, xy).frames) == []
        loaded = load_episode(find_breakout([tmp_path])[0][0])
        t = 7
        assert np.array_equal(loaded.frames[t + 1], preprocess(ep.observations[t + 1], ep.step_frames(t)[0]))
        game.close()


def test_recordings_without_previous_frames_still_load_and_replay(tmp_path: Path) -> None:
    path = record_breakout(tmp_path, episodes=1, steps=12, previous_frame=False)[0]
    with open_episode(path) as ep:
        config = {k: v for k, v in ep.env_config.items() if k != "record_previous_frame"}  # as written before
        game = BreakoutGame(BreakoutConfig.from_recorded(config))
        assert replay(ep, game.reset, lambda a, xy: game.step(a, xy).frames) == []
        loaded = load_episode(find_breakout([tmp_path])[0][0])
        assert np.array_equal(loaded.frames[5], preprocess(ep.observations[5]))  # the frame alone
        assert loaded.weights.tolist() == [5.0] * ep.steps  # the test's first episode is 'human'
        game.close()
