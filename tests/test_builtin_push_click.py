"""The built-in games push (keyboard, crates), lamp and tile (click): each one's own rules checked on real
frames, clicks included. What every built-in game owes is in test_builtin_games.py."""

from __future__ import annotations

import numpy as np
from arcengine import GameState
from builtin_support import (
    CLICK,
    DOWN,
    LEFT,
    RIGHT,
    UNDO,
    UP,
    open_builtin,
    plans,
    replay,
)

from aria_desktop.games.arc import ArcGame

LAMP_ON, CRATE_HOME, FLASH_WHITE, PIP_LEFT = 11, 14, 0, 12


def _sprite(game: ArcGame, name: str):
    found = game.engine.current_level.get_sprites_by_name(name)
    assert found, f"{game.id} has no sprite {name}"
    return found[0]


def _display_rect(game: ArcGame, sprite) -> tuple[int, int, int, int]:
    """Where a sprite appears in the 64x64 frame: the level is scaled up by a whole factor and centred
    (the toolkit's letterbox). Written here from that rule, not taken from the engine's mapping."""
    w, h = game.engine.current_level.grid_size
    scale = min(64 // w, 64 // h)
    x0, y0 = (64 - w * scale) // 2, (64 - h * scale) // 2
    x, y = x0 + sprite.x * scale, y0 + sprite.y * scale
    return x, y, x + sprite.width * scale, y + sprite.height * scale


def _centre(rect: tuple[int, int, int, int]) -> tuple[int, int]:
    x0, y0, x1, y1 = rect
    return (x0 + x1) // 2, (y0 + y1) // 2


def _colour_at(game: ArcGame, name: str) -> int:
    x, y = _centre(_display_rect(game, _sprite(game, name)))
    return int(game.frame[y, x])


def _assert_click_changes_nothing(game: ArcGame, xy: tuple[int, int]) -> None:
    before = game.frame.copy()
    step = game.step(CLICK, xy)
    assert len(step.frames) == 1, f"a click at {xy} animated"
    np.testing.assert_array_equal(step.frame, before, err_msg=f"a click at {xy} changed the frame")
    assert step.reward == 0 and not step.terminated


# -- push ------------------------------------------------------------------------------------------------
# Level 1:  #######
#           #o....#    the mover (@) starts under the crate ($); the target (o) is at the top left
#           #..$..#
#           #..@..#
#           #.....#
#           #######


def test_push_walls_and_crates_block() -> None:
    game = open_builtin("push")
    walk = game.step(DOWN)
    assert len(walk.frames) == 2  # a step slides over two frames
    assert not np.array_equal(walk.frames[0], walk.frames[1])
    before = game.frame.copy()
    blocked = game.step(DOWN)  # the wall below
    assert len(blocked.frames) == 1
    np.testing.assert_array_equal(blocked.frame, before)
    game.step(UP)
    push = game.step(UP)  # pushes the crate up against the top wall
    assert len(push.frames) == 4  # a push slides over four frames, the crate moving in each
    assert len({f.tobytes() for f in push.frames}) == 4
    before = game.frame.copy()
    refused = game.step(UP)  # the crate would go into the wall: nothing moves
    np.testing.assert_array_equal(refused.frame, before)
    assert refused.reward == 0 and not refused.terminated


def test_push_a_crate_cannot_push_another_crate() -> None:
    """Level 3:  #..o..#  with two crates side by side above the mover: walk round to the right of
                 #.$$..#  them and push left; the second crate stops the first."""
    game = open_builtin("push")
    solution = plans("push")
    replay(game, solution[0] + solution[1])
    for move in (DOWN, RIGHT, RIGHT, UP, UP, LEFT):
        game.step(move)
    mover = _sprite(game, "mover")
    assert (mover.x, mover.y) == (4 * 4, 2 * 4)  # cell (4, 2), cells being 4 level pixels: right of the crates
    before = game.frame.copy()
    refused = game.step(LEFT)
    assert len(refused.frames) == 1
    np.testing.assert_array_equal(refused.frame, before)


def test_push_undo_steps_back_through_the_level() -> None:
    game = open_builtin("push")
    start = game.frame.copy()
    np.testing.assert_array_equal(game.step(UNDO).frame, start)  # nothing to undo yet
    frames = [start]
    for move in (UP, RIGHT, UP):  # push the crate, step aside, walk up beside it
        game.step(move)
        frames.append(game.frame.copy())
    game.step(UP)  # refused by the wall above: there is nothing to undo for it
    for expected in reversed(frames[:-1]):
        np.testing.assert_array_equal(game.step(UNDO).frame, expected)
    np.testing.assert_array_equal(game.step(UNDO).frame, start)


def test_push_winning_push_shows_the_crate_home_then_flashes() -> None:
    game = open_builtin("push")
    plan = plans("push")[0]
    replay(game, plan[:-1])
    last = game.step(plan[-1].choice.action)
    assert last.reward == 1 and game.info["levels_completed"] == 1
    home, flash, next_level = last.frames[-3], last.frames[-2], last.frames[-1]
    assert CRATE_HOME in home.ravel()  # the crate turned green on its target
    assert FLASH_WHITE in flash.ravel() and FLASH_WHITE not in home.ravel()
    np.testing.assert_array_equal(next_level, game.frame)
    assert not np.array_equal(next_level, flash)


# -- lamp ------------------------------------------------------------------------------------------------


def _lamps_lit(game: ArcGame, frame: np.ndarray | None = None) -> list[bool]:
    """Read from the frame (the current one by default): the colour of each lamp's rim (its centre is glass)."""
    frame = game.frame if frame is None else frame
    n = len(game.engine.current_level.get_sprites_by_tag("lamp"))
    corners = [_display_rect(game, _sprite(game, f"lamp{i}"))[:2] for i in range(n)]
    return [int(frame[y, x]) == LAMP_ON for x, y in corners]


def test_lamp_clicking_a_switch_flips_its_lamps_one_after_another() -> None:
    game = open_builtin("lamp")
    replay(game, plans("lamp")[0])  # level 2: lamps '.x...', switch 1 wired to 'xxx..'
    switch = _sprite(game, "switch1")
    rect = _display_rect(game, switch)
    xy = _centre(rect)
    assert int(game.frame[xy[1], xy[0]]) == int(switch.pixels[0, 0])  # the click lands on the switch's colour
    assert _lamps_lit(game) == [False, True, False, False, False]
    step = game.step(CLICK, xy)
    assert _lamps_lit(game) == [True, False, True, False, False]
    # The press (the switch shows a white centre), then one frame per wired lamp, left to right.
    assert [_lamps_lit(game, f) for f in step.frames] == [
        [False, True, False, False, False],
        [True, True, False, False, False],
        [True, False, False, False, False],
        [True, False, True, False, False],
    ]
    assert int(step.frames[0][xy[1], xy[0]]) == 0 and int(step.frames[-1][xy[1], xy[0]]) == int(switch.pixels[0, 0])
    assert step.reward == 0 and not step.terminated


def test_lamp_clicks_off_the_switches_change_nothing() -> None:
    game = open_builtin("lamp")
    replay(game, plans("lamp")[0])
    _assert_click_changes_nothing(game, (63, 63))  # the letterbox
    _assert_click_changes_nothing(game, _centre(_display_rect(game, _sprite(game, "lamp0"))))  # lamps are not buttons
    x0, y0, x1, y1 = _display_rect(game, _sprite(game, "switch0"))
    _assert_click_changes_nothing(game, (x1, y0))  # the empty board just right of the switch
    _assert_click_changes_nothing(game, (x1, (y0 + y1) // 2))  # the switch's wire, just right of it
    assert _lamps_lit(game) == [False, True, False, False, False]


# -- tile ------------------------------------------------------------------------------------------------
# Level 1: a 2x2 board, all blue; the pattern is yellow/blue over blue/yellow; 4 clicks allowed.


def _tile_colours(game: ArcGame) -> list[list[int]]:
    tiles = game.engine.current_level.get_sprites_by_tag("tile")
    rows = 1 + max(int(t.name[4:].split("_")[0]) for t in tiles)
    cols = 1 + max(int(t.name[4:].split("_")[1]) for t in tiles)
    return [[_colour_at(game, f"tile{r}_{c}") for c in range(cols)] for r in range(rows)]


def _pips_left(game: ArcGame) -> int:
    pips = game.engine.current_level.get_sprites_by_tag("pip")
    return sum(_colour_at(game, p.name) == PIP_LEFT for p in pips)


def test_tile_click_at_a_tile_centre_cycles_it_and_its_neighbours() -> None:
    game = open_builtin("tile")
    replay(game, plans("tile")[0])  # level 2: a 3x3 board in two colours
    before = np.array(_tile_colours(game))
    pips = _pips_left(game)
    xy = _centre(_display_rect(game, _sprite(game, "tile0_1")))
    assert int(game.frame[xy[1], xy[0]]) == before[0, 1]  # the click lands on that tile's colour
    step = game.step(CLICK, xy)
    after = np.array(_tile_colours(game))
    changed = sorted(zip(*np.nonzero(after != before)))
    assert [(int(r), int(c)) for r, c in changed] == [(0, 0), (0, 1), (0, 2), (1, 1)]
    assert _pips_left(game) == pips - 1
    assert len(step.frames) == 2  # the tile turns, then its neighbours
    mid = step.frames[0]
    assert int(mid[xy[1], xy[0]]) == after[0, 1] and not np.array_equal(mid, step.frames[1])


def test_tile_clicks_off_the_tiles_change_nothing() -> None:
    game = open_builtin("tile")
    _assert_click_changes_nothing(game, (0, 0))  # the letterbox
    x0, y0, x1, y1 = _display_rect(game, _sprite(game, "tile0_0"))
    _assert_click_changes_nothing(game, (x1, (y0 + y1) // 2))  # the gap between two tiles
    _assert_click_changes_nothing(game, _centre(_display_rect(game, _sprite(game, "pattern"))))
    _assert_click_changes_nothing(game, _centre(_display_rect(game, _sprite(game, "pip0"))))
    assert _pips_left(game) == 4


def test_tile_running_out_of_clicks_is_game_over_until_reset() -> None:
    game = open_builtin("tile")
    start = game.frame.copy()
    xy = _centre(_display_rect(game, _sprite(game, "tile0_0")))
    for left in (3, 2, 1):  # clicking one tile over and over never makes the pattern
        step = game.step(CLICK, xy)
        assert not step.terminated and _pips_left(game) == left
    step = game.step(CLICK, xy)
    assert step.terminated and game.info["state"] == GameState.GAME_OVER.value
    assert _pips_left(game) == 0
    ended = game.frame.copy()
    game.step(CLICK, xy)  # a finished game ignores clicks
    np.testing.assert_array_equal(game.frame, ended)
    np.testing.assert_array_equal(game.step(0).frame, start)  # RESET gives the level back, pips and all
    assert game.info["state"] == GameState.NOT_FINISHED.value and _pips_left(game) == 4
    replay(game, plans("tile")[0])
    assert game.info["levels_completed"] == 1
