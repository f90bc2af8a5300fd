"""Tile: a click game for ARIA about matching a pattern, written on arcengine.

The board of tiles is on the left; the pattern to make is shown small, in a white frame, on the right,
with the order the colours cycle in shown beneath it. Clicking a tile (ACTION6) moves it one colour on,
and then its four neighbours too. Every click spends one of the orange pips along the bottom: make the
board match the pattern before the pips run out, or the game is over (RESET retries the level).

Loaded by the toolkit as a standalone module: imports arcengine, numpy and the standard library only.
"""

import copy
from dataclasses import dataclass

import numpy as np
from arcengine import ARCBaseGame, BlockingMode, Camera, Level, Sprite

TILE, PITCH, MINI = 4, 5, 2  # tile size and spacing on the board; tile size in the pattern
CYCLE = [9, 11, 8]  # blue -> yellow -> red -> blue
BACKGROUND, FRAME, PIP_LEFT, PIP_USED, FLASH = 5, 0, 12, 3, 0
NEIGHBOURS = ((0, -1), (0, 1), (-1, 0), (1, 0))
T = -1  # transparent


@dataclass(frozen=True)
class Puzzle:
    """One level: the board's first colours and the pattern, as rows of colour numbers (0 = first
    colour of the cycle), the number of colours in the cycle, and the clicks allowed."""

    start: tuple[str, ...]
    pattern: tuple[str, ...]
    colours: int
    budget: int

    @property
    def rows(self) -> int:
        return len(self.start)

    @property
    def cols(self) -> int:
        return len(self.start[0])


PUZZLES = [
    Puzzle(("00", "00"), ("10", "01"), colours=2, budget=4),
    Puzzle(("110", "101", "011"), ("010", "111", "010"), colours=2, budget=5),
    Puzzle(("222", "211", "210"), ("012", "120", "201"), colours=3, budget=6),
    Puzzle(("202", "000", "011", "022"), ("010", "121", "121", "010"), colours=3, budget=7),
]


def _layout(p: Puzzle) -> dict[str, int]:
    """Where things go, in level pixels: board at the top left, pattern to its right, pips below."""
    pattern_x = 1 + p.cols * PITCH + 1
    pattern_h = p.rows * MINI + 2
    pips_y = max(1 + p.rows * PITCH, 1 + pattern_h + 1 + MINI) + 1
    width = pattern_x + p.cols * MINI + 2 + 1
    return {"pattern_x": pattern_x, "pattern_h": pattern_h, "pips_y": pips_y, "width": width, "height": pips_y + 3}


def _pattern_sprite(p: Puzzle, at: dict[str, int]) -> Sprite:
    """The framed pattern, and under it the colour cycle in order."""
    w, h = p.cols * MINI + 2, at["pattern_h"] + 1 + MINI
    pixels = np.full((h, w), T, dtype=np.int8)
    pixels[: at["pattern_h"], :] = FRAME
    for r, row in enumerate(p.pattern):
        for c, v in enumerate(row):
            pixels[1 + r * MINI : 1 + (r + 1) * MINI, 1 + c * MINI : 1 + (c + 1) * MINI] = CYCLE[int(v)]
    for i in range(p.colours):
        pixels[at["pattern_h"] + 1 :, 1 + i * MINI : 1 + (i + 1) * MINI] = CYCLE[i]
    return Sprite(pixels, name="pattern", x=at["pattern_x"], y=1, layer=0,
                  blocking=BlockingMode.NOT_BLOCKED, tags=["static"])


def _level(index: int, p: Puzzle) -> Level:
    at = _layout(p)
    cells = [row for row in p.start + p.pattern]
    if any(len(row) != p.cols for row in cells) or len(p.pattern) != p.rows:
        raise ValueError(f"tile level {index + 1}: board and pattern must have the same shape")
    if not 2 <= p.colours <= len(CYCLE) or any(int(v) >= p.colours for row in cells for v in row):
        raise ValueError(f"tile level {index + 1}: colours must be 2..{len(CYCLE)} and cover every number used")
    if 2 * p.budget > at["width"]:
        raise ValueError(f"tile level {index + 1}: a budget of {p.budget} pips does not fit under the board")
    sprites = [_pattern_sprite(p, at)]
    for r, row in enumerate(p.start):
        for c, v in enumerate(row):
            sprites.append(
                Sprite(np.full((TILE, TILE), CYCLE[int(v)], dtype=np.int8), name=f"tile{r}_{c}",
                       x=1 + c * PITCH, y=1 + r * PITCH, layer=1, tags=["tile", "sys_click"])
            )
    for i in range(p.budget):
        sprites.append(
            Sprite([[PIP_LEFT], [PIP_LEFT]], name=f"pip{i}", x=1 + 2 * i, y=at["pips_y"], layer=1,
                   blocking=BlockingMode.NOT_BLOCKED, tags=["pip"])
        )
    size = (at["width"], at["height"])
    return Level(sprites=sprites, grid_size=size, data={"puzzle": p}, name=f"tile-{index + 1}")


