"""Replay recordings in the app: step, scrub, jump between episodes; corrupt files leave it running."""

from __future__ import annotations

import numpy as np
import pygame
from test_app_helpers import click, key, make_app, make_env_dir, recordings, tap, ticks

from aria_desktop.app.render import frame_to_rgb


def _record_breakout(tmp_path, actions_per_episode: list[list[int]]) -> None:
    """Record episodes by playing the app: RIGHT held for some steps, then Tab to the agent."""
    app = make_app(tmp_path, "play", game="breakout", agent="random")
    for n in actions_per_episode:
        key(pygame.K_RIGHT)
        ticks(app, n[0])
        key(pygame.K_RIGHT, up=True)
        tap(pygame.K_TAB)
        ticks(app, n[1])
        tap(pygame.K_TAB)
        tap(pygame.K_r)  # new game: saves this episode
        ticks(app, 1)  # (this frame's NOOP step belongs to the next episode)
    app.quit()
    app.tick()


def _shown(app) -> np.ndarray:
    """The replayed frame as drawn: the centre pixel of every game pixel."""
    view = app.mode.view
    frame = view.frame(app.mode.t)
    _, main, _, _ = app.layout()
    from aria_desktop.app.render import frame_rect

    area = pygame.Rect(main.x, main.y, main.width, main.height - 26 - 8)
    rect = frame_rect((frame.shape[1], frame.shape[0]), area)
    s = rect.width // frame.shape[1]
    pixels = pygame.surfarray.array3d(app.screen.subsurface(rect)).swapaxes(0, 1)
    return pixels[s // 2 :: s, s // 2 :: s]


def test_replay_steps_scrubs_and_jumps_between_episodes(tmp_path):
    from recorder import open_episode

    _record_breakout(tmp_path, [[3, 2], [2, 4]])
    files = recordings(tmp_path, "breakout")
    assert len(files) == 3  # two episodes, and the last one's single NOOP saved on quit
    app = make_app(tmp_path, "replay", game="breakout")
    ticks(app, 1)
    assert app.mode.index == 2 and app.last_header[0] == "REPLAY"  # opens on the newest episode
    tap(pygame.K_PAGEUP)
    tap(pygame.K_PAGEUP)
    ticks(app, 1)
    assert app.mode.view.path == files[0] and app.mode.t == 0
    with open_episode(files[0]) as ep:
        for expected_t in (1, 2, 3):
            tap(pygame.K_RIGHT)
            ticks(app, 1)
            assert app.mode.t == expected_t
            np.testing.assert_array_equal(_shown(app), frame_to_rgb(np.asarray(ep.observations[expected_t])))
        assert "human" in app.last_header and "step 3" in app.last_header
        panel = [line for section in app.mode.panel() for line in section.lines]
        assert "t = 3: RIGHT" in panel and "by the person" in panel
        tap(pygame.K_RIGHT)
        ticks(app, 1)
        assert "agent" in app.last_header  # step 4 was the agent's
        tap(pygame.K_END)
        ticks(app, 1)
        assert app.mode.t == ep.steps == 5
        tap(pygame.K_LEFT, mod=pygame.KMOD_SHIFT)
        ticks(app, 1)
        assert app.mode.t == 0
        # Click 60 % along the timeline: the cursor jumps to step 3 of 5.
        timeline = app.mode.timeline
        click((timeline.x + round(0.6 * (timeline.width - 1)), timeline.centery))
        ticks(app, 1)
        assert app.mode.t == 3
        # Play: one step per 1/15 s at speed 1.
        tap(pygame.K_SPACE)
        ticks(app, 2)
        assert app.mode.t == 5
    tap(pygame.K_PAGEDOWN)
    ticks(app, 1)
    assert app.mode.view.path == files[1] and app.mode.t == 0
    app.close()


def test_replay_of_an_arc_recording_shows_clicks_and_levels(tmp_path):
    envs = make_env_dir(tmp_path)
    app = make_app(tmp_path, "play", game="tg01", env_dir=envs)
    ticks(app, 1)
    rect = app.mode.frame_rect
    s = rect.width // 64
    click((rect.x + 8 * s + 1, rect.y + 2))  # onto level 1's goal
    ticks(app, 4)
    app.switch("replay")
    ticks(app, 1)
    assert app.mode.view.steps == 1
    tap(pygame.K_RIGHT)
    ticks(app, 1)
    lines = [line for section in app.mode.panel() for line in section.lines]
    assert "t = 1: ACTION6 at (8, 0)" in lines and "levels_completed 1" in lines
    assert app.last_header[1] == "TG01" and "1 of 2 levels done" in app.last_header  # title, not id
    # the click is marked where it landed, in the person's colour
    assert app.mode.click_step == 0
    rect = app.mode.frame_rect
    s = rect.width // 64
    centre = (rect.x + 8 * s + s // 2, rect.y + s // 2)
    radius = max(6, 2 * s)
    assert tuple(app.screen.get_at((centre[0] + radius - 1, centre[1])))[:3] == app.config.theme.human
    tap(pygame.K_LEFT)  # the reset frame: no click to mark
    ticks(app, 1)
    assert app.mode.click_step is None
    # the cell under the mouse, with its colour
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=(rect.x + 5 * s + 1, rect.y + 7 * s + 1), rel=(0, 0), buttons=(0, 0, 0)))
    ticks(app, 1)
    lines = [line for section in app.mode.panel() for line in section.lines]
    assert f"mouse on cell (5, 7), colour {int(app.mode.shown[7, 5])}" in lines
    app.close()


