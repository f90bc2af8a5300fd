"""Switching modes inside one session, the launcher, screenshots, pause / speed / single step."""

from __future__ import annotations

import copy
import os
import threading
import time

import pygame
from test_app_helpers import click, key, make_app, make_env_dir, tap, ticks


def test_modes_switch_by_key_without_restart(tmp_path):
    app = make_app(tmp_path, "launcher", env_dir=make_env_dir(tmp_path), record=False, agent="random")
    ticks(app, 1)
    assert app.mode.name == "launcher" and app.last_header[0] == "LAUNCHER"
    ids = [g.id for g in app.mode.games]
    assert ids[0] == "breakout" and "tg01" in ids
    # Choose tg01 with the arrow keys and play it.
    for _ in range(ids.index("tg01")):
        tap(pygame.K_DOWN)
    tap(pygame.K_RETURN)
    ticks(app, 1)
    assert app.mode.name == "play" and app.mode.game.id == "tg01"
    assert app.last_header[:3] == ["PLAY", "TG01", "human"]
    tap(pygame.K_F4)
    ticks(app, 1)
    assert app.mode.name == "watch" and app.last_header[2] == "agent: random"
    tap(pygame.K_F5)
    ticks(app, 1)
    assert app.mode.name == "replay"
    tap(pygame.K_F2)
    ticks(app, 1)
    assert app.mode.name == "launcher" and app.mode.entry.id == "tg01"  # the launcher remembers the game
    app.close()


def test_launcher_buttons_and_settings(tmp_path):
    app = make_app(tmp_path, "launcher", record=True)
    started = copy.deepcopy(app.config)
    ticks(app, 1)
    tap(pygame.K_c)
    tap(pygame.K_a)
    ticks(app, 1)
    assert app.selection.record is False and app.selection.agent == "random"
    assert app.config == started  # the configuration is read, never written: the choices live on the app
    # Change the recordings folder by typing.
    tap(pygame.K_o)
    ticks(app, 1)
    for _ in range(len(str(app.selection.out_dir))):
        tap(pygame.K_BACKSPACE)
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=str(tmp_path / "elsewhere")))
    tap(pygame.K_RETURN)
    ticks(app, 1)
    assert app.selection.out_dir == tmp_path / "elsewhere"
    # Click the "Watch" button.
    watch = next(rect for rect, mode in app.mode.button_rects if mode == "watch")
    click(watch.center)
    ticks(app, 1)
    assert app.mode.name == "watch" and app.mode.game.id == "breakout"
    assert app.mode.recording.enabled is False and app.mode.agent_name == "random"  # the choices took effect
    assert app.config == started
    app.close()


def _type_folder(app, key_code: int, text: str) -> None:
    tap(key_code)
    ticks(app, 1)
    for _ in range(200):
        tap(pygame.K_BACKSPACE)
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))
    tap(pygame.K_RETURN)
    ticks(app, 1)


def test_launcher_changes_the_environments_folder(tmp_path):
    app = make_app(tmp_path, "launcher", record=False)
    ticks(app, 1)
    assert app.selection.env_dir is None and all(g.kind.value != "arc" for g in app.mode.games)
    env_dir = make_env_dir(tmp_path)
    _type_folder(app, pygame.K_e, str(env_dir))
    assert app.selection.env_dir == env_dir
    arc = [g for g in app.mode.games if g.kind.value == "arc"]
    assert arc and "ARC-AGI-3 game(s) found" in app.message
    # A folder that does not exist: one sentence, and the folder in use stays.
    _type_folder(app, pygame.K_e, str(tmp_path / "nowhere"))
    assert app.selection.env_dir == env_dir and "does not exist" in app.error
    # An empty field: back to the built-in games only.
    _type_folder(app, pygame.K_e, "")
    assert app.selection.env_dir is None and all(g.kind.value != "arc" for g in app.mode.games)
    app.close()


def test_f12_saves_a_screenshot(tmp_path):
    app = make_app(tmp_path, "launcher")
    ticks(app, 1)
    tap(pygame.K_F12)
    ticks(app, 1)
    shots = list((tmp_path / "shots").glob("*.png"))
    assert len(shots) == 1
    image = pygame.image.load(str(shots[0]))
    assert image.get_size() == app.screen.get_size()
    app.close()


