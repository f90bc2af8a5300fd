"""Keys: pick up keys, open the doors of their colour, reach the exit.

Keyboard game (ACTION1-4 = up, down, left, right). The explorer walks one cell per key press,
drawn sliding over three frames. Walking over a key picks it up: it appears in the strip at the
top of the screen, which shows every key carried. Walking into a door of a carried key's colour
uses that key up: the door crumbles over two frames and the explorer walks through. A door with
no key to match blocks the way. Some levels hold fewer keys than doors: choose the right door.
Reaching the green exit flashes and opens the next level. The frame is the whole state.

Level legend: '#' wall, '.' floor, 'P' explorer start, 'E' exit, 'r'/'b'/'y'/'p' a red/blue/
yellow/purple key, 'R'/'B'/'Y'/'Q' a red/blue/yellow/purple door ('P' is taken by the explorer).
"""

import copy
from dataclasses import dataclass

import numpy as np
from arcengine import ARCBaseGame, Camera, GameAction, Level, Sprite


@dataclass(frozen=True)
class KeysColours:
    floor: int = 5  # black
    wall: int = 3  # grey
    hud: int = 1  # off-white strip holding the carried keys
    explorer: int = 0  # white
    exit: int = 14  # green
    keyhole: int = 5  # black centre of a door
    flash: int = 12  # orange: the explorer flashes on the exit
    letter_box: int = 4  # off-black


@dataclass(frozen=True)
class KeysConfig:
    cell: int = 3  # pixels per map cell (a key, a door and the explorer are 3x3 pictures)
    crumble_frames: int = 2  # an opened door: crumbling, then gone
    flash_frames: int = 4  # level-complete flash: orange, white, orange, white


COLOURS = KeysColours()
CONFIG = KeysConfig()
KEY_COLOURS = {"r": 8, "b": 9, "y": 11, "p": 15}  # red, blue, yellow, purple
DOOR_MARKS = {"R": "r", "B": "b", "Y": "y", "Q": "p"}

MOVES = {
    GameAction.ACTION1: (0, -1),
    GameAction.ACTION2: (0, 1),
    GameAction.ACTION3: (-1, 0),
    GameAction.ACTION4: (1, 0),
}


def key_picture(c: int) -> list[list[int]]:
    return [[-1, c, -1], [c, c, c], [-1, c, -1]]


def door_picture(c: int) -> list[list[int]]:
    return [[c, c, c], [c, COLOURS.keyhole, c], [c, c, c]]


def crumbling_picture(c: int) -> list[list[int]]:
    return [[c, -1, c], [-1, -1, -1], [c, -1, c]]


EXPLORER = [[-1, COLOURS.explorer, -1], [COLOURS.explorer] * 3, [COLOURS.explorer, -1, COLOURS.explorer]]
EXIT = [[COLOURS.exit, -1, COLOURS.exit], [-1, COLOURS.exit, -1], [COLOURS.exit, -1, COLOURS.exit]]

LEVELS = [
    # 1: one key, one door before the exit
    """
##########
#P..#....#
#...R..E.#
#.r.#....#
##########
""",
    # 2: the blue key waits behind the red door, the exit behind the blue one
    """
##########
#P..#..#.#
#.r.#b.#E#
#...R..B.#
##########
""",
    # 3: one red key, two red doors: the lower one only leads to a useless blue key (a trap: RESET)
    """
##########
#P.#..y#E#
#..R...Y.#
#r.#######
#..R..b..#
##########
""",
    # 4: two red keys for two red doors: opening the north door first strands the explorer
    """
##########
#.r#.y.QE#
#b.#...#.#
#p.##R##B#
#..R...#.#
#..#.P.Y.#
#..#r..#.#
##########
""",
]


def _rows(text: str) -> list[str]:
    return [row for row in text.strip("\n").splitlines() if row]


def _paint(canvas: np.ndarray, cx: int, cy: int, picture: list[list[int]]) -> None:
    n = CONFIG.cell
    canvas[cy * n : cy * n + n, cx * n : cx * n + n] = np.array(picture, dtype=np.int8)


def build_level(text: str, index: int) -> Level:
    rows = _rows(text)
    h, w = len(rows), len(rows[0])
    n = CONFIG.cell
    walls, doors, keys = (np.full((h * n, w * n), -1, dtype=np.int8) for _ in range(3))
    sprites = []
    for cy, row in enumerate(rows):
        for cx, c in enumerate(row):
            if c == "#":
                _paint(walls, cx, cy, [[COLOURS.wall] * n] * n)
            elif c in DOOR_MARKS:
                _paint(doors, cx, cy, door_picture(KEY_COLOURS[DOOR_MARKS[c]]))
            elif c in KEY_COLOURS:
                _paint(keys, cx, cy, key_picture(KEY_COLOURS[c]))
            elif c == "E":
                sprites.append(Sprite(EXIT, name="exit", x=cx * n, y=(cy + 1) * n, layer=1, tags=["exit"]))
            elif c == "P":
                sprites.append(Sprite(EXPLORER, name="explorer", x=cx * n, y=(cy + 1) * n, layer=3, tags=["player"]))
    hud = np.full((n, w * n), COLOURS.hud, dtype=np.int8)  # the top strip: the map starts one cell down
    sprites += [
        Sprite(hud, name="hud", x=0, y=0, layer=0, tags=["hud"]),
        Sprite(walls, name="walls", x=0, y=n, layer=0, tags=["wall"]),
        Sprite(doors, name="doors", x=0, y=n, layer=1, tags=["door"]),
        Sprite(keys, name="keys", x=0, y=n, layer=1, tags=["key"]),
    ]
    return Level(sprites=sprites, grid_size=(w * n, (h + 1) * n), name=f"keys-{index + 1}")


