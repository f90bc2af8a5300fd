"""Gems: slide across the ice, collect every gem, then leave through the exit.

Keyboard game (ACTION1-4 = up, down, left, right). The floor is ice: a push sends the skater
sliding, one cell per frame, until a wall or a rock stops it, or it lands on a patch of snow.
Gems it slides over are collected on the way. The exit in the outer wall stays shut (maroon)
until the last gem is taken, then opens (green); sliding into it flashes and wins the level.
Everything that matters is drawn, so the frame is the whole state.

Level legend: '#' wall, 'o' rock, '.' ice, '+' snow, '*' gem, 'P' skater start, 'E' exit.
"""

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


def _layer_sprite(rows: list[str], marks: str, colour: int, name: str) -> Sprite:
    pixels = [[colour if c in marks else -1 for c in row] for row in rows]
    return Sprite(pixels, name=name, x=0, y=0, layer=0, tags=[name])


def build_level(text: str, index: int) -> Level:
    rows = _rows(text)
    h, w = len(rows), len(rows[0])
    sprites = [
        _layer_sprite(rows, "#", COLOURS.wall, "walls"),
        _layer_sprite(rows, "o", COLOURS.rock, "rocks"),
        _layer_sprite(rows, "+", COLOURS.snow, "snow"),
    ]
    for y, row in enumerate(rows):
        for x, c in enumerate(row):
            if c == "*":
                sprites.append(Sprite([[COLOURS.gem]], name="gem", x=x, y=y, layer=1, tags=["gem"]))
            elif c == "E":
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

    def on_set_level(self, level: Level) -> None:
        # Walls, rocks and snow never change: boolean grids answer "solid?" and "snow?" fast.
        walls = level.get_sprites_by_name("walls")[0].pixels >= 0
        self._solid = walls | (level.get_sprites_by_name("rocks")[0].pixels >= 0)
        self._snow = level.get_sprites_by_name("snow")[0].pixels >= 0
        self._flash = 0

    def _sprite(self, name: str) -> Sprite:
        return self.current_level.get_sprites_by_name(name)[0]

    def _exit_open(self) -> bool:
        return not self.current_level.get_sprites_by_name("gem")

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
            self.complete_action()  # against a wall or rock: nothing changes
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
        for gem in self.current_level.get_sprites_by_name("gem"):
            if (gem.x, gem.y) == (x, y):
                self.current_level.remove_sprite(gem)
        if self._exit_open():
            self._sprite("exit").color_remap(None, COLOURS.exit_open)

    def _flash_step(self) -> None:
        self._flash -= 1
        self._sprite("skater").color_remap(None, COLOURS.flash if self._flash % 2 == 1 else COLOURS.skater)
        if self._flash == 0:
            self.next_level()
            self.complete_action()