def test_pause_single_step_and_speed_in_watch(tmp_path):
    app = make_app(tmp_path, "watch", game="breakout", agent="random", record=False)
    ticks(app, 2)
    assert app.mode.steps == 2  # one step per frame at fixed_dt = 1/15 s
    report = next(sec for sec in app.mode.panel() if sec.title == "Agent: random")
    assert report.lines == app.mode.runner.agent.report() and report.lines[0].startswith("random choice")
    tap(pygame.K_p)
    ticks(app, 3)
    assert app.mode.steps == 2 and "paused" in app.last_header
    tap(pygame.K_n)
    ticks(app, 2)
    assert app.mode.steps == 3
    tap(pygame.K_p)
    tap(pygame.K_EQUALS)  # 2x: two steps per frame
    ticks(app, 2)
    assert app.mode.steps == 7 and "speed 2x" in app.last_header
    tap(pygame.K_MINUS)
    tap(pygame.K_MINUS)  # 0.5x: one step every two frames
    ticks(app, 4)
    assert app.mode.steps == 9
    app.close()


def test_arc_animation_frames_play_at_the_game_rate(tmp_path):
    # tg01 plays at 10 frames per second; each move animates over two frames.
    app = make_app(tmp_path, "play", fixed_dt=0.05, game="tg01", env_dir=make_env_dir(tmp_path), record=False)
    ticks(app, 1)
    tap(pygame.K_RIGHT)
    tap(pygame.K_RIGHT)  # queued while the first move animates
    ticks(app, 1)
    row = app.mode.shown[0]
    assert app.mode.steps == 1 and row[2] == 9 and row[6] != 9  # first animation frame: moved by 2
    ticks(app, 1)  # 0.05 s < 0.1 s: still the first frame
    assert app.mode.shown[0][6] != 9
    ticks(app, 1)  # 0.1 s: the second frame (moved by 4), then the queued move starts
    row = app.mode.shown[0]
    assert row[6] == 9 and row[2] != 9
    ticks(app, 1)
    assert app.mode.steps == 2
    app.close()


def test_escape_quits(tmp_path):
    app = make_app(tmp_path, "launcher")
    ticks(app, 1)
    key(pygame.K_ESCAPE)
    assert app.tick() is False and not app.running


def test_background_work_adds_a_bar_and_a_curve_to_the_panel_in_any_mode(tmp_path):
    import numpy as np

    from aria_desktop.app.panel import BarSection, CurveSection

    app = make_app(tmp_path, "launcher")
    ticks(app, 1)
    assert app.layout()[2] is None  # the launcher has no panel of its own
    app.panel_sources.append(lambda: [BarSection("Training", 0.5, "step 50 of 100"),
                                      CurveSection("loss", [3.0, 2.0, 1.5, 1.2, 1.0])])
    ticks(app, 1)
    panel = app.layout()[2]
    assert panel is not None
    pixels = pygame.surfarray.array3d(app.screen.subsurface(panel)).reshape(-1, 3)
    accent = np.all(pixels == app.config.theme.accent, axis=1).sum()
    assert accent > 0.5 * (panel.width - 24) * 10  # the half-filled bar
    curve = np.all(pixels == app.config.theme.text, axis=1).sum()
    assert curve > 50  # the loss line (and the captions)
    app.close()


def test_watching_a_game_without_a_scripted_agent_falls_back_to_random(tmp_path):
    app = make_app(tmp_path, "watch", game="tg01", env_dir=make_env_dir(tmp_path), agent="scripted")
    ticks(app, 1)
    assert app.mode.agent_name == "random" and app.last_header[2] == "agent: random"
    assert "no scripted agent for TG01" in app.message
    app.close()


def test_a_slow_agent_thinks_without_freezing_the_window(tmp_path):
    import threading
    import time

    from aria_desktop.agents import Agent, Choice

    release = threading.Event()

    class SlowAgent(Agent):  # a planner that takes as long as the test says
        def act(self, game):
            release.wait(5)
            return Choice(4)

        def report(self):
            return ["slow plan"]

    app = make_app(tmp_path, "watch", env_dir=make_env_dir(tmp_path), game="tg01", record=False)
    app.mode.runner.agent = SlowAgent()
    start = time.monotonic()
    ticks(app, 20)  # the agent is stuck thinking: frames go on being drawn
    assert time.monotonic() - start < 4 and app.mode.steps == 0
    assert any("thinking..." in line for section in app.mode.panel() for line in getattr(section, "lines", []))
    release.set()
    for _ in range(50):
        ticks(app, 1)
        if app.mode.steps:
            break
    assert app.mode.steps == 1 and app.mode.steps_by == [0, 1]
    app.close()


