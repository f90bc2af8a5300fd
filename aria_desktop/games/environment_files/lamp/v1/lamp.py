"""Lamp: a click game for ARIA about switches wired to lamps, written on arcengine.

A row of lamps sits at the top; each coloured switch on the left drives a wire across the board, and a
square in the switch's colour under a lamp shows that the switch is wired to it. Clicking a switch
(ACTION6) presses it and flips every lamp wired to it, one lamp after another, left to right. Light
every lamp to finish the level: the lamps flash and the next level appears. Clicks anywhere else do nothing.

Loaded by the toolkit as a standalone module: imports arcengine, numpy and the standard library only.
"""

import copy
from dataclasses import dataclass, replace

import numpy as np
from arcengine import ARCBaseGame, BlockingMode, Camera, Level, Sprite

PITCH = 4  # level pixels from one lamp (or switch row) to the next; lamps and switches are 3x3
TOP = 1  # a margin above the lamps (there is no room for one at the sides: 8 columns of 4 fill 32 pixels)
BACKGROUND, LEAD = 5, 3  # black board, dark-grey leads down from each lamp
LAMP_ON, LAMP_OFF, LAMP_GLASS, LAMP_SOCKET, FLASH = 11, 3, 0, 4, 14
PRESSED = 0  # a pressed switch shows a white centre
SWITCH_COLOURS = [9, 14, 8, 15, 12, 6]  # blue, green, red, purple, orange, magenta
T = -1  # transparent


@dataclass(frozen=True)
class Board:
    """One level: which lamps start lit ('x') and, per switch, the lamps it is wired to ('x')."""

    lamps: str
    switches: tuple[str, ...]


BOARDS = [
    Board("...", ("xx.", ".x.", "..x")),
    Board(".x...", ("...xx", "xxx..", "x.x..")),
    Board("x.....", ("x..xxx", "xx.x.x", "..xx.x", "..xxx.")),
    Board(".x.x.x.", ("xxx..x.", "x.x.xx.", ".xx.xx.", "x..x.x.", "x..x..x")),
    Board(".....xx", ("...xx.x", "x.x.xx.", ".x...xx", "..xxxx.", "x..xx..", "...xxx.")),
]


def _lamp_pixels(lit: bool, flash: bool = False) -> np.ndarray:
    if flash:
        return np.full((3, 3), FLASH, dtype=np.int8)
    colour, centre = (LAMP_ON, LAMP_GLASS) if lit else (LAMP_OFF, LAMP_SOCKET)
    pixels = np.full((3, 3), colour, dtype=np.int8)
    pixels[1, 1] = centre
    return pixels


def _switch_pixels(colour: int, pressed: bool) -> np.ndarray:
    pixels = np.full((3, 3), colour, dtype=np.int8)
    if pressed:
        pixels[1, 1] = PRESSED
    return pixels


def _wire_sprite(board: Board, width: int, height: int) -> Sprite:
    """The wiring diagram: a lead down from each lamp, a wire along each switch's row, a square where they join."""
    pixels = np.full((height, width), T, dtype=np.int8)
    rows = len(board.switches)
    for lamp in range(len(board.lamps)):
        x = (lamp + 1) * PITCH + 1
        pixels[3 : rows * PITCH + 2, x] = LEAD
    for row, wiring in enumerate(board.switches):
        y = (row + 1) * PITCH + 1
        colour = SWITCH_COLOURS[row]
        last = wiring.rindex("x") + 1
        pixels[y, 3 : last * PITCH + 2] = colour
        for lamp, c in enumerate(wiring):
            if c == "x":
                x = (lamp + 1) * PITCH
                pixels[y - 1 : y + 2, x : x + 3] = colour
    return Sprite(pixels, name="wires", y=TOP, layer=0, blocking=BlockingMode.NOT_BLOCKED, tags=["static"])


