"""Import of ARC-AGI-3 toolkit JSONL recordings: a real file written by the toolkit, an older-style file
(`score`, numeric action ids, no full_reset) and lines that are not frame records."""

from __future__ import annotations

import gzip
import json
import logging
import sys
from datetime import UTC, datetime
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


# -- the play-through rule: GAME_OVER -> level RESET -> more play ------------------------------------------
# tg02 is tg01 where ACTION3 (left) at the left edge loses the game.
LOSE_SOURCE_PATCH = (
    "        elif a in (1, 2, 3, 4):",
    "        elif a == 3 and self.current_level.get_sprites_by_name('player')[0].x == 0:\n"
    "            self.lose()\n"
    "        elif a in (1, 2, 3, 4):",
)
GAME_OVER_PLAY = [
    (GameAction.ACTION6, (60, 4)),  # level 1 done
    (GameAction.ACTION3, None),  # GAME_OVER on level 2: episode 0 ends
    (GameAction.RESET, None),  # level reset: episode 1 of the same play-through, starting with 1 level done
    (GameAction.ACTION4, None),
    (GameAction.ACTION3, None),
    (GameAction.ACTION3, None),  # GAME_OVER again: episode 1 ends
    (GameAction.RESET, None),  # episode 2
    (GameAction.ACTION6, (52, 12)),  # WIN
    (GameAction.RESET, None),  # after a win: a full reset, a new play-through
    (GameAction.ACTION2, None),  # the file ends mid-game
]


def _write_losing_game(env: Path) -> Path:
    write_tiny_game(env, "tg02")
    source = env / "tg02" / "v1" / "tg02.py"
    text = source.read_text().replace("Tg01", "Tg02").replace('"tg01"', '"tg02"')
    source.write_text(text.replace(*LOSE_SOURCE_PATCH))
    return env


def _toolkit_recording(root: Path, game_id: str, play: list) -> Path:
    logger = logging.getLogger("test.recorder.import")
    logger.propagate = False
    arcade = Arcade(operation_mode=OperationMode.OFFLINE, environments_dir=str(root / "env"),
                    recordings_dir=str(root / "jsonl"), logger=logger)
    wrapper = arcade.make(game_id, seed=0, save_recording=True)
    for action, xy in play:
        wrapper.step(action, data={"x": xy[0], "y": xy[1]} if xy else {})
    (path,) = list((root / "jsonl").rglob("*.jsonl"))
    return path


@pytest.fixture(scope="module")
def game_over_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gameover")
    _write_losing_game(root / "env")
    return _toolkit_recording(root, "tg02-v1", GAME_OVER_PLAY)


def _episode_rows(paths: list[Path]) -> list[tuple]:
    """(play-through, actions, outcome, created, path) of each episode, in the order given."""
    rows = []
    for path in paths:
        with open_episode(path) as ep:
            rows.append((ep.playthrough, ep.actions.tolist(), ep.outcome, ep.attrs["created"], path))
    return rows


