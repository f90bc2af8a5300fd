"""What the window shows: frames drawn exact at integer scale, the ARC palette, the header; keymaps."""

from __future__ import annotations

import numpy as np
import pygame
from test_app_helpers import make_app, make_env_dir, tap, ticks

from aria_desktop.app.keymap import keymap_for
from aria_desktop.app.render import ARC_PALETTE, frame_rect, window_to_grid


def _drawn(app) -> np.ndarray:
    """The pixels of the frame as drawn in the window, (H, W, 3)."""
    rect = app.mode.frame_rect
    return pygame.surfarray.array3d(app.screen.subsurface(rect)).swapaxes(0, 1)


def test_arc_frame_is_drawn_scaled_with_the_exact_palette(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path), record=False)
    ticks(app, 2)
    grid = app.mode.shown
    rect = app.mode.frame_rect
    s = rect.width // 64
    assert s >= 2 and rect.width == rect.height == 64 * s
    expected = np.repeat(np.repeat(ARC_PALETTE[grid], s, axis=0), s, axis=1)
    np.testing.assert_array_equal(_drawn(app), expected)
    # The player (blue, 9) and the goal (green, 14) are where the game put them.
    assert tuple(app.screen.get_at((rect.x + s // 2, rect.y + s // 2)))[:3] == (0x1E, 0x93, 0xFF)
    assert tuple(app.screen.get_at((rect.x + 9 * s, rect.y + s)))[:3] == (0x4F, 0xCC, 0x30)
    app.close()


def test_breakout_frame_is_drawn_exactly_and_the_header_is_there(tmp_path):
    app = make_app(tmp_path, "play", game="breakout", record=False)
    ticks(app, 3)
    frame = app.mode.shown
    rect = app.mode.frame_rect
    s = rect.width // 160
    assert rect.size == (160 * s, 210 * s)
    np.testing.assert_array_equal(_drawn(app), np.repeat(np.repeat(frame, s, axis=0), s, axis=1))
    header = app.last_header
    assert header[:3] == ["PLAY", "Atari Breakout", "human"]
    assert "step 3" in header and any(p.startswith("score 0") for p in header)
    # Text was really drawn in the header strip (more than its background colour).
    strip = pygame.surfarray.array3d(app.screen.subsurface((0, 0, app.screen.get_width(), 30)))
    assert len(np.unique(strip.reshape(-1, 3), axis=0)) > 3
    app.close()


def test_window_pixels_map_exactly_to_grid_cells():
    area = pygame.Rect(10, 40, 700, 500)
    rect = frame_rect((64, 64), area)
    s = rect.width // 64
    for gx, gy in [(0, 0), (63, 63), (37, 21)]:
        first = (rect.x + gx * s, rect.y + gy * s)
        last = (rect.x + gx * s + s - 1, rect.y + gy * s + s - 1)
        assert window_to_grid(first, rect, (64, 64)) == (gx, gy)
        assert window_to_grid(last, rect, (64, 64)) == (gx, gy)
    assert window_to_grid((rect.x - 1, rect.y), rect, (64, 64)) is None
    assert window_to_grid((rect.right, rect.y), rect, (64, 64)) is None


def test_resizing_rescales_the_frame(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path), record=False)
    ticks(app, 1)
    before = app.mode.frame_rect.width
    app.resize(700, 450)
    ticks(app, 1)
    after = app.mode.frame_rect.width
    assert after < before and after % 64 == 0
    app.close()


def test_keymaps_bind_only_available_actions(tmp_path):
    from aria_desktop.games.breakout import BreakoutGame
    from aria_desktop.games.catalog import open_game

    breakout = BreakoutGame()
    km = keymap_for(breakout)
    assert km.realtime and km.noop == 0
    assert km.lookup((pygame.K_SPACE,)) == 1 and km.lookup((pygame.K_d,)) == 2 and km.lookup((pygame.K_LEFT,)) == 3
    assert km.lookup((pygame.K_UP,)) is None  # Breakout has no UP
    # FIRE held with RIGHT is no Breakout action: the key pressed last decides.
    both = tuple(sorted((pygame.K_RIGHT, pygame.K_SPACE)))
    assert km.lookup(both) is None
    assert km.realtime_action(both, pygame.K_SPACE) == 1
    assert km.realtime_action((), None) == 0
    breakout.close()

    arc = open_game("tg01", make_env_dir(tmp_path))  # actions 1-4, 6, 7 (no ACTION5)
    km = keymap_for(arc)
    assert not km.realtime and km.click_action == 6
    assert km.lookup((pygame.K_w,)) == 1 and km.lookup((pygame.K_RIGHT,)) == 4
    assert km.lookup(tuple(sorted((pygame.K_LCTRL, pygame.K_z)))) == 7
    assert km.lookup((pygame.K_r,)) == 0
    assert km.lookup((pygame.K_SPACE,)) is None  # ACTION5 is not available in this game
    assert {b.action for b in km.bindings} <= {a.index for a in arc.actions}


def test_help_overlay_lists_the_game_bindings(tmp_path):
    app = make_app(tmp_path, "play", game="tg01", env_dir=make_env_dir(tmp_path), record=False)
    ticks(app, 1)
    plain = pygame.surfarray.array3d(app.screen).copy()
    tap(pygame.K_F1)
    ticks(app, 1)
    assert app.show_help
    sections = dict(app._help_sections())
    game_lines = dict(next(lines for title, lines in sections.items() if title.startswith("Game")))
    assert game_lines["Ctrl+Z"].startswith("ACTION7") and "Mouse click" in game_lines
    assert not any(v.startswith("ACTION5") for v in game_lines.values())
    assert not np.array_equal(pygame.surfarray.array3d(app.screen), plain)  # the overlay is drawn
    tap(pygame.K_F1)
    ticks(app, 1)
    assert not app.show_help
    app.close()


def test_key_combinations_are_bound_when_the_action_set_has_them():
    from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame

    game = BreakoutGame(BreakoutConfig(full_action_space=True))  # ALE's 18 actions
    index = {a.name: a.index for a in game.actions}
    km = keymap_for(game)
    assert km.lookup(tuple(sorted((pygame.K_RIGHT, pygame.K_SPACE)))) == index["RIGHTFIRE"]
    assert km.lookup(tuple(sorted((pygame.K_w, pygame.K_a, pygame.K_SPACE)))) == index["UPLEFTFIRE"]
    assert km.lookup(tuple(sorted((pygame.K_UP, pygame.K_RIGHT)))) == index["UPRIGHT"]
    assert km.realtime_action(tuple(sorted((pygame.K_DOWN, pygame.K_LEFT))), pygame.K_LEFT) == index["DOWNLEFT"]
    assert len({b.action for b in km.bindings}) == 17  # every action but NOOP has keys
    game.close()


def test_palette_is_the_toolkits_palette():
    from arc_agi.rendering import COLOR_MAP

    from aria_desktop.app.render import ARC_PALETTE

    expected = [[int(COLOR_MAP[i][k : k + 2], 16) for k in (1, 3, 5)] for i in range(16)]
    assert ARC_PALETTE.tolist() == expected
