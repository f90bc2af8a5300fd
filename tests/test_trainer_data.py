"""Dataset helpers: the episode split and the human weighting."""

from __future__ import annotations

from pathlib import Path

from trainers.data import EpisodeRef, split_episodes, step_weights


def test_episode_split_is_deterministic_and_by_episode(tmp_path: Path) -> None:
    refs = [EpisodeRef(tmp_path / f"ep{i:02d}.h5", "breakout", 10, 0) for i in range(30)]
    train, val = split_episodes(refs)
    assert len(val) == 3 and len(train) == 27 and not {e.path for e in train} & {e.path for e in val}
    assert split_episodes(list(reversed(refs)))[1] == sorted(val, key=lambda e: -int(e.path.stem[2:]))
    assert split_episodes(refs[:1]) == (refs[:1], []) and len(split_episodes(refs[:2])[1]) == 1
    assert step_weights([0, 1, 1, 0]).tolist() == [5.0, 1.0, 1.0, 5.0]