def test_game_over_then_reset_continues_the_play_through(game_over_jsonl: Path, tmp_path: Path) -> None:
    result = import_arc_jsonl([game_over_jsonl], tmp_path / "rec", app_version="t")
    assert result.problems == []
    rows = _episode_rows(result.episodes)
    assert [r[1] for r in rows] == [[6, 3], [4, 3, 3], [6], [2]]
    assert [r[2] for r in rows] == ["GAME_OVER", "GAME_OVER", "WIN", "NOT_FINISHED"]
    first, second, third, fourth = (r[0] for r in rows)
    assert first.id == rows[0][4].name.removesuffix(".h5")  # a play-through is named after its first episode
    assert (second.id, second.index, second.start_level) == (first.id, 1, 1)
    assert (third.id, third.index, third.start_level) == (first.id, 2, 1)
    assert fourth.id != first.id and (fourth.index, fourth.start_level) == (0, 0)
    # nothing dropped: every record of the file is an episode's start or one of its steps
    records = len(game_over_jsonl.read_text().splitlines())
    assert records == len(rows) + sum(len(r[1]) for r in rows) == 1 + len(GAME_OVER_PLAY)
    with open_episode(rows[1][4]) as ep:  # the level RESET's frame starts the episode, with level 1 done
        assert ep.infos["levels_completed"][0] == 1 and ep.terminations.tolist() == [False, False, True]
    # file names and `created` come from the toolkit's timestamps of each episode's first record
    lines = [json.loads(line) for line in game_over_jsonl.read_text().splitlines()]
    starts = [0, 3, 7, 9]
    for (_, _, _, created, path), line in zip(rows, starts):
        stamp = datetime.fromisoformat(lines[line]["timestamp"])
        assert datetime.fromisoformat(created) == stamp
        assert path.name.startswith(stamp.astimezone(UTC).strftime("%Y%m%d-%H%M%S_"))
    for path in result.episodes:
        assert verify_structure(path).ok


def test_actions_sent_after_the_end_are_reported_not_dropped(tmp_path: Path) -> None:
    _write_losing_game(tmp_path / "env")
    play = [(GameAction.ACTION3, None), (GameAction.ACTION1, None), (GameAction.ACTION4, None),
            (GameAction.RESET, None), (GameAction.ACTION4, None)]
    source = _toolkit_recording(tmp_path, "tg02-v1", play)
    result = import_arc_jsonl([source], tmp_path / "rec", app_version="t")
    assert len(result.problems) == 1
    assert "lines 3-4 (2 actions)" in result.problems[0] and "GAME_OVER" in result.problems[0]
    assert [r[1] for r in _episode_rows(result.episodes)] == [[3], [4]]


def test_import_a_gzipped_recording_and_replay_it_against_the_game(game_over_jsonl: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aria_desktop.cli import app

    packed = tmp_path / "run.jsonl.gz"
    packed.write_bytes(gzip.compress(game_over_jsonl.read_bytes()))
    runner = CliRunner()
    result = runner.invoke(app, ["recordings", "import-arc", str(packed), "--out", str(tmp_path / "rec")])
    assert result.exit_code == 0, result.output
    assert "4 episode(s) imported, 0 problem(s)" in result.output
    env = game_over_jsonl.parent.parent.parent / "env"
    verify = ["recordings", "verify", str(tmp_path / "rec"), "--replay"]
    replayed = runner.invoke(app, [*verify, "--env-dir", str(env)], env={"COLUMNS": "300"})
    assert replayed.exit_code == 0, replayed.output
    assert replayed.output.count("every frame replayed") == 4  # episodes 1 and 2 after their play-through's start
    skipped = runner.invoke(app, verify, env={"COLUMNS": "300", "ENVIRONMENTS_DIR": ""})
    assert skipped.exit_code == 0 and skipped.output.count("replay skipped") == 4
    episodes = _episode_rows(list((tmp_path / "rec" / "tg02").glob("*.h5")))
    continued = {r[0].id for r in episodes if r[0].index > 0}
    (first,) = [r[4] for r in episodes if r[0].index == 0 and r[0].id in continued]
    first.unlink()  # the play-through's first episode is gone: its later episodes cannot be replayed
    broken = runner.invoke(app, [*verify, "--env-dir", str(env)], env={"COLUMNS": "300"})
    assert broken.exit_code == 1 and broken.output.count("episode 0 is not in") == 2


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    bad = tmp_path / "cut.jsonl.gz"
    bad.write_bytes(gzip.compress(b'{"a": 1}\n')[:12])  # the gzip header and no data
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(bytes(range(128, 256)))
    result = import_arc_jsonl([bad, binary], tmp_path / "rec", app_version="t")
    assert result.episodes == [] and len(result.problems) == 2
    assert "cut.jsonl.gz cannot be read" in result.problems[0] and "binary.jsonl is not a UTF-8 text file" in result.problems[1]
