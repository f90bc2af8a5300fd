"""Writer -> reader round trips on real games (Breakout through ALE, a tiny arcengine game)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import record_episode, write_tiny_game  # noqa: E402

from aria_desktop.games.catalog import open_game  # noqa: E402
from recorder import (  # noqa: E402
    FORMAT_VERSION,
    EpisodeWriter,
    RecordingError,
    iter_episodes,
    open_episode,
)
from recorder.format import PART_SUFFIX  # noqa: E402


@pytest.fixture
def tiny_env(tmp_path: Path) -> Path:
    return write_tiny_game(tmp_path / "env")


def test_breakout_roundtrip_keeps_every_frame_action_and_info(tmp_path: Path) -> None:
    game = open_game("breakout", seed=3)
    actions = [(1, None)] + [((i * 7) % 4, None) for i in range(40)]
    expected = [game.reset(3).copy()]
    expected_scores = [game.info["score"]]
    for a, _ in actions:
        step = game.step(a)
        expected.append(step.frame.copy())
        expected_scores.append(step.info["score"])
    w = record_episode(game, tmp_path, actions, seed=3, outcome="TRUNCATED")
    assert w.path.suffix == ".h5" and w.path.parent == tmp_path / "breakout"
    with open_episode(w.path) as ep:
        assert ep.game == "breakout" and ep.frame_kind == "rgb" and ep.complete and ep.outcome == "TRUNCATED"
        assert ep.steps == len(actions)
        assert ep.observations.shape == (len(actions) + 1, 210, 160, 3)
        np.testing.assert_array_equal(ep.observations[:], np.stack(expected))
        assert ep.actions.tolist() == [a for a, _ in actions]
        assert (ep.action_xy == -1).all() and ep.action_xy.dtype == np.int16
        assert ep.controllers.tolist() == [1] * len(actions)
        assert np.all(np.diff(ep.timestamps) >= 0) and ep.timestamps[0] == 0
        np.testing.assert_array_equal(ep.infos["score"], expected_scores)
        assert set(ep.infos) >= {"score", "lives", "levels_completed", "state"}
        assert ep.infos["lives"][0] == 5
        assert all(len(ep.step_frames(t)) == 2 for t in range(ep.steps))  # the previous emulator frame, then obs
        assert not ep.animated
        assert ep.attrs["format_version"] == FORMAT_VERSION and ep.attrs["app_version"] == "0.1.0-test"
        assert json.loads(ep.attrs["env_config"])["frameskip"] == 4
        assert ep.seed == 3 and ep.game_version.startswith("ale-py")
        assert ep.observations.compression == "gzip" and ep.observations.chunks[0] == 1


def test_arc_roundtrip_keeps_animation_frames_clicks_and_levels(tiny_env: Path, tmp_path: Path) -> None:
    game = open_game("tg01", tiny_env, seed=1)
    # slide right (3 animation frames), down, click an empty cell, click the goal (completes level 1).
    actions = [(5, None), (2, None), (6, (60, 20)), (6, (56, 8))]
    game.reset(1)
    produced = [[f.copy() for f in game.step(a, xy).frames] for a, xy in actions]
    w = record_episode(game, tmp_path / "rec", actions, seed=1)
    with open_episode(w.path) as ep:
        assert ep.frame_kind == "grid" and ep.observations.shape == (5, 64, 64)
        assert [len(ep.step_frames(t)) for t in range(ep.steps)] == [len(p) for p in produced] == [3, 1, 1, 2]
        for t, frames in enumerate(produced):
            for want, got in zip(frames, ep.step_frames(t)):
                np.testing.assert_array_equal(want, got)
            np.testing.assert_array_equal(ep.observations[t + 1], frames[-1])
        assert ep.action_xy.tolist() == [[-1, -1], [-1, -1], [60, 20], [56, 8]]
        assert ep.rewards.tolist() == [0, 0, 0, 1]
        assert ep.infos["levels_completed"].tolist() == [0, 0, 0, 0, 1]
        assert list(ep.infos["state"]) == ["NOT_FINISHED"] * 5
        assert ep.step_frame_offsets.tolist() == [0, 2, 2, 2, 3]


def test_info_keys_first_seen_mid_episode_and_unknown_scalars_are_kept(tmp_path: Path) -> None:
    w = EpisodeWriter.create(tmp_path, game="toy", frame_kind="grid", game_version="1", env_config={}, seed=None,
                             app_version="t")
    grid = np.zeros((64, 64), np.uint8)
    w.reset_frame(grid, {"score": 0, "state": "NOT_FINISHED", "nested": {"no": 1}})
    w.add_step(1, None, [grid], 0.0, False, False, {"score": 1, "state": "NOT_FINISHED", "combo": 2.5})
    w.add_step(2, None, [grid], 0.0, False, True, {"score": 2, "state": "GAME_OVER", "combo": 3.5, "flag": True})
    path = w.close("GAME_OVER")
    with open_episode(path) as ep:
        infos = ep.infos
        assert infos["score"].tolist() == [0, 1, 2]
        assert list(infos["state"]) == ["NOT_FINISHED", "NOT_FINISHED", "GAME_OVER"]
        assert np.isnan(infos["combo"][0]) and infos["combo"][1:].tolist() == [2.5, 3.5]
        assert infos["flag"].tolist() == [False, False, True]
        assert "nested" not in infos  # not a scalar
        assert ep.seed is None and ep.truncations.tolist() == [False, True]


def test_writer_refuses_misuse_with_sentences(tmp_path: Path) -> None:
    w = EpisodeWriter.create(tmp_path, game="toy", frame_kind="grid", game_version="1", env_config={}, seed=0,
                             app_version="t")
    grid = np.zeros((64, 64), np.uint8)
    with pytest.raises(RecordingError, match="before reset_frame"):
        w.add_step(1, None, [grid], 0.0, False, False, {})
    w.reset_frame(grid, {})
    with pytest.raises(RecordingError, match="differs from the episode"):
        w.add_step(1, None, [np.zeros((32, 32), np.uint8)], 0.0, False, False, {})
    with pytest.raises(RecordingError, match="at least one frame"):
        w.add_step(1, None, [], 0.0, False, False, {})
    with pytest.raises(RecordingError, match="Frame kind"):
        EpisodeWriter.create(tmp_path, game="toy", frame_kind="rgba", game_version="1", env_config={}, seed=0,
                             app_version="t")
    assert w.path.name.endswith(PART_SUFFIX) and w.path.exists()
    w.discard()
    assert not w.path.exists() and not list(tmp_path.rglob("*.h5*"))


def test_close_is_atomic_and_idempotent(tmp_path: Path) -> None:
    game = open_game("breakout", seed=0)
    w = record_episode(game, tmp_path, [(1, None)] * 5, close=False)
    part = w.path
    assert part.exists() and part.name.endswith(PART_SUFFIX)
    final = w.close("X")
    assert final == w.close("Y") and not part.exists() and final.exists()
    with h5py.File(final) as f:
        assert f.attrs["outcome"] == "X" and bool(f.attrs["complete"]) and f.attrs["steps"] == 5


def test_a_part_file_is_readable_while_the_episode_is_still_being_written(tmp_path: Path) -> None:
    game = open_game("breakout", seed=0)
    w = record_episode(game, tmp_path, [(1, None)] * 8, close=False)
    w.flush()
    assert w.flushed_steps == 8
    with h5py.File(w.path, "r", swmr=True) as f:  # what a crash right now would leave behind
        assert f["observations"].shape[0] == 9 and f["actions"].shape[0] == 8
    w.close("DONE")


def test_iter_episodes_summarises_each_file(tiny_env: Path, tmp_path: Path) -> None:
    out = tmp_path / "rec"
    record_episode(open_game("tg01", tiny_env, seed=0), out, [(4, None)] * 3, seed=0)
    record_episode(open_game("breakout", seed=0), out, [(1, None)] * 4, seed=0)
    items = list(iter_episodes(out))
    assert sorted((s.game, s.steps) for s in items) == [("breakout", 4), ("tg01", 3)]
    assert all(s.controller_mix == "agent" and s.size_bytes > 0 and s.complete for s in items)


def test_playthrough_attributes_round_trip_and_default_to_the_episode_itself(tmp_path):
    from recorder import PlayThrough, open_episode

    def write(playthrough):
        w = EpisodeWriter.create(tmp_path, game="toy", frame_kind="grid", game_version="1", env_config={}, seed=0,
                                 app_version="t", playthrough=playthrough)
        w.reset_frame(np.zeros((64, 64), np.uint8))
        w.add_step(1, None, [np.ones((64, 64), np.uint8)], reward=0.0, terminated=True, truncated=False)
        return w.close("GAME_OVER")

    alone = write(None)
    second = write(PlayThrough("pt-1", index=1, start_level=2))
    with open_episode(alone) as ep:
        assert ep.playthrough == PlayThrough(alone.name.split(".")[0], 0, 0)
    with open_episode(second) as ep:
        assert ep.playthrough == PlayThrough("pt-1", 1, 2)