class Tile(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._puzzle: Puzzle = PUZZLES[0]
        self._phase: tuple[str, int, int] | None = None  # a click in progress: (what comes next, row, col)
        super().__init__(
            game_id="tile",
            levels=[_level(i, p) for i, p in enumerate(PUZZLES)],
            camera=Camera(background=BACKGROUND, letter_box=BACKGROUND),
            available_actions=[6],
            seed=seed,
        )

    def on_set_level(self, level: Level) -> None:
        # Entering a level always starts from a fresh clone, so only the current level is ever changed
        # and copies of the game (the solver's search, take-over snapshots) can share all the others.
        index = self.level_index
        self._levels[index] = self._clean_levels[index].clone()
        self._puzzle = self.current_level.get_data("puzzle")
        self._phase = None

    def __deepcopy__(self, memo: dict) -> "Tile":
        """A cheap copy for the solver's search and for snapshots: it owns copies of what play changes
        (tiles, pips, the camera) and shares what never changes in place."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(self.__dict__)
        level = self.current_level
        sprites = [s if "static" in s.tags else copy.copy(s) for s in level.get_sprites()]
        clone._levels = list(self._levels)
        clone._levels[self.level_index] = Level(
            sprites=sprites, grid_size=level.grid_size, data=level._data, name=level.name
        )
        clone._camera = copy.deepcopy(self._camera, memo)
        return clone

    # -- state, read from the sprites ---------------------------------------------------------------
    def _tile(self, r: int, c: int) -> Sprite | None:
        found = self.current_level.get_sprites_by_name(f"tile{r}_{c}")
        return found[0] if found else None

    def _colour(self, r: int, c: int) -> int:
        return CYCLE.index(int(self._tile(r, c).pixels[0, 0]))

    def _cycle(self, r: int, c: int) -> None:
        tile = self._tile(r, c)
        if tile is not None:
            tile.pixels = np.full((TILE, TILE), CYCLE[(self._colour(r, c) + 1) % self._puzzle.colours], dtype=np.int8)

    def _pips_left(self) -> list[Sprite]:
        return [s for s in self.current_level.get_sprites_by_tag("pip") if int(s.pixels[0, 0]) == PIP_LEFT]

    def _matches(self) -> bool:
        p = self._puzzle
        return all(self._colour(r, c) == int(p.pattern[r][c]) for r in range(p.rows) for c in range(p.cols))

    def _clicked_tile(self) -> tuple[int, int] | None:
        data = self.action.data or {}
        if "x" not in data or "y" not in data:
            return None
        cell = self.camera.display_to_grid(int(data["x"]), int(data["y"]))
        if cell is None:  # the letterbox around the board
            return None
        tile = self.current_level.get_sprite_at(cell[0], cell[1], tag="tile")
        if tile is None:
            return None
        r, c = tile.name.removeprefix("tile").split("_")
        return int(r), int(c)

    # -- the game loop: called once per frame until complete_action() --------------------------------
    def step(self) -> None:
        if self._phase is None:
            clicked = self._clicked_tile()
            if clicked is None:  # a click between tiles, on the pattern or the pips: nothing happens
                self.complete_action()
                return
            r, c = clicked
            self._cycle(r, c)  # frame 1: the clicked tile turns and a pip is spent
            self._pips_left()[-1].pixels = np.array([[PIP_USED], [PIP_USED]], dtype=np.int8)
            self._phase = ("neighbours", r, c)
            return
        what, r, c = self._phase
        if what == "neighbours":  # frame 2: its neighbours turn
            for dr, dc in NEIGHBOURS:
                self._cycle(r + dr, c + dc)
            if self._matches():
                self._phase = ("flash", r, c)
                return
            self._phase = None
            if not self._pips_left():
                self.lose()
            self.complete_action()
            return
        for tile in self.current_level.get_sprites_by_tag("tile"):  # frame 3: the matched board flashes
            tile.pixels = np.full((TILE, TILE), FLASH, dtype=np.int8)
        self._phase = None
        self.next_level()
        self.complete_action()
