"""Keys and help cannot drift: every line F1 shows for a mode is a key its handler acts on, and back."""

from __future__ import annotations

import pygame
from test_app_helpers import key, make_app, make_env_dir, tap, ticks

from aria_desktop.app.keymap import APP_KEYS


def _dispatched(app, keycode: int, shift: bool = False) -> list[str]:
    """The key-table actions a key press reaches (the real handlers are swapped for recorders)."""
    seen: list[str] = []
    actions = app.mode.key_actions()
    app.mode.key_actions = lambda: {name: (lambda name=name: seen.append(name)) for name in actions}
    key(keycode, pygame.KMOD_SHIFT if shift else 0)
    ticks(app, 1)
    del app.mode.key_actions
    return seen


def test_every_key_in_the_help_is_the_key_the_mode_acts_on(tmp_path):
    from aria_desktop.app.modes import modes_in_order

    tabled = [m.name for m in modes_in_order() if m.keys.entries]  # every mode with a key table is checked
    assert {"play", "watch", "dream", "launcher", "replay"} <= set(tabled)
    for mode in tabled:
        if mode == "dream":  # Breakout in a (tiny, untrained) world model
            from dream_support import write_dream

            app = make_app(tmp_path / mode, mode, checkpoint=write_dream(tmp_path / mode), record=False)
        else:
            app = make_app(tmp_path / mode, mode, game="tg01", env_dir=make_env_dir(tmp_path / mode))
        assert app.mode.name == mode, app.error
        table = app.mode.keys
        assert set(app.mode.key_actions()) == set(table.actions)  # every action has a handler
        lines = table.help_lines()
        assert dict(app._help_sections())[f"Mode: {app.mode.title}"][: len(lines)] == lines
        for entry in table.entries:
            for keycode in entry.keys:
                assert _dispatched(app, keycode, entry.shift) == [entry.action], (mode, pygame.key.name(keycode))
        app.close()


def test_the_app_keys_in_the_help_are_the_ones_it_handles(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path))
    assert dict(app._help_sections())["App"][: len(APP_KEYS.entries)] == APP_KEYS.help_lines()
    key(pygame.K_F1)
    ticks(app, 1)
    assert app.show_help
    key(pygame.K_ESCAPE)  # closes the help first
    ticks(app, 1)
    assert not app.show_help and app.running
    key(pygame.K_F12)
    ticks(app, 1)
    assert list((tmp_path / "shots").glob("*.png"))
    key(pygame.K_ESCAPE)
    assert app.tick() is False


def _press_in_a_fresh_state(app, keycode: int, shift: bool, prepare) -> None:
    prepare(app.mode)
    key(keycode, pygame.KMOD_SHIFT if shift else 0)
    ticks(app, 1)


def test_every_replay_key_does_what_its_help_line_says(tmp_path):
    from atari_support import record_breakout

    from aria_desktop.app.modes.replay import REPLAY_KEYS

    record_breakout(tmp_path / "recordings", episodes=3, steps=30, previous_frame=False)
    app = make_app(tmp_path, "replay", game="breakout")
    ticks(app, 1)
    assert len(app.mode.paths) == 3
    steps = app.mode.view.steps

    def prepare(mode) -> None:  # the middle episode, paused at step 15, speed 1
        mode.open(1)
        mode.seek(15)
        mode.speed = 1.0

    # What each action leaves on screen: (episode, step, playing, speed).
    expected = {
        "back": (1, 14, False, 1.0), "forward": (1, 16, False, 1.0),
        "back_big": (1, 5, False, 1.0), "forward_big": (1, 25, False, 1.0),
        "first": (1, 0, False, 1.0), "last": (1, steps, False, 1.0),
        "play": (1, 16, True, 1.0),  # the frame drawn after the key has already advanced one step (1/15 s)
        "faster": (1, 15, False, 2.0), "slower": (1, 15, False, 0.5),
        "previous_episode": (0, 0, False, 1.0), "next_episode": (2, 0, False, 1.0),
    }
    assert set(expected) == set(REPLAY_KEYS.actions)  # a new key needs its effect checked here
    help_lines = dict(app._help_sections())["Mode: REPLAY"]
    for entry, line in zip(REPLAY_KEYS.entries, REPLAY_KEYS.help_lines(), strict=False):
        assert line in help_lines
        for keycode in entry.keys:
            _press_in_a_fresh_state(app, keycode, entry.shift, prepare)
            m = app.mode
            assert (m.index, m.t, m.playing, m.speed) == expected[entry.action], (entry.action, pygame.key.name(keycode))
            m.playing = False
    app.close()


