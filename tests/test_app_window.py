"""The play window's defects found trying it (issue 7, "The window"): each test fails without its fix."""

from __future__ import annotations

import numpy as np
import pygame
from test_app_helpers import click, key, make_app, make_env_dir, recordings, tap, ticks


def test_breakout_paces_from_the_first_step_of_every_episode(tmp_path):
    # Every frame here is as slow as opening the game or starting an episode (0.25 s): the first frame of an
    # episode plays one step, not a burst that catches up the time the start took.
    app = make_app(tmp_path, "play", fixed_dt=0.25, game="breakout", record=False)
    ticks(app, 1)
    assert app.mode.steps == 1
    tap(pygame.K_r)  # a new game
    ticks(app, 1)
    assert app.mode.runner.episodes == 2 and app.mode.steps == 1
    ticks(app, 1)  # frames that are all this slow are ordinary: real time catches up on them
    assert app.mode.steps > 2
    app.close()


def test_help_pauses_real_time_play_and_keys_under_it_are_not_played(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="breakout")
    ticks(app, 2)
    key(pygame.K_F1)
    ticks(app, 1)
    key(pygame.K_LEFT)  # pressed under the help
    ticks(app, 5)
    assert app.show_help and app.mode.steps == 2
    key(pygame.K_F1)
    ticks(app, 2)
    key(pygame.K_LEFT, up=True)
    ticks(app, 1)
    assert app.mode.steps == 5
    app.close()
    (path,) = recordings(tmp_path, "breakout")
    with open_episode(path) as ep:
        assert 3 not in ep.actions.tolist()  # no LEFT: it was pressed while the help was shown


def test_pause_holds_for_the_person_after_taking_over(tmp_path):
    app = make_app(tmp_path, "watch", game="tg01", env_dir=make_env_dir(tmp_path), agent="random", record=False)
    tap(pygame.K_p)
    ticks(app, 1)
    steps = app.mode.steps
    tap(pygame.K_TAB)
    tap(pygame.K_RIGHT)
    ticks(app, 4)
    assert app.mode.controller == 0 and app.mode.steps == steps and app.mode.banner_lines()[0] == "Paused"
    tap(pygame.K_p)
    tap(pygame.K_RIGHT)
    ticks(app, 4)
    assert app.mode.steps == steps + 1 and app.mode.steps_by[0] == 1
    app.close()


def _win_tg01(app) -> None:
    ticks(app, 1)
    rect = app.mode.frame_rect
    s = rect.width // 64
    click((rect.x + 8 * s, rect.y))  # onto level 1's goal
    ticks(app, 4)
    assert app.last_header[4] == "level 2 of 2"
    click((rect.x, rect.y + 8 * s))  # onto level 2's goal: WIN
    ticks(app, 4)
    assert app.mode.outcome == "WIN"


def test_header_keeps_saying_rec_between_episodes_and_levels_read_level_k_of_n(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    assert app.last_header[4] == "level 1 of 2"
    play = next(sec for sec in app.mode.panel() if sec.title == "Play")
    assert any(line.startswith("level 1 of 2") for line in play.lines)  # the panel says the same
    _win_tg01(app)
    assert app.last_header[-1].startswith("REC")  # recording is on: the next episode starts a new file
    assert app.last_header[4] == "level 2 of 2"
    app.close()


def test_banners_sit_off_the_play_area(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    before = pygame.surfarray.array3d(app.screen.subsurface(app.mode.frame_rect))
    tap(pygame.K_p)
    ticks(app, 1)
    assert app.mode.banner_lines()[0] == "Paused"
    assert app.mode.banner_rect is not None and not app.mode.banner_rect.colliderect(app.mode.frame_rect)
    after = pygame.surfarray.array3d(app.screen.subsurface(app.mode.frame_rect))
    assert np.array_equal(before, after)  # the frame is not covered
    tap(pygame.K_p)
    _win_tg01(app)
    ticks(app, 1)
    assert app.mode.banner_lines()[0] == "You won"
    assert not app.mode.banner_rect.colliderect(app.mode.frame_rect)
    app.resize(*app.config.layout.min_window)  # in the smallest window the whole sentence still shows
    ticks(app, 1)
    assert app.layout()[1].contains(app.mode.banner_rect)
    assert not app.mode.banner_rect.colliderect(app.mode.frame_rect)
    app.close()


def test_tab_names_the_agent_that_would_really_play(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path), agent="scripted")
    ticks(app, 1)
    play = next(sec for sec in app.mode.panel() if sec.title == "Play")
    assert play.lines[0] == "human is playing; Tab hands control to the random agent"  # tg01 has no scripted agent
    app.close()
