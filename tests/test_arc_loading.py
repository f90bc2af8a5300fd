"""ARC-AGI-3 games load from an environments folder through the toolkit, with the toolkit's semantics."""

from __future__ import annotations

import json
import logging
import os
import time

import numpy as np
import pytest
from arc_agi import Arcade, OperationMode
from conftest import TOY_GAME, write_game

from aria_desktop.errors import AriaError
from aria_desktop.games.catalog import list_games, open_game
from aria_desktop.games.game import FrameKind, GameKind

UP, DOWN, LEFT, RIGHT, BLINK = 1, 2, 3, 4, 5


def test_game_loads_with_its_actions_and_metadata(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    assert game.kind is GameKind.ARC and game.frame_kind is FrameKind.GRID
    assert game.version == "0001" and game.levels == 2 and game.native_fps == 6
    assert [a.name for a in game.actions] == ["RESET", "ACTION1", "ACTION2", "ACTION3", "ACTION4", "ACTION5"]
    assert game.frame.shape == (64, 64) and game.frame.dtype == np.uint8
    assert set(np.unique(game.frame)) <= set(range(16))
    # the 8x8 level is scaled 8x into 64x64: the player (colour 9) fills the top-left 8x8 block
    assert (game.frame[:8, :8] == 9).all() and game.frame[8, 8] == 0


def test_versioned_id_and_env_var(arc_env_dir, monkeypatch):
    assert open_game("toyw-0001", arc_env_dir).version == "0001"
    monkeypatch.setenv("ENVIRONMENTS_DIR", str(arc_env_dir))
    assert open_game("toyw").id == "toyw"
    with pytest.raises(AriaError, match="Unknown game 'toyw-9999'"):
        open_game("toyw-9999")


def test_levels_rewards_and_win(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    steps = [game.step(RIGHT) for _ in range(3)]
    assert [s.reward for s in steps] == [0.0, 0.0, 1.0]
    assert steps[-1].info["levels_completed"] == 1 and not steps[-1].terminated
    # the level change renders one more frame: the new level's first frame
    assert len(steps[-1].frames) == 2 and (steps[-1].frame[:8, :8] == 9).all()
    down = [game.step(DOWN) for _ in range(2)]
    assert down[-1].terminated and down[-1].info["state"] == "WIN" and down[-1].info["levels_completed"] == 2


def test_animation_frames_and_game_over(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    blink = game.step(BLINK)
    assert len(blink.frames) == 3
    assert blink.frames[0][0, 0] == 10 and blink.frames[1][0, 0] == 9 and blink.frame[0, 0] == 9
    for _ in range(3):
        game.step(RIGHT)
    lost = game.step(RIGHT)  # level 2: lava right of the start
    assert lost.terminated and lost.info["state"] == "GAME_OVER"


def test_reset_action_restores_the_level(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    first = game.frame.copy()
    moved = game.step(DOWN).frame.copy()
    assert not np.array_equal(first, moved)
    again = game.step(0)  # RESET after moves: a level reset
    assert np.array_equal(again.frame, first) and not again.info["full_reset"]


def test_click_needs_coordinates(tmp_path):
    source = TOY_GAME.replace("available_actions=[1, 2, 3, 4, 5]", "available_actions=[1, 2, 3, 4, 6]")
    root = tmp_path / "envs"
    write_game(root, "toyw", "0001", source.replace("self.action.id.value == 5", "self.action.id.value == 6"))
    game = open_game("toyw", root)
    click = game.action(6)
    assert click.needs_xy
    with pytest.raises(AriaError, match=r"needs a click at \(x, y\)"):
        game.step(6)
    with pytest.raises(AriaError, match="0..63"):
        game.step(6, (64, 3))
    assert len(game.step(6, (5, 5)).frames) == 3
    with pytest.raises(AriaError, match="Action 5 is not available in toyw"):
        game.step(5)


def test_snapshot_and_restore(arc_env_dir):
    game = open_game("toyw", arc_env_dir)
    game.step(RIGHT)
    snap = game.snapshot()
    at = game.frame.copy()
    game.step(DOWN)
    game.restore(snap)
    assert np.array_equal(game.frame, at)
    assert np.array_equal(game.step(DOWN).frame, game.frame)


def test_seeded_reset_gives_the_same_first_frame(arc_env_dir):
    game = open_game("toyw", arc_env_dir, seed=3)
    first = game.frame.copy()
    game.step(DOWN)
    assert np.array_equal(game.reset(3), first) and game.config()["seed"] == 3


def test_broken_game_file_is_one_clear_sentence(tmp_path):
    root = tmp_path / "envs"
    write_game(root, "bad1", "v1", "this is not python(")
    write_game(root, "nocl", "v1", "X = 1\n")
    write_game(root, "longname", "v1", "X = 1\n")  # the toolkit looks for long.py: not there
    (root / "junk" / "v1").mkdir(parents=True)
    (root / "junk" / "v1" / "metadata.json").write_text("{not json")
    with pytest.raises(AriaError, match=r"Game 'bad1' in .* failed to load: .*fix its game file") as err:
        open_game("bad1", root)
    assert "\n" not in str(err.value)
    with pytest.raises(AriaError, match="Expected class `Nocl` not found"):
        open_game("nocl", root)
    with pytest.raises(AriaError, match="Game source file not found"):
        open_game("longname", root)
    entries = {e.id: e for e in list_games(root)}
    assert entries["bad1"].error and entries["nocl"].error and entries["longname"].error
    assert any(e.error and "cannot be read" in e.error for e in entries.values() if e.id == "?")
    assert entries["breakout"].error is None  # the other games still list


def test_missing_folder_and_unknown_game(tmp_path, monkeypatch):
    monkeypatch.delenv("ARC_API_KEY", raising=False)
    with pytest.raises(AriaError, match="does not exist"):
        open_game("toyw", tmp_path / "nowhere")
    with pytest.raises(AriaError, match="set ARC_API_KEY to download it"):
        open_game("zz99", tmp_path)


def test_download_without_network_is_one_clear_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("ARC_API_KEY", "test-key")
    monkeypatch.setenv("ARC_BASE_URL", "http://127.0.0.1:9")  # nothing listens there: fails at once, offline
    with pytest.raises(AriaError, match="Could not download ARC-AGI-3 game 'ls20'.*check the network"):
        open_game("ls20", tmp_path)


def _add_version(root, version: str, downloaded: str | None, levels: int = 2):
    folder = write_game(root, "toyw", version, TOY_GAME, levels=levels)
    meta = json.loads((folder / "metadata.json").read_text())
    if downloaded:
        meta["date_downloaded"] = downloaded
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def _toolkit_choice(root) -> str:
    logger = logging.getLogger("test.arc.versions")
    logger.propagate = False
    return Arcade(operation_mode=OperationMode.OFFLINE, environments_dir=str(root), logger=logger).make("toyw").environment_info.game_id


def test_a_bare_id_opens_the_version_the_toolkit_opens(tmp_path):
    root = tmp_path / "envs"
    _add_version(root, "aaaa", "2026-04-15T07:46:02+00:00", levels=6)  # downloaded last, folder made first
    newer_folder = _add_version(root, "bbbb", "2026-04-10T13:28:29+00:00")
    os.utime(newer_folder, (time.time() + 100, time.time() + 100))  # the old rule (folder mtime) picked bbbb
    assert open_game("toyw", root).version == "aaaa" == _toolkit_choice(root).split("-")[1]
    assert open_game("toyw-bbbb", root).version == "bbbb"
    entries = [e for e in list_games(root) if e.id == "toyw"]
    assert [(e.version, e.default, e.open_id) for e in entries] == [("aaaa", True, "toyw"), ("bbbb", False, "toyw-bbbb")]
    assert entries[0].levels == 2  # what the game reports once loaded, not the 6 its metadata lists
    assert entries[0].first_frame is not None and entries[0].first_frame.shape == (64, 64)


def test_versions_without_dates_or_with_equal_dates_follow_the_toolkit(tmp_path):
    for dates in ((None, None), ("2026-04-10T13:28:26+00:00",) * 2, (None, "2026-01-01T00:00:00+00:00")):
        root = tmp_path / f"envs{len(list(tmp_path.iterdir()))}"
        for version, date in zip(("zz01", "aa02"), dates):
            _add_version(root, version, date)
        assert f"toyw-{open_game('toyw', root).version}" == _toolkit_choice(root)


def test_aria_games_marks_the_version_a_bare_id_opens(tmp_path):
    from typer.testing import CliRunner

    from aria_desktop.cli import app

    root = tmp_path / "envs"
    _add_version(root, "aaaa", "2026-04-15T07:46:02+00:00")
    _add_version(root, "bbbb", "2026-04-10T13:28:29+00:00")
    result = CliRunner().invoke(app, ["games", "--env-dir", str(root)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "toyw" in line.lower()]
    assert "aaaa (bare id)" in rows[0] and rows[0].split()[1] == "toyw"
    assert "toyw-bbbb" in rows[1] and "bare id" not in rows[1]
    help_text = CliRunner().invoke(app, ["games", "--help"], env={"COLUMNS": "200"}).output
    assert "game-version" in help_text and "Arcade.make" in help_text
