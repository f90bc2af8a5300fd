"""Push: a sokoban-like keyboard game for ARIA, written on arcengine.

Walk the blue mover with ACTION1-4 (up, down, left, right) and push every orange crate onto a yellow
target; a crate on a target turns green. Crates are pushed, never pulled, and only one at a time.
A step slides the mover over two frames, a push over four (crates are heavy), and a solved level
flashes its crates white before the next level appears. ACTION7 undoes the last move of the level.

Loaded by the toolkit as a standalone module: imports arcengine, numpy and the standard library only.
"""

import copy
from dataclasses import dataclass, replace

import numpy as np
from arcengine import ARCBaseGame, BlockingMode, Camera, GameAction, Level, Sprite

CELL = 4  # level pixels per map cell: room for a sliding animation
WALK_FRAMES = 2  # frames to slide one cell on foot
PUSH_FRAMES = 4  # frames to push a crate one cell

# ARC palette indices.
FLOOR, WALL, MORTAR, TARGET = 5, 2, 3, 11
CRATE, CRATE_CORE, CRATE_HOME, FLASH = 12, 13, 14, 0
MOVER, MOVER_EYE = 9, 10
T = -1  # transparent

# Map legend: '#' wall, '.' floor, '@' mover, '$' crate, 'o' target, '*' crate on target, '+' mover on target.
LEVELS = [
    [
        "#######",
        "#o....#",
        "#..$..#",
        "#..@..#",
        "#.....#",
        "#######",
    ],
    [
        "########",
        "#......#",
        "#.$#.o.#",
        "#..@$..#",
        "#.o....#",
        "########",
    ],
    [
        "#######",
        "#..o..#",
        "#.$$..#",
        "#.#@#.#",
        "#..o..#",
        "#######",
    ],
    [
        "#######",
        "#o..#.#",
        "#.$$..#",
        "#.@#..#",
        "#..$.o#",
        "##o...#",
        "#######",
    ],
]

MOVES = {
    GameAction.ACTION1: (0, -1),
    GameAction.ACTION2: (0, 1),
    GameAction.ACTION3: (-1, 0),
    GameAction.ACTION4: (1, 0),
}

MOVER_PIXELS = [
    [T, MOVER, MOVER, T],
    [MOVER, MOVER_EYE, MOVER_EYE, MOVER],
    [MOVER, MOVER, MOVER, MOVER],
    [T, MOVER, MOVER, T],
]


def _crate_pixels(edge: int) -> list[list[int]]:
    return [
        [edge, edge, edge, edge],
        [edge, CRATE_CORE, CRATE_CORE, edge],
        [edge, CRATE_CORE, CRATE_CORE, edge],
        [edge, edge, edge, edge],
    ]


def _cells(rows: list[str], symbols: str) -> list[tuple[int, int]]:
    return [(x, y) for y, row in enumerate(rows) for x, c in enumerate(row) if c in symbols]