def test_every_launcher_key_does_what_its_help_line_says(tmp_path, monkeypatch):
    import aria_desktop.paths
    from aria_desktop.agents import AGENT_NAMES

    monkeypatch.setattr(aria_desktop.paths, "DEFAULT_RUNS", tmp_path / "no-runs")  # no trained dream to open
    app = make_app(tmp_path, "launcher", game="maze", agent=AGENT_NAMES[0], record=True)
    ticks(app, 1)
    table = app.mode.keys
    help_lines = dict(app._help_sections())["Mode: LAUNCHER"]
    maze = [g.open_id for g in app.mode.games].index("maze")
    breakout = [g.open_id for g in app.mode.games].index("breakout")

    def on(game: int):
        def prepare(mode) -> None:
            if mode.name != "launcher":
                app.switch("launcher")
                mode = app.mode
            mode.selected = game
        return prepare

    def launched(name: str):
        return lambda: app.mode.name == name and app.mode.game.id == "maze" if name != "replay" else app.mode.name == name

    n = len(app.mode.games)
    effects = {  # action -> (game selected first, what must hold after the key)
        "previous_game": (maze, lambda: app.mode.selected == (maze - 1) % n),
        "next_game": (maze, lambda: app.mode.selected == (maze + 1) % n),
        "agent": (maze, lambda: app.selection.agent == AGENT_NAMES[1]),
        "record": (maze, lambda: app.selection.record is False),
        "out_dir": (maze, lambda: app.mode.editing == str(app.selection.out_dir) and app.mode.editing_field == "out_dir"),
        "env_dir": (maze, lambda: app.mode.editing == "" and app.mode.editing_field == "env_dir"),
        "launch_play": (maze, launched("play")),
        "launch_watch": (maze, launched("watch")),
        "launch_replay": (maze, launched("replay")),
        "launch_train": (maze, lambda: app.mode.name == "train"),
        "launch_dream": (breakout, lambda: app.mode.name == "launcher" and "no trained dream" in (app.error or "")),
    }
    assert set(effects) == set(table.actions)  # a new key needs its effect checked here
    for entry, line in zip(table.entries, table.help_lines(), strict=False):
        assert line in help_lines
        game, holds = effects[entry.action]
        for keycode in entry.keys:
            app.selection.agent, app.selection.record, app.error = AGENT_NAMES[0], True, None
            _press_in_a_fresh_state(app, keycode, entry.shift, on(game))
            assert holds(), (entry.action, pygame.key.name(keycode), app.error)
            if app.mode.name == "launcher" and app.mode.editing is not None:
                tap(pygame.K_ESCAPE)  # close the folder field
                ticks(app, 1)
    app.close()


def _open_out_dir_field(app) -> None:
    tap(pygame.K_o)
    ticks(app, 1)
    for _ in range(len(app.mode.editing)):
        tap(pygame.K_BACKSPACE)  # delete, one character a press
    ticks(app, 1)
    assert app.mode.editing == ""


def test_the_folder_field_keys_are_in_the_help_and_typed_keys_stay_text(tmp_path):
    from aria_desktop.app.modes.launcher import FOLDER_FIELD_KEYS

    app = make_app(tmp_path, "launcher", record=True)
    ticks(app, 1)
    help_lines = dict(app._help_sections())["Mode: LAUNCHER"]
    assert all(line in help_lines for line in FOLDER_FIELD_KEYS.help_lines())
    assert set(FOLDER_FIELD_KEYS.actions) == {"keep", "cancel", "delete"}
    agent, out_dir = app.selection.agent, app.selection.out_dir
    _open_out_dir_field(app)
    for letter in "ace":  # the launcher's own keys, typed into the field: text, not actions
        tap(getattr(pygame, f"K_{letter}"))
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=letter))
    ticks(app, 1)
    assert app.mode.editing == "ace" and app.selection.record is True and app.selection.agent == agent
    tap(pygame.K_ESCAPE)  # cancel
    ticks(app, 1)
    assert app.mode.editing is None and app.selection.out_dir == out_dir and app.running
    for keycode in (pygame.K_RETURN, pygame.K_KP_ENTER):  # keep
        folder = tmp_path / f"kept{keycode}"
        _open_out_dir_field(app)
        pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=str(folder)))
        tap(keycode)
        ticks(app, 1)
        assert app.mode.editing is None and app.selection.out_dir == folder and app.mode.name == "launcher"
    app.close()
