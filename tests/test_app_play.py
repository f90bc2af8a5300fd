"""Play & record through the real app: the recorded files hold what the person did."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pygame
from test_app_helpers import click, key, make_app, make_env_dir, recordings, tap, ticks

from aria_desktop.games.breakout import BreakoutGame


def test_breakout_keys_are_recorded_and_the_episode_is_saved_on_quit(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="breakout")  # fixed_dt = 1/15 s: one game step per frame
    key(pygame.K_RIGHT)
    ticks(app, 2)  # RIGHT, RIGHT
    key(pygame.K_RIGHT, up=True)
    ticks(app, 1)  # NOOP
    tap(pygame.K_SPACE)
    ticks(app, 1)  # FIRE (a tap between two steps still counts)
    key(pygame.K_a)
    ticks(app, 1)  # LEFT (WASD)
    assert app.last_header[-1].startswith("REC")
    key(pygame.K_ESCAPE)
    assert app.tick() is False
    files = recordings(tmp_path, "breakout")
    assert len(files) == 1 and app.saved == files
    with open_episode(files[0]) as ep:
        assert ep.steps == 5 and ep.complete and ep.outcome == "QUIT"
        np.testing.assert_array_equal(ep.actions, [2, 2, 0, 1, 3])
        np.testing.assert_array_equal(ep.controllers, [0] * 5)
        np.testing.assert_array_equal(ep.action_xy, [[-1, -1]] * 5)
        # The recorded frames are the game's: replaying the actions from the seed reproduces them.
        game = BreakoutGame()
        np.testing.assert_array_equal(ep.observations[0], game.reset(0))
        for t, action in enumerate(ep.actions):
            np.testing.assert_array_equal(ep.observations[t + 1], game.step(int(action)).frame)
        game.close()


def test_arc_keys_clicks_undo_and_reset_are_recorded(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    rect = app.mode.frame_rect
    s = rect.width // 64
    tap(pygame.K_d)  # ACTION4, animates over two frames
    ticks(app, 4)
    click((rect.x + 37 * s + s - 1, rect.y + 21 * s))  # the last pixel column of cell (37, 21)
    ticks(app, 2)
    tap(pygame.K_z, mod=pygame.KMOD_LCTRL)  # ACTION7
    ticks(app, 2)
    tap(pygame.K_r)  # RESET
    ticks(app, 2)
    click((rect.x - 5, rect.y + 5))  # outside the frame: nothing
    tap(pygame.K_SPACE)  # ACTION5 is not in this game: nothing
    ticks(app, 2)
    assert app.mode.steps == 4
    pygame.event.post(pygame.event.Event(pygame.QUIT))  # the window's close button
    assert app.tick() is False
    (path,) = recordings(tmp_path, "tg01")
    with open_episode(path) as ep:
        np.testing.assert_array_equal(ep.actions, [4, 6, 7, 0])
        np.testing.assert_array_equal(ep.action_xy, [[-1, -1], [37, 21], [-1, -1], [-1, -1]])
        np.testing.assert_array_equal(ep.controllers, [0, 0, 0, 0])
        assert len(ep.step_frames(0)) == 2  # both animation frames of the move
        after_click = np.asarray(ep.observations[2])
        assert after_click[20, 36] == 9 and after_click[23, 39] == 9  # the player sits on the clicked cell


def test_arc_win_ends_the_episode_with_its_outcome(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    rect = app.mode.frame_rect
    s = rect.width // 64
    click((rect.x + 8 * s, rect.y))  # onto level 1's goal
    ticks(app, 4)
    click((rect.x, rect.y + 8 * s))  # onto level 2's goal: WIN
    ticks(app, 4)
    assert app.mode.done and app.mode.outcome == "WIN"
    app.mode.recording.wait()  # the file is finished on a background thread, so play never waits for the disk
    (path,) = recordings(tmp_path, "tg01")  # saved when the episode ended, before quitting
    tap(pygame.K_d)  # any game key starts the next episode
    ticks(app, 1)
    assert not app.mode.done and app.mode.steps == 0
    app.close()
    assert recordings(tmp_path, "tg01") == [path]  # the next episode had no steps: nothing written
    with open_episode(path) as ep:
        assert ep.outcome == "WIN" and ep.steps == 2
        np.testing.assert_array_equal(ep.rewards, [1, 1])
        assert bool(ep.terminations[-1])
        np.testing.assert_array_equal(ep.infos["levels_completed"], [0, 1, 2])


def test_no_record_writes_nothing(tmp_path):
    app = make_app(tmp_path, "play", game="breakout", record=False)
    ticks(app, 3)
    assert app.last_header[-1].startswith("not recording")
    app.close()
    assert not (tmp_path / "recordings").exists()


def test_unwritable_recordings_folder_shows_a_sentence_and_play_goes_on(tmp_path):
    (tmp_path / "recordings").write_text("a file where the folder should be")
    app = make_app(tmp_path, "play", game="breakout")
    ticks(app, 3)
    assert app.error and "recording" in app.error.lower()
    assert app.mode.steps == 3 and app.last_header[-1].startswith("not recording")
    app.close()


SIGINT_SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    from aria_desktop.cli.play import launch_app
    launch_app("play", "breakout", out_dir=sys.argv[1])
    """
)


def test_ctrl_c_in_the_terminal_saves_the_episode(tmp_path):
    from recorder import open_episode

    out = tmp_path / "recordings"
    proc = subprocess.Popen([sys.executable, "-c", SIGINT_SCRIPT, str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parent.parent)
    try:
        # Wait until the episode is being written and a few real-time steps went by.
        deadline = time.monotonic() + 60
        while not list((out / "breakout").glob("*")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Saved 1 episode" in stdout
    (path,) = sorted((out / "breakout").glob("*.h5"))
    with open_episode(path) as ep:
        assert ep.steps > 0 and ep.complete and ep.outcome == "QUIT"


def test_after_a_game_over_the_next_key_resets_the_level_and_the_playthrough_goes_on(tmp_path, arc_env_dir):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="toyw", env_dir=arc_env_dir)
    for _ in range(3):  # level 1: three steps right to the goal
        tap(pygame.K_RIGHT)
        ticks(app, 2)
    level_two = app.mode.game.frame.copy()
    tap(pygame.K_RIGHT)  # lava
    ticks(app, 2)
    assert app.mode.done and app.mode.outcome == "GAME_OVER"
    assert any("progress" in line for line in app.mode.banner_lines())
    tap(pygame.K_DOWN)  # the next key resets the level (and is not played itself)
    ticks(app, 2)
    assert not app.mode.done and app.mode.steps == 0
    np.testing.assert_array_equal(app.mode.game.frame, level_two)
    assert app.mode.game.info["levels_completed"] == 1  # the progress is kept
    tap(pygame.K_DOWN)
    ticks(app, 2)
    app.close()
    first, second = recordings(tmp_path, "toyw")
    with open_episode(first) as a, open_episode(second) as b:
        assert a.outcome == "GAME_OVER" and b.outcome == "QUIT"
        assert a.playthrough.id == b.playthrough.id and (a.playthrough.index, b.playthrough.index) == (0, 1)
        assert b.playthrough.start_level == 1 and b.steps == 1
        np.testing.assert_array_equal(b.observations[0], level_two)
