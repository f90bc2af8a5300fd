"""Shared helpers for the app tests: a headless app, a tiny arcengine game in a tmp environments folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

# A two-level game: a blue 4x4 player walks (two animation frames per move) or is clicked to a cell;
# reaching the green goal completes the level. Uses ACTION1-4, 6 (click) and 7 (undo = stay).
TINY_GAME = '''
from arcengine import ARCBaseGame, Camera, Level, Sprite, GameAction

def _level(gx, gy):
    player = Sprite([[9] * 4] * 4, name="player", x=0, y=0, layer=1)
    goal = Sprite([[14] * 4] * 4, name="goal", x=gx, y=gy)
    return Level(sprites=[player, goal], grid_size=(64, 64))

class Tg01(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        super().__init__("tg01", [_level(8, 0), _level(0, 8)], Camera(background=0, letter_box=0),
                         available_actions=[1, 2, 3, 4, 6, 7], seed=seed)
        self._half = 0

    def step(self) -> None:
        player = self.current_level.get_sprites_by_name("player")[0]
        act = self.action.id
        moves = {GameAction.ACTION1: (0, -2), GameAction.ACTION2: (0, 2),
                 GameAction.ACTION3: (-2, 0), GameAction.ACTION4: (2, 0)}
        if act in moves:
            dx, dy = moves[act]
            player.move(dx, dy)
            self._half += 1
            if self._half < 2:
                return  # a second animation frame finishes the move
            self._half = 0
        elif act == GameAction.ACTION6:
            x, y = int(self.action.data["x"]), int(self.action.data["y"])
            player.set_position(x - x % 4, y - y % 4)
        goal = self.current_level.get_sprites_by_name("goal")[0]
        if (player.x, player.y) == (goal.x, goal.y):
            if self.is_last_level():
                self.win()
            else:
                self.next_level()
        self.complete_action()
'''


def make_env_dir(root: Path, source: str = TINY_GAME, game: str = "tg01", version: str = "0001") -> Path:
    """An environments folder holding one game in the toolkit's layout; returns the folder."""
    folder = root / "envs" / game / version
    folder.mkdir(parents=True)
    (folder / f"{game}.py").write_text(source, encoding="utf-8")
    meta = {"game_id": f"{game}-{version}", "title": game.upper(), "default_fps": 10,
            "baseline_actions": [3, 3], "class_name": game.capitalize()}
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return root / "envs"
