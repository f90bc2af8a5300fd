"""Maze: guide the runner to the green exit.

Keyboard game (ACTION1-4 = up, down, left, right). The runner does not stop after one cell: it runs
along the corridor, one cell per frame, until it reaches a junction, a corner, a dead end or the exit,
so one key press animates over several frames. Reaching the exit flashes the runner and opens the
next level. Everything that matters (walls, runner, exit) is drawn, so the frame is the whole state.

Level legend: '#' wall, '.' floor, 'P' runner start, 'E' exit.
"""

from dataclasses import dataclass

import numpy as np
from arcengine import ARCBaseGame, Camera, GameAction, Level, Sprite


@dataclass(frozen=True)
class MazeColours:
    floor: int = 5  # black
    wall: int = 9  # blue
    runner: int = 12  # orange
    exit: int = 14  # green
    flash: int = 0  # white: the runner flashes on the exit
    letter_box: int = 4  # off-black around the maze


@dataclass(frozen=True)
class MazeConfig:
    flash_frames: int = 4  # frames of the level-complete flash: white, orange, white, orange


COLOURS = MazeColours()
CONFIG = MazeConfig()

# (dx, dy) per keyboard action
MOVES = {
    GameAction.ACTION1: (0, -1),
    GameAction.ACTION2: (0, 1),
    GameAction.ACTION3: (-1, 0),
    GameAction.ACTION4: (1, 0),
}

LEVELS = [
    # 1: a small maze, one way through
    """
#########
#P....#.#
#####.#.#
#...#...#
###.###.#
#.....#.#
#.#####.#
#......E#
#########
""",
    # 2: loops appear: more than one way, the shortest counts
    """
###########
#P..#...#.#
###.#.#.#.#
#.#...#...#
#.#.#.###.#
#...#.....#
#.#.#.#####
#.#.#.#...#
#.###.###.#
#........E#
###########
""",
    # 3: long corridors and dead ends
    """
#############
#P#.........#
#.###.#.#####
#...#.......#
###.#.#####.#
#...#.#...#.#
#.#.###.#.#.#
#.#.....#...#
#.#####.###.#
#.....#.....#
#.#####.#####
#..........E#
#############
""",
    # 4: the largest maze, the exit tucked into a side pocket
    """
###############
#P..#...#.....#
#.#.#.#.#.#.###
#.#...#.......#
#.#.#########.#
#.#.#...#.....#
#.###.#.#.#####
#.....#.#.....#
#######.#.###.#
#.....#.#..E#.#
#.###.#.#####.#
#.........#...#
#.#.#####.#.#.#
#.#.........#.#
###############
""",
]


def _rows(text: str) -> list[str]:
    return [row for row in text.strip("\n").splitlines() if row]


def _find(rows: list[str], mark: str) -> tuple[int, int]:
    for y, row in enumerate(rows):
        if mark in row:
            return row.index(mark), y
    raise ValueError(f"maze level has no '{mark}'")


def build_level(text: str, index: int) -> Level:
    rows = _rows(text)
    h, w = len(rows), len(rows[0])
    walls = [[COLOURS.wall if c == "#" else -1 for c in row] for row in rows]
    px, py = _find(rows, "P")
    ex, ey = _find(rows, "E")
    sprites = [
        Sprite(walls, name="walls", x=0, y=0, layer=0, tags=["wall"]),
        Sprite([[COLOURS.exit]], name="exit", x=ex, y=ey, layer=1, tags=["exit"]),
        Sprite([[COLOURS.runner]], name="runner", x=px, y=py, layer=2, tags=["player"]),
    ]
    return Level(sprites=sprites, grid_size=(w, h), name=f"maze-{index + 1}")


class Maze(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        self._wall = np.zeros((1, 1), dtype=bool)
        self._flash = 0  # level-complete flash frames still to show
        levels = [build_level(text, i) for i, text in enumerate(LEVELS)]
        camera = Camera(background=COLOURS.floor, letter_box=COLOURS.letter_box)
        super().__init__(game_id="maze", levels=levels, camera=camera, available_actions=[1, 2, 3, 4], seed=seed)

    def on_set_level(self, level: Level) -> None:
        walls = level.get_sprites_by_name("walls")[0]
        self._wall = walls.pixels >= 0  # walls never move: a boolean grid answers "is this a wall?" fast
        self._flash = 0

    def _open(self, x: int, y: int) -> bool:
        h, w = self._wall.shape
        return 0 <= x < w and 0 <= y < h and not self._wall[y, x]

    def step(self) -> None:
        if self._flash:
            self._flash_step()
            return
        move = MOVES.get(self.action.id)
        if move is None:  # RESET (handled by the engine) or an action this game does not use
            self.complete_action()
            return
        dx, dy = move
        runner = self.current_level.get_sprites_by_name("runner")[0]
        if not self._open(runner.x + dx, runner.y + dy):
            # blocked: nothing changes, the frame stays as it was
            self.complete_action()
            return
        runner.move(dx, dy)
        exit_ = self.current_level.get_sprites_by_name("exit")[0]
        if (runner.x, runner.y) == (exit_.x, exit_.y):
            self._flash = CONFIG.flash_frames
            return
        if self._stops_at(runner.x, runner.y, dx, dy):
            self.complete_action()

    def _stops_at(self, x: int, y: int, dx: int, dy: int) -> bool:
        """The runner stops where the corridor ends or a side passage opens (a junction or a corner)."""
        if not self._open(x + dx, y + dy):
            return True
        return self._open(x + dy, y + dx) or self._open(x - dy, y - dx)

    def _flash_step(self) -> None:
        runner = self.current_level.get_sprites_by_name("runner")[0]
        self._flash -= 1
        runner.color_remap(None, COLOURS.flash if self._flash % 2 == 1 else COLOURS.runner)
        if self._flash == 0:
            self.next_level()
            self.complete_action()