def test_launcher_folder_field_does_not_type_the_key_that_opened_it(tmp_path):
    app = make_app(tmp_path, "launcher")
    ticks(app, 1)
    before = str(app.config.out_dir)
    # What SDL sends for one press of O: the KEYDOWN, then the same letter as text input.
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o, mod=0, unicode="o"))
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="o"))
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="/x"))
    ticks(app, 1)
    assert app.mode.editing == before + "/x"
    tap(pygame.K_ESCAPE)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_e, mod=0, unicode="e"))
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="e"))
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text="e"))  # a real "e" typed next is kept
    ticks(app, 1)
    assert app.mode.editing == "e"
    app.close()


def test_launcher_shows_the_game_and_says_when_play_does_not_record(tmp_path):
    from aria_desktop.app.render import ARC_PALETTE

    app = make_app(tmp_path, "launcher", record=True, game="maze")
    ticks(app, 1)
    assert app.mode.entry.id == "maze" and "junction" in app.mode.entry.description
    assert "Play & record  [Enter]" in app.mode.button_labels
    # the preview: the maze's first frame, drawn scaled into the details column
    frame = app.mode.entry.first_frame
    x, y = app.mode.button_rects[0][0].x, app.mode.button_rects[0][0].y
    scale = 3  # the 240x210 preview box holds the 64x64 frame 3 times over
    top = y - 12 - 64 * scale
    assert tuple(app.screen.get_at((x + 10 * scale + 1, top + 10 * scale + 1)))[:3] == tuple(ARC_PALETTE[frame[10, 10]])
    tap(pygame.K_c)
    ticks(app, 1)
    labels = app.mode.button_labels
    assert "Play & record  [Enter]" not in labels and "Play (not recorded)  [Enter]" in labels
    app.close()


def test_an_idle_window_sleeps_until_input_instead_of_redrawing(tmp_path, monkeypatch):
    app = make_app(tmp_path, "launcher")
    app.config.pace.fixed_dt = None  # real pacing: the idle wait applies
    waits = []

    def wait(timeout_ms):  # what SDL returns when a key is pressed during the first wait; then nothing comes
        waits.append(timeout_ms)
        if len(waits) > 1:
            return pygame.event.Event(pygame.NOEVENT)
        return pygame.event.Event(pygame.KEYDOWN, key=pygame.K_DOWN, mod=0, unicode="")

    monkeypatch.setattr(pygame.event, "wait", wait)
    selected = app.mode.selected
    assert app.idle and app.tick()
    assert waits[0] == 1000 // app.config.pace.idle_fps and app.mode.selected == selected + 1  # the key was handled
    assert app.last_header[-1] == "idle"  # not a frame rate that only measures the wait
    app.panel_sources.append(list)  # background work reporting to the panel keeps the full frame rate
    waits.clear()
    assert not app.idle and app.tick() and app.last_header[-1].endswith(" fps")
    assert all(w <= 1000 // app.config.pace.display_fps for w in waits)  # at most a frame's wait, no idle wait
    app.close()


def test_work_done_off_the_render_loop_ends_the_wait_for_the_next_frame(tmp_path):
    from aria_desktop.app.modes.base import wake_window

    app = make_app(tmp_path, "launcher")
    app.config.pace.fixed_dt = None
    app.panel_sources.append(list)  # not idle: frames at display_fps
    app.mode.display_fps = 0.5  # a frame every 2 s, unless something wakes the window
    ticks(app, 1)
    timer = threading.Timer(0.05, wake_window)
    timer.start()
    start = time.perf_counter()
    ticks(app, 1)
    assert time.perf_counter() - start < 1.5  # woken by the worker's event, well before the 2 s frame
    timer.join()
    app.close()


def test_the_window_presents_without_opengl_unless_the_person_chose(tmp_path, monkeypatch):
    monkeypatch.delenv("SDL_FRAMEBUFFER_ACCELERATION", raising=False)
    make_app(tmp_path, "launcher").close()
    assert os.environ["SDL_FRAMEBUFFER_ACCELERATION"] == "0"  # no llvmpipe threads beside a model on a GPU-less CPU
    monkeypatch.setenv("SDL_FRAMEBUFFER_ACCELERATION", "opengl")
    make_app(tmp_path, "launcher").close()
    assert os.environ["SDL_FRAMEBUFFER_ACCELERATION"] == "opengl"
