"""Bad input leaves the app running with one clear sentence in the window."""

from __future__ import annotations

import pygame
from test_app_helpers import BROKEN_GAME, make_app, make_env_dir, tap, ticks


def test_broken_game_file_shows_a_sentence_and_the_app_keeps_running(tmp_path):
    envs = make_env_dir(tmp_path, BROKEN_GAME, game="bad1")
    app = make_app(tmp_path, "play", game="bad1", env_dir=envs)
    ticks(app, 2)
    assert app.mode.name == "launcher"
    assert app.error and "bad1" in app.error and "\n" not in app.error
    # The error is drawn in the status bar (its red background is on screen).
    bar = app.screen.get_at((app.screen.get_width() - 3, app.screen.get_height() - 3))
    assert tuple(bar)[:3] == app.config.theme.error
    # The launcher lists the broken game with its reason and refuses to start it, still running.
    entry = next(g for g in app.mode.games if g.id == "bad1")
    assert entry.error
    app.mode.selected = app.mode.games.index(entry)
    tap(pygame.K_RETURN)
    ticks(app, 2)
    assert app.mode.name == "launcher" and "bad1" in app.error
    # Breakout still plays.
    app.mode.selected = 0
    tap(pygame.K_RETURN)
    ticks(app, 2)
    assert app.mode.name == "play" and app.mode.game.id == "breakout"
    app.close()


def test_unknown_game_is_one_sentence(tmp_path):
    app = make_app(tmp_path, "play", game="nosuchgame")
    ticks(app, 1)
    assert app.mode.name == "launcher"
    assert app.error.startswith("Unknown game 'nosuchgame'")
    app.close()


def test_a_crashing_agent_does_not_take_the_window_down(tmp_path):
    app = make_app(tmp_path, "watch", game="breakout", agent="random", record=False)
    ticks(app, 1)

    def broken(game):
        raise ValueError("agent exploded")

    app.mode.runner.agent.act = broken
    ticks(app, 3)
    assert "ValueError" in app.error and "agent exploded" in app.error
    assert app.running and app.mode.controller == 0  # the person has control
    steps = app.mode.steps
    ticks(app, 2)
    assert app.mode.steps == steps + 2  # and the game goes on
    app.close()


def test_a_full_disk_stops_recording_keeps_the_episode_so_far_and_play_goes_on(tmp_path):
    import errno

    from test_app_helpers import recordings

    from recorder import open_episode

    app = make_app(tmp_path, "play", game="breakout")
    ticks(app, 4)
    writer = app.mode.recording._writer

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    writer.add_step = disk_full
    ticks(app, 2)
    assert "No space left on device" in app.error and "free disk space" in app.error
    assert app.mode.steps == 6 and app.last_header[-1].startswith("not recording")
    app.close()
    (path,) = recordings(tmp_path, "breakout")
    with open_episode(path) as ep:
        assert ep.steps == 4 and ep.outcome == "INTERRUPTED"