def _wall_sprite(rows: list[str]) -> Sprite:
    """All walls of a level as one sprite (cheap to copy for the solver), drawn as bricks."""
    h, w = len(rows) * CELL, len(rows[0]) * CELL
    pixels = np.full((h, w), T, dtype=np.int8)
    brick = np.full((CELL, CELL), WALL, dtype=np.int8)
    brick[CELL - 1, :] = MORTAR
    brick[: CELL // 2, CELL // 2] = MORTAR
    for x, y in _cells(rows, "#"):
        pixels[y * CELL : (y + 1) * CELL, x * CELL : (x + 1) * CELL] = brick
    return Sprite(pixels, name="walls", layer=0, blocking=BlockingMode.NOT_BLOCKED, tags=["wall", "static"])


def _target_sprite(rows: list[str]) -> Sprite:
    h, w = len(rows) * CELL, len(rows[0]) * CELL
    pixels = np.full((h, w), T, dtype=np.int8)
    for x, y in _cells(rows, "o*+"):
        pixels[y * CELL + 1 : y * CELL + 3, x * CELL + 1 : x * CELL + 3] = TARGET
    return Sprite(pixels, name="targets", layer=1, blocking=BlockingMode.NOT_BLOCKED, tags=["target", "static"])


def _level(index: int, rows: list[str]) -> Level:
    movers, crates, targets = _cells(rows, "@+"), _cells(rows, "$*"), _cells(rows, "o*+")
    if len({len(r) for r in rows}) != 1 or len(movers) != 1 or not crates or len(crates) != len(targets):
        raise ValueError(f"push level {index + 1}: needs rows of one length, one mover, and as many crates as targets")
    sprites = [_wall_sprite(rows), _target_sprite(rows)]
    for i, (x, y) in enumerate(crates):
        edge = CRATE_HOME if (x, y) in targets else CRATE
        sprites.append(
            Sprite(_crate_pixels(edge), name=f"crate{i}", x=x * CELL, y=y * CELL, layer=2,
                   blocking=BlockingMode.NOT_BLOCKED, tags=["crate"])
        )
    mx, my = movers[0]
    sprites.append(Sprite(MOVER_PIXELS, name="mover", x=mx * CELL, y=my * CELL, layer=3,
                          blocking=BlockingMode.NOT_BLOCKED, tags=["mover"]))
    size = (len(rows[0]) * CELL, len(rows) * CELL)
    return Level(sprites=sprites, grid_size=size, data={"map": tuple(rows)}, name=f"push-{index + 1}")


@dataclass
class Slide:
    """A move in progress: which sprites slide, which way, how far per frame, frames left."""

    sprites: list[Sprite]
    dx: int
    dy: int
    speed: int
    frames_left: int
    flash: bool = False  # the level is solved: one more frame flashes the crates, then the next level


class Push(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._walls: set[tuple[int, int]] = set()
        self._targets: set[tuple[int, int]] = set()
        self._history: tuple | None = None  # (mover cell, crate cells, earlier history): never changed in place
        self._slide: Slide | None = None
        super().__init__(
            game_id="push",
            levels=[_level(i, rows) for i, rows in enumerate(LEVELS)],
            camera=Camera(background=FLOOR, letter_box=FLOOR),
            available_actions=[1, 2, 3, 4, 7],
            seed=seed,
        )

    def on_set_level(self, level: Level) -> None:
        # Entering a level always starts from a fresh clone, so only the current level is ever changed
        # and copies of the game (the solver's search, take-over snapshots) can share all the others.
        index = self.level_index
        self._levels[index] = self._clean_levels[index].clone()
        rows = self.current_level.get_data("map")
        self._walls = set(_cells(rows, "#"))
        self._targets = set(_cells(rows, "o*+"))
        self._history = None  # undo reaches back to the start of the level, no further
        self._slide = None

    def __deepcopy__(self, memo: dict) -> "Push":
        """A copy for the solver's search and for snapshots, made cheap: it owns fresh copies of the
        things play changes (the mobile sprites of the current level, the camera, a slide in progress)
        and shares the rest, which is never changed in place (walls, targets, other levels, history)."""
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
        if self._slide is not None:
            clone._slide = replace(self._slide, sprites=[mobile[id(s)] for s in self._slide.sprites])
        return clone

    # -- state, read from the sprites ---------------------------------------------------------------
    def _mover(self) -> Sprite:
        return self.current_level.get_sprites_by_name("mover")[0]

    def _crates(self) -> list[Sprite]:
        return self.current_level.get_sprites_by_tag("crate")

    @staticmethod
    def _cell(sprite: Sprite) -> tuple[int, int]:
        return sprite.x // CELL, sprite.y // CELL

    def _paint_crates(self, flash: bool = False) -> None:
        for crate in self._crates():
            edge = FLASH if flash else CRATE_HOME if self._cell(crate) in self._targets else CRATE
            crate.pixels = np.array(_crate_pixels(edge), dtype=np.int8)

    def _solved(self) -> bool:
        return all(self._cell(c) in self._targets for c in self._crates())

    # -- the game loop: called once per frame until complete_action() --------------------------------
    def step(self) -> None:
        if self._slide is None:
            if self.action.id is GameAction.ACTION7:
                self._undo()
                self.complete_action()
                return
            self._slide = self._start_move(self.action.id)
            if self._slide is None:  # blocked, or not a move: nothing changes
                self.complete_action()
                return
        slide = self._slide
        if slide.flash:
            self._paint_crates(flash=True)
            self._slide = None
            self.next_level()
            self.complete_action()
            return
        for sprite in slide.sprites:
            sprite.move(slide.dx * slide.speed, slide.dy * slide.speed)
        slide.frames_left -= 1
        if slide.frames_left > 0:
            return
        self._paint_crates()
        if self._solved():
            slide.flash = True
            return
        self._slide = None
        self.complete_action()

    def _start_move(self, action: GameAction) -> Slide | None:
        if action not in MOVES:
            return None
        dx, dy = MOVES[action]
        mover = self._mover()
        mx, my = self._cell(mover)
        ahead = (mx + dx, my + dy)
        if ahead in self._walls:
            return None
        crates = {self._cell(c): c for c in self._crates()}
        if ahead not in crates:
            self._remember()
            return Slide([mover], dx, dy, CELL // WALK_FRAMES, WALK_FRAMES)
        beyond = (ahead[0] + dx, ahead[1] + dy)
        if beyond in self._walls or beyond in crates:
            return None
        self._remember()
        return Slide([mover, crates[ahead]], dx, dy, CELL // PUSH_FRAMES, PUSH_FRAMES)

    def _remember(self) -> None:
        self._history = (self._cell(self._mover()), tuple(self._cell(c) for c in self._crates()), self._history)

    def _undo(self) -> None:
        if self._history is None:
            return
        (mx, my), crate_cells, self._history = self._history
        self._mover().set_position(mx * CELL, my * CELL)
        for crate, (cx, cy) in zip(self._crates(), crate_cells):
            crate.set_position(cx * CELL, cy * CELL)
        self._paint_crates()