def test_replay_shows_the_episodes_of_the_game_it_was_opened_from(tmp_path):
    _record_breakout(tmp_path, [[1, 1]])
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    tap(pygame.K_RIGHT)
    ticks(app, 4)
    app.switch("replay")  # from tg01: only tg01's episodes, though breakout's are in the same folder
    ticks(app, 1)
    assert [p.parent.name for p in app.mode.paths] == ["tg01"]
    app.switch("replay", path=tmp_path / "recordings")  # a folder given explicitly: every game in it
    ticks(app, 1)
    assert sorted({p.parent.name for p in app.mode.paths}) == ["breakout", "tg01"]
    app.selection.game = "maze"
    app.switch("replay")
    ticks(app, 1)
    assert app.mode.paths == [] and "No recording of maze" in app.mode.problems[0]
    app.close()


def test_replay_before_anything_was_recorded_says_so(tmp_path):
    app = make_app(tmp_path, "replay", game="breakout")  # tmp_path/recordings was never made
    ticks(app, 1)
    assert app.mode.paths == [] and "does not exist yet; record an episode first" in app.mode.problems[0]
    app.close()


def test_a_corrupt_recording_leaves_replay_usable(tmp_path):
    _record_breakout(tmp_path, [[2, 1]])
    good = recordings(tmp_path, "breakout")
    bad = tmp_path / "recordings" / "breakout" / "00000000-000000_broken.h5"
    bad.write_bytes(b"this is not an HDF5 file" * 100)
    app = make_app(tmp_path, "replay", game="breakout")
    ticks(app, 2)
    assert app.mode.name == "replay" and app.running
    assert app.error and "00000000-000000_broken.h5" in app.error and "\n" not in app.error
    assert app.mode.view is not None and app.mode.view.path in good  # the good ones still play
    tap(pygame.K_RIGHT)
    ticks(app, 1)
    assert app.mode.t == 1
    app.close()


def test_playing_an_arc_replay_shows_each_steps_animation_frames(tmp_path):
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    ticks(app, 1)
    tap(pygame.K_RIGHT)  # one move, two animation frames
    ticks(app, 4)
    app.switch("replay")
    ticks(app, 1)
    (path,) = recordings(tmp_path, "tg01")
    with open_episode(path) as ep:
        first, last = ep.step_frames(0)
        assert not np.array_equal(first, last)
        tap(pygame.K_SPACE)
        seen = [app.mode.shown.copy()]  # the reset frame
        for _ in range(12):  # 5 frames per second at 1/15 s per tick: a new frame every 3 ticks
            ticks(app, 1)
            seen.append(app.mode.shown.copy())
        assert app.mode.t == 1 and not app.mode.playing
        changes = [seen[0]] + [b for a, b in zip(seen, seen[1:]) if not np.array_equal(a, b)]
        assert len(changes) == 3
        np.testing.assert_array_equal(changes[0], ep.observations[0])
        np.testing.assert_array_equal(changes[1], first)
        np.testing.assert_array_equal(changes[2], last)
    app.close()


def test_replay_opens_a_given_file(tmp_path):
    _record_breakout(tmp_path, [[1, 1], [2, 1]])
    first, second, _ = recordings(tmp_path, "breakout")
    app = make_app(tmp_path / "elsewhere", "replay", path=first)
    ticks(app, 1)
    assert app.mode.view.path == first and app.mode.folder == first.parent
    app.close()


def test_breakout_steps_show_only_their_observation_in_play_and_replay(tmp_path):
    """Breakout keeps each step's previous emulator frame for the models (FORMAT.md); it is not animation."""
    from recorder import open_episode

    app = make_app(tmp_path, "play", game="breakout")
    ticks(app, 1)
    key(pygame.K_SPACE)  # FIRE, then keep it held: the ball moves, so the two emulator frames differ
    for _ in range(12):
        ticks(app, 1)
        assert not app.mode.animation and np.array_equal(app.mode.shown, app.mode.game.frame)
    key(pygame.K_SPACE, up=True)
    app.switch("replay")
    ticks(app, 1)
    (path,) = recordings(tmp_path, "breakout")
    with open_episode(path) as ep:
        assert not ep.animated and ep.steps >= 12
        assert all(len(ep.step_frames(t)) == 2 for t in range(ep.steps))
        differ = [t for t in range(ep.steps) if not np.array_equal(ep.step_frames(t)[0], ep.observations[t + 1])]
        assert differ  # the kept frames are real, different frames
        tap(pygame.K_SPACE)
        for t in range(1, 12):  # one observation per tick (15 per second), never the kept frame
            ticks(app, 1)
            assert app.mode.t == t and not app.mode.between
            np.testing.assert_array_equal(_shown(app), frame_to_rgb(np.asarray(ep.observations[t])))
    app.close()