class Keys(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._walk: tuple[int, int, int] | None = None  # (dx, dy, pixels left) during a walk
        self._crumble = 0  # door-crumbling frames still to show
        self._flash = 0  # level-complete flash frames still to show
        levels = [build_level(text, i) for i, text in enumerate(LEVELS)]
        camera = Camera(background=COLOURS.floor, letter_box=COLOURS.letter_box)
        super().__init__(game_id="keys", levels=levels, camera=camera, available_actions=[1, 2, 3, 4], seed=seed)

    # -- cheap copies for the solver's search -----------------------------------------------------
    def on_set_level(self, level: Level) -> None:
        # A level is played on a fresh clone, so the levels not being played are never changed in place
        # and copies of the game can share them (see __deepcopy__).
        self._levels[self._current_level_index] = level.clone()
        self._walk, self._crumble, self._flash = None, 0, 0

    def __deepcopy__(self, memo: dict) -> "Keys":
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

    # -- what is where ----------------------------------------------------------------------------
    def _sprite(self, name: str) -> Sprite:
        return self.current_level.get_sprites_by_name(name)[0]

    def _colour_at(self, layer: str, cx: int, cy: int) -> int:
        """The colour of a map cell's top-left pixel in a map layer (walls, doors: solid corners)
        or its centre (keys: plus-shaped); -1 where the cell is empty or off the map."""
        pixels = self._sprite(layer).pixels
        n = CONFIG.cell
        y, x = (cy * n, cx * n) if layer != "keys" else (cy * n + 1, cx * n + 1)
        if not (0 <= y < pixels.shape[0] and 0 <= x < pixels.shape[1]):
            return -1
        return int(pixels[y, x])

    def _held(self) -> list[int]:
        """The key colours carried, read off the strip (slot i is map column i)."""
        hud = self._sprite("hud").pixels
        n = CONFIG.cell
        return [int(hud[1, x]) for x in range(1, hud.shape[1], n) if hud[1, x] != COLOURS.hud]

    def _show_held(self, colours: list[int]) -> None:
        hud = self._sprite("hud").pixels
        hud[:] = COLOURS.hud
        for slot, colour in enumerate(sorted(colours)):  # sorted: the same keys always look the same
            picture = np.array(key_picture(colour), dtype=np.int8)
            block = hud[:, slot * CONFIG.cell : (slot + 1) * CONFIG.cell]
            block[picture >= 0] = picture[picture >= 0]

    def _explorer_cell(self) -> tuple[int, int]:
        explorer = self._sprite("explorer")
        return explorer.x // CONFIG.cell, explorer.y // CONFIG.cell - 1

    # -- one action, frame by frame ----------------------------------------------------------------
    def step(self) -> None:
        if self._flash:
            self._flash_step()
        elif self._crumble:
            self._crumble_step()
        elif self._walk:
            self._walk_step()
        elif self.action.id in MOVES:
            self._start_move(*MOVES[self.action.id])
        else:  # RESET (handled by the engine) or an action this game does not use
            self.complete_action()

    def _start_move(self, dx: int, dy: int) -> None:
        cx, cy = self._explorer_cell()
        tx, ty = cx + dx, cy + dy
        h, w = self._sprite("walls").pixels.shape
        on_map = 0 <= tx < w // CONFIG.cell and 0 <= ty < h // CONFIG.cell
        door = self._colour_at("doors", tx, ty)
        held = self._held()
        if not on_map or self._colour_at("walls", tx, ty) >= 0 or (door >= 0 and door not in held):
            self.complete_action()  # a wall, or a door with no key to match: nothing changes
            return
        self._walk = (dx, dy, CONFIG.cell)
        if door < 0:
            self._walk_step()
            return
        held.remove(door)  # the key is used up
        self._show_held(held)
        self._crumble = CONFIG.crumble_frames
        self._crumble_step()

    def _crumble_step(self) -> None:
        dx, dy, _ = self._walk
        cx, cy = self._explorer_cell()
        doors = self._sprite("doors").pixels
        colour = self._colour_at("doors", cx + dx, cy + dy)
        self._crumble -= 1
        picture = crumbling_picture(colour) if self._crumble else [[-1] * CONFIG.cell] * CONFIG.cell
        _paint(doors, cx + dx, cy + dy, picture)

    def _walk_step(self) -> None:
        dx, dy, left = self._walk
        self._sprite("explorer").move(dx, dy)
        left -= 1
        self._walk = (dx, dy, left) if left else None
        if not left:
            self._arrive()

    def _arrive(self) -> None:
        cx, cy = self._explorer_cell()
        key = self._colour_at("keys", cx, cy)
        if key >= 0:
            _paint(self._sprite("keys").pixels, cx, cy, [[-1] * CONFIG.cell] * CONFIG.cell)
            self._show_held(self._held() + [key])
        exit_ = self._sprite("exit")
        explorer = self._sprite("explorer")
        if (explorer.x, explorer.y) == (exit_.x, exit_.y):
            self._flash = CONFIG.flash_frames
            return
        self.complete_action()

    def _flash_step(self) -> None:
        self._flash -= 1
        colour = COLOURS.flash if self._flash % 2 == 1 else COLOURS.explorer
        self._sprite("explorer").color_remap(None, colour)
        if self._flash == 0:
            self.next_level()
            self.complete_action()
