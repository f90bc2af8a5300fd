"""Keys and help cannot drift: every line F1 shows for a mode is a key its handler acts on, and back."""

from __future__ import annotations

import pygame
from test_app_helpers import key, make_app, make_env_dir, ticks

from aria_desktop.app.keymap import APP_KEYS


def _dispatched(app, keycode: int) -> list[str]:
    """The key-table actions a key press reaches (the real handlers are swapped for recorders)."""
    seen: list[str] = []
    actions = app.mode.key_actions()
    app.mode.key_actions = lambda: {name: (lambda name=name: seen.append(name)) for name in actions}
    key(keycode)
    ticks(app, 1)
    del app.mode.key_actions
    return seen


def test_every_key_in_the_help_is_the_key_the_mode_acts_on(tmp_path):
    from aria_desktop.app.modes import modes_in_order

    tabled = [m.name for m in modes_in_order() if m.keys.entries]  # every mode with a key table is checked
    assert {"play", "watch", "dream"} <= set(tabled)
    for mode in tabled:
        if mode == "dream":  # Breakout in a (tiny, untrained) world model
            from dream_support import write_dream

            app = make_app(tmp_path / mode, mode, checkpoint=write_dream(tmp_path / mode), record=False)
        else:
            app = make_app(tmp_path / mode, mode, game="tg01", env_dir=make_env_dir(tmp_path / mode))
        assert app.mode.name == mode, app.error
        table = app.mode.keys
        assert set(app.mode.key_actions()) == set(table.actions)  # every action has a handler
        assert dict(app._help_sections())[f"Mode: {app.mode.title}"] == table.help_lines()
        for entry in table.entries:
            for keycode in entry.keys:
                assert _dispatched(app, keycode) == [entry.action], (mode, pygame.key.name(keycode))
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
