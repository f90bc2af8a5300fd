"""Export to Minari: `minari.load_dataset` opens what export_minari wrote and iterates the same episodes."""

from __future__ import annotations

import sys
from pathlib import Path

import minari  # a test-only dependency (the dev group)
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import record_episode, write_tiny_game  # noqa: E402

from aria_desktop.games.catalog import open_game  # noqa: E402
from recorder import RecordingError, export_minari, open_episode  # noqa: E402


def test_breakout_export_loads_in_minari(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    rec = tmp_path / "rec"
    game = open_game("breakout", seed=0)
    for seed, n in ((0, 12), (1, 7)):
        record_episode(game, rec, [(1, None)] + [(t % 4, None) for t in range(n - 1)], seed=seed)
    (rec / "breakout" / "broken.h5").write_text("not a recording")  # skipped, named

    result = export_minari(rec, "aria/breakout-v0")
    assert result.episodes == 2 and result.steps == 19 and len(result.skipped) == 1
    assert result.data_path == tmp_path / "minari" / "aria" / "breakout-v0" / "data"

    dataset = minari.load_dataset("aria/breakout-v0")
    assert dataset.total_episodes == 2 and dataset.total_steps == 19
    assert dataset.storage.jpeg_encoding is False
    assert dataset.observation_space.shape == (210, 160, 3) and dataset.action_space.n == 4
    sources = sorted(p for p in (rec / "breakout").glob("*.h5") if p.name != "broken.h5")
    episodes = list(dataset.iterate_episodes())
    for episode, source in zip(episodes, sources):
        with open_episode(source) as ep:
            np.testing.assert_array_equal(episode.observations, ep.observations[:])  # raw frames, bit-exact
            np.testing.assert_array_equal(episode.actions, ep.actions)
            np.testing.assert_array_equal(episode.rewards, ep.rewards)
            np.testing.assert_array_equal(episode.terminations, ep.terminations)
            np.testing.assert_array_equal(episode.infos["lives"], ep.infos["lives"])
            assert len(episode.rewards) == ep.steps and episode.id in (0, 1)
    assert sorted(len(e.rewards) for e in episodes) == [7, 12]
    batch = dataset.sample_episodes(1)
    assert batch[0].observations.dtype == np.uint8

    with pytest.raises(RecordingError, match="already exists"):
        export_minari(rec, "aria/breakout-v0")


def test_arc_export_keeps_clicks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    env = write_tiny_game(tmp_path / "env")
    rec = tmp_path / "rec"
    record_episode(open_game("tg01", env, seed=0), rec, [(5, None), (6, (60, 4)), (6, (52, 12))], seed=0)
    export_minari(rec, "tg01-v3")
    dataset = minari.load_dataset("tg01-v3")
    (episode,) = list(dataset.iterate_episodes())
    assert episode.observations.shape == (4, 64, 64)
    assert episode.actions["id"].tolist() == [5, 6, 6]
    assert episode.actions["xy"].tolist() == [[-1, -1], [60, 4], [52, 12]]
    assert episode.rewards.tolist() == [0, 1, 1] and episode.terminations.tolist() == [False, False, True]
    assert dataset.observation_space.contains(episode.observations[0])


def test_export_refuses_bad_ids_and_mixed_games(tmp_path: Path) -> None:
    env = write_tiny_game(tmp_path / "env")
    rec = tmp_path / "rec"
    record_episode(open_game("tg01", env, seed=0), rec, [(4, None)], seed=0)
    record_episode(open_game("breakout", seed=0), rec, [(1, None)], seed=0)
    with pytest.raises(RecordingError, match="not in Minari's form"):
        export_minari(rec, "no version", datasets_path=tmp_path / "m")
    with pytest.raises(RecordingError, match="several games"):
        export_minari(rec, "mixed-v0", datasets_path=tmp_path / "m")
    result = export_minari(rec, "only-v0", datasets_path=tmp_path / "m", game="tg01")
    assert result.episodes == 1
    with pytest.raises(RecordingError, match="Nothing to export"):
        export_minari(tmp_path / "empty", "e-v0", datasets_path=tmp_path / "m")
