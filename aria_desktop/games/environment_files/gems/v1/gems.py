"""Gems: slide across the ice, collect every gem, then leave through the exit.

Keyboard game (ACTION1-4 = up, down, left, right). The floor is ice: a push sends the skater
sliding, one cell per frame, until a wall or a rock stops it, or it lands on a patch of snow.
Gems it slides over are collected on the way. The exit in the outer wall stays shut (maroon)
until the last gem is taken, then opens (green); sliding into it flashes and wins the level.
Everything that matters is drawn, so the frame is the whole state.

Level legend: '#' wall, 'o' rock, '.' ice, '+' snow, '*' gem, 'P' skater start, 'E' exit.
"""

import copy
from dataclasses import dataclass

import numpy as np
from arcengine import ARCBaseGame, Camera, GameAction, Level, Sprite


@dataclass(frozen=True)
class GemsColours:
    ice: int = 10  # light blue
    wall: int = 4  # off-black
    rock: int = 2  # light grey
    snow: int = 0  # white
    gem: int = 11  # yellow
    skater: int = 8  # red
    exit_shut: int = 13  # maroon
    exit_open: int = 14  # green
    flash: int = 0  # white: the skater flashes in the exit
    letter_box: int = 5  # black


@dataclass(frozen=True)
class GemsConfig:
    flash_frames: int = 4  # frames of the level-complete flash: white, red, white, red


COLOURS = GemsColours()
CONFIG = GemsConfig()

MOVES = {
    GameAction.ACTION1: (0, -1),
    GameAction.ACTION2: (0, 1),
    GameAction.ACTION3: (-1, 0),
    GameAction.ACTION4: (1, 0),
}

LEVELS = [
    # 1: two gems; the rock is the only brake on the way to the second one
    """
#######
#.....#
#*....#
#.Po.*#
#.....#
#..o..#
####E##
""",
    # 2: three gems, rocks to bounce off
    """
#########
#..*....#
#.o*....#
#......o#
#o.oo...E
#.......#
#....P..#
#..*....#
#########
""",
    # 3: snow patches stop the skater mid-ice
    """
###########
#..o..**.P#
#.o.......#
#...o.+..o#
#......o..#
#o...+....#
#...*.....#
#.........#
#..o....*.#
#..o......#
#E#########
""",
    # 4: five gems spread over a wide rink
    """
#############
#.o*.....o*o#
#*...o......#
#......o....#
#o*........o#
#.........+P#
#...o.......#
#....+......#
#o...*......#
#...........#
#...o......o#
#..o....+...#
#E###########
""",
]


def _rows(text: str) -> list[str]:
    return [row for row in text.strip("\n").splitlines() if row]


def _grid_sprite(rows: list[str], colours: dict[str, int], name: str, layer: int) -> Sprite:
    """One sprite covering the whole level, coloured where `rows` holds one of `colours`' marks."""
    pixels = [[colours.get(c, -1) for c in row] for row in rows]
    return Sprite(pixels, name=name, x=0, y=0, layer=layer, tags=[name])


def build_level(text: str, index: int) -> Level:
    rows = _rows(text)
    h, w = len(rows), len(rows[0])
    terrain = {"#": COLOURS.wall, "o": COLOURS.rock, "+": COLOURS.snow}
    sprites = [
        _grid_sprite(rows, terrain, "terrain", layer=0),
        _grid_sprite(rows, {"*": COLOURS.gem}, "gems", layer=1),  # a collected gem turns transparent
    ]
    for y, row in enumerate(rows):
        for x, c in enumerate(row):
            if c == "E":
                sprites.append(Sprite([[COLOURS.exit_shut]], name="exit", x=x, y=y, layer=1, tags=["exit"]))
            elif c == "P":
                sprites.append(Sprite([[COLOURS.skater]], name="skater", x=x, y=y, layer=2, tags=["player"]))
    return Level(sprites=sprites, grid_size=(w, h), name=f"gems-{index + 1}")


class Gems(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._solid = np.zeros((1, 1), dtype=bool)
        self._snow = np.zeros((1, 1), dtype=bool)
        self._flash = 0  # level-complete flash frames still to show (0 between actions)
        levels = [build_level(text, i) for i, text in enumerate(LEVELS)]
        camera = Camera(background=COLOURS.ice, letter_box=COLOURS.letter_box)
        super().__init__(game_id="gems", levels=levels, camera=camera, available_actions=[1, 2, 3, 4], seed=seed)

    # -- cheap copies for the solver's search -----------------------------------------------------
    def on_set_level(self, level: Level) -> None:
        # A level is played on a fresh clone, so the levels not being played are never changed in place
        # and copies of the game can share them (see __deepcopy__).
        self._levels[self._current_level_index] = level.clone()
        terrain = self._sprite("terrain").pixels  # the terrain never changes: precompute its grids
        self._solid = (terrain == COLOURS.wall) | (terrain == COLOURS.rock)
        self._snow = terrain == COLOURS.snow
        self._flash = 0

    def __deepcopy__(self, memo: dict) -> "Gems":
        """Copy only the level being played; the solver copies the game for every state it visits."""
        clone = copy.copy(self)
        memo[id(self)] = clone
        for name, value in vars(self).items():
            if name == "_levels":
                levels = list(value)
                levels[self._current_level_index] = copy.deepcopy(value[self._current_level_index], memo)
                setattr(clone, name, levels)
            elif name != "_clean_levels":  # pristine levels: only ever cloned, never changed
                setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    # -- the game ---------------------------------------------------------------------------------
    def _sprite(self, name: str) -> Sprite:
        return self.current_level.get_sprites_by_name(name)[0]

    def _exit_open(self) -> bool:
        return not bool((self._sprite("gems").pixels >= 0).any())

    def _blocked(self, x: int, y: int) -> bool:
        h, w = self._solid.shape
        if not (0 <= x < w and 0 <= y < h) or self._solid[y, x]:
            return True
        exit_ = self._sprite("exit")
        return (x, y) == (exit_.x, exit_.y) and not self._exit_open()

    def step(self) -> None:
        if self._flash:
            self._flash_step()
            return
        move = MOVES.get(self.action.id)
        if move is None:  # RESET (handled by the engine) or an action this game does not use
            self.complete_action()
            return
        dx, dy = move
        skater = self._sprite("skater")
        if self._blocked(skater.x + dx, skater.y + dy):
            self.complete_action()  # against a wall or a rock: nothing changes
            return
        skater.move(dx, dy)
        self._collect(skater.x, skater.y)
        exit_ = self._sprite("exit")
        if (skater.x, skater.y) == (exit_.x, exit_.y):
            self._flash = CONFIG.flash_frames
            return
        if self._snow[skater.y, skater.x] or self._blocked(skater.x + dx, skater.y + dy):
            self.complete_action()

    def _collect(self, x: int, y: int) -> None:
        gems = self._sprite("gems")
        if gems.pixels[y, x] >= 0:
            gems.pixels[y, x] = -1
            if self._exit_open():
                self._sprite("exit").color_remap(None, COLOURS.exit_open)

    def _flash_step(self) -> None:
        self._flash -= 1
        self._sprite("skater").color_remap(None, COLOURS.flash if self._flash % 2 == 1 else COLOURS.skater)
        if self._flash == 0:
            self.next_level()
            self.complete_action()