def _level(index: int, board: Board) -> Level:
    if any(len(w) != len(board.lamps) or "x" not in w for w in board.switches):
        raise ValueError(f"lamp level {index + 1}: every switch needs one wiring mark per lamp and at least one lamp")
    if len(board.switches) > len(SWITCH_COLOURS):
        raise ValueError(f"lamp level {index + 1}: at most {len(SWITCH_COLOURS)} switches")
    width, height = (len(board.lamps) + 1) * PITCH, (len(board.switches) + 1) * PITCH
    sprites = [_wire_sprite(board, width, height)]
    height += TOP
    for i, c in enumerate(board.lamps):
        sprites.append(
            Sprite(_lamp_pixels(c == "x"), name=f"lamp{i}", x=(i + 1) * PITCH, y=TOP, layer=1,
                   blocking=BlockingMode.NOT_BLOCKED, tags=["lamp"])
        )
    for row, wiring in enumerate(board.switches):
        sprites.append(
            Sprite(_switch_pixels(SWITCH_COLOURS[row], False), name=f"switch{row}", x=0, y=TOP + (row + 1) * PITCH,
                   layer=1, tags=["switch", "sys_click"])
        )
    return Level(sprites=sprites, grid_size=(width, height), data={"board": board}, name=f"lamp-{index + 1}")


@dataclass
class Flip:
    """A switch press in progress: the switch, its row, and the lamps still to flip, in order."""

    switch: Sprite
    row: int
    lamps: tuple[int, ...]
    solved: bool = False  # every lamp is lit: one more frame flashes them, then the next level


class Lamp(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._board: Board = BOARDS[0]
        self._flip: Flip | None = None
        super().__init__(
            game_id="lamp",
            levels=[_level(i, board) for i, board in enumerate(BOARDS)],
            camera=Camera(background=BACKGROUND, letter_box=BACKGROUND),
            available_actions=[6],
            seed=seed,
        )

    def on_set_level(self, level: Level) -> None:
        # Entering a level always starts from a fresh clone, so only the current level is ever changed
        # and copies of the game (the solver's search, take-over snapshots) can share all the others.
        index = self.level_index
        self._levels[index] = self._clean_levels[index].clone()
        self._board = self.current_level.get_data("board")
        self._flip = None

    def __deepcopy__(self, memo: dict) -> "Lamp":
        """A cheap copy for the solver's search and for snapshots: it owns copies of what play changes
        (lamps, switches, the camera, a press in progress) and shares what never changes in place."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(self.__dict__)
        level = self.current_level
        mobile = {id(s): copy.copy(s) for s in level.get_sprites() if "static" not in s.tags}
        sprites = [mobile.get(id(s), s) for s in level.get_sprites()]
        clone._levels = list(self._levels)
        clone._levels[self.level_index] = Level(
            sprites=sprites, grid_size=level.grid_size, data=level._data, name=level.name
        )
        clone._camera = copy.deepcopy(self._camera, memo)
        if self._flip is not None:
            clone._flip = replace(self._flip, switch=mobile[id(self._flip.switch)])
        return clone

    # -- state, read from the sprites ---------------------------------------------------------------
    def _lamp(self, i: int) -> Sprite:
        return self.current_level.get_sprites_by_name(f"lamp{i}")[0]

    def _lit(self, i: int) -> bool:
        return int(self._lamp(i).pixels[0, 0]) == LAMP_ON

    def _clicked_switch(self) -> Sprite | None:
        data = self.action.data or {}
        if "x" not in data or "y" not in data:
            return None
        cell = self.camera.display_to_grid(int(data["x"]), int(data["y"]))
        if cell is None:  # the letterbox around the board
            return None
        return self.current_level.get_sprite_at(cell[0], cell[1], tag="switch")

    # -- the game loop: called once per frame until complete_action() --------------------------------
    def step(self) -> None:
        flip = self._flip
        if flip is None:
            switch = self._clicked_switch()
            if switch is None:  # a click on a lamp, a wire or empty board: nothing happens
                self.complete_action()
                return
            row = int(switch.name.removeprefix("switch"))
            wired = tuple(i for i, c in enumerate(self._board.switches[row]) if c == "x")
            self._flip = Flip(switch, row, wired)
            switch.pixels = _switch_pixels(SWITCH_COLOURS[row], pressed=True)
            return
        if flip.solved:
            for i in range(len(self._board.lamps)):
                self._lamp(i).pixels = _lamp_pixels(True, flash=True)
            self._flip = None
            self.next_level()
            self.complete_action()
            return
        lamp, flip.lamps = flip.lamps[0], flip.lamps[1:]
        self._lamp(lamp).pixels = _lamp_pixels(not self._lit(lamp))
        if flip.lamps:
            return
        flip.switch.pixels = _switch_pixels(SWITCH_COLOURS[flip.row], pressed=False)
        if all(self._lit(i) for i in range(len(self._board.lamps))):
            flip.solved = True
            return
        self._flip = None
        self.complete_action()
