"""Import of ARC-AGI-3 toolkit JSONL recordings: a real file written by the toolkit, an older-style file
(`score`, numeric action ids, no full_reset) and lines that are not frame records."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from arc_agi import Arcade, OperationMode
from arcengine import GameAction

sys.path.insert(0, str(Path(__file__).parent))
from test_recorder_support import write_tiny_game  # noqa: E402

from recorder import import_arc_jsonl, open_episode, verify_structure  # noqa: E402

# Level 1's goal is cell (7, 0) (display (60, 4)), level 2's is cell (6, 1) (display (52, 12)) for seed 0.
PLAY = [
    (GameAction.ACTION5, None),  # slides right: 3 animation frames
    (GameAction.ACTION6, (60, 4)),  # level 1 done
    (GameAction.ACTION1, None),
    (GameAction.RESET, None),  # a level reset: part of the play-through
    (GameAction.ACTION6, (52, 12)),  # level 2 done: WIN
    (GameAction.RESET, None),  # after a win: a full reset, the second play-through starts
    (GameAction.ACTION2, None),
    (GameAction.ACTION4, None),
]


@pytest.fixture(scope="module")
def toolkit_jsonl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[np.ndarray]]]:
    """A JSONL recording written by the ARC-AGI-3 toolkit itself, and the frames of every response."""
    root = tmp_path_factory.mktemp("toolkit")
    env = write_tiny_game(root / "env")
    logger = logging.getLogger("test.recorder.import")
    logger.propagate = False
    arcade = Arcade(operation_mode=OperationMode.OFFLINE, environments_dir=str(env), recordings_dir=str(root / "jsonl"),
                    logger=logger)
    wrapper = arcade.make("tg01-v1", seed=0, save_recording=True)
    responses = [[np.array(f) for f in wrapper._last_response.frame]]
    for action, xy in PLAY:
        result = wrapper.step(action, data={"x": xy[0], "y": xy[1]} if xy else {})
        responses.append([np.array(f) for f in result.frame])
    (path,) = list((root / "jsonl").rglob("*.jsonl"))
    return path, responses


def _check_episodes(paths: list[Path], responses: list[list[np.ndarray]]) -> None:
    assert len(paths) == 2
    with open_episode(paths[0]) as ep:
        assert ep.game == "tg01" and ep.game_version == "v1" and ep.seed is None and ep.complete
        assert ep.steps == 5 and ep.outcome == "WIN"
        assert ep.actions.tolist() == [5, 6, 1, 0, 6]
        assert ep.action_xy.tolist() == [[-1, -1], [60, 4], [-1, -1], [-1, -1], [52, 12]]
        assert ep.rewards.tolist() == [0, 1, 0, 0, 1]  # level completions preserved
        assert ep.infos["levels_completed"].tolist() == [0, 0, 1, 1, 1, 2]
        assert ep.terminations.tolist() == [False] * 4 + [True] and not ep.truncations.any()
        np.testing.assert_array_equal(ep.observations[0], responses[0][-1])
        for t in range(5):
            stored = ep.step_frames(t)
            assert len(stored) == len(responses[t + 1])
            for want, got in zip(responses[t + 1], stored):
                np.testing.assert_array_equal(want, got)
        assert ep.controllers.tolist() == [0] * 5
    with open_episode(paths[1]) as ep:
        assert ep.steps == 2 and ep.actions.tolist() == [2, 4] and ep.outcome == "NOT_FINISHED"
        assert ep.truncations.tolist() == [False, True]  # the file ends mid-game
        np.testing.assert_array_equal(ep.observations[0], responses[6][-1])
    for path in paths:
        assert verify_structure(path).ok


def test_import_a_real_toolkit_recording(toolkit_jsonl, tmp_path: Path) -> None:
    source, responses = toolkit_jsonl
    result = import_arc_jsonl([source], tmp_path / "rec", app_version="t")
    assert result.problems == []
    _check_episodes(result.episodes, responses)
    assert all(p.parent == tmp_path / "rec" / "tg01" for p in result.episodes)


def test_import_older_records_and_skip_bad_lines(toolkit_jsonl, tmp_path: Path) -> None:
    source, responses = toolkit_jsonl
    old_style = []
    for line in source.read_text().splitlines():
        record = json.loads(line)
        data = record["data"]
        data["score"] = data.pop("levels_completed")
        data.pop("full_reset")
        data["action_input"]["id"] = GameAction.from_name(data["action_input"]["id"]).value
        old_style.append(json.dumps(record))
    old_style.insert(3, "this is not json")
    old_style.insert(5, json.dumps({"timestamp": "2025-01-01T00:00:00+00:00", "data": {"game_id": "tg01-v1"}}))
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join(old_style) + "\n")
    result = import_arc_jsonl([old], tmp_path / "rec", app_version="t")
    assert len(result.problems) == 2
    assert "old.jsonl line 4 is not an ARC-AGI-3 frame record" in result.problems[0]
    assert "old.jsonl line 6" in result.problems[1] and "'frame'" in result.problems[1]
    assert all("\n" not in p for p in result.problems)
    _check_episodes(result.episodes, responses)


def test_a_file_with_no_frame_records(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"hello": 1}\n')
    result = import_arc_jsonl([junk, tmp_path / "missing.jsonl"], tmp_path / "rec", app_version="t")
    assert result.episodes == []
    assert len(result.problems) == 2 and "junk.jsonl line 1" in result.problems[0]
    assert "missing.jsonl is not a file" in result.problems[1]
