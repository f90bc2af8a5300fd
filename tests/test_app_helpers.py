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
            self.next_level()  # wins on the last level
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

BROKEN_GAME = "from arcengine import ARCBaseGame\nclass Bad1(ARCBaseGame)\n    pass\n"  # a syntax error


def make_app(tmp_path: Path, mode: str, fixed_dt: float = 1 / 15, **params):
    """A real App on the dummy video driver that advances fixed_dt game seconds per frame."""
    from aria_desktop.app import App, AppConfig
    from aria_desktop.app.config import Pace

    overrides = {k: params.pop(k) for k in ("env_dir", "record", "agent", "game", "seed", "screenshot_dir", "runs_dir",
                                                 "train_after", "train_steps") if k in params}
    config = AppConfig(**{"out_dir": tmp_path / "recordings", "screenshot_dir": tmp_path / "shots",
                          "pace": Pace(fixed_dt=fixed_dt, auto_restart_after=0.2), **overrides})
    return App(config, mode, **params)


def key(k: int, mod: int = 0, up: bool = False) -> None:
    import pygame

    pygame.event.post(pygame.event.Event(pygame.KEYUP if up else pygame.KEYDOWN, key=k, mod=mod))


def tap(k: int, mod: int = 0) -> None:
    key(k, mod)
    key(k, mod, up=True)


def click(pos: tuple[int, int], button: int = 1) -> None:
    import pygame

    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button))


def ticks(app, n: int) -> None:
    for _ in range(n):
        assert app.tick(), "the app stopped"


def recordings(tmp_path: Path, game: str) -> list[Path]:
    """The finished recordings of a game, in the order they were played (their recorded start time)."""
    from recorder import open_episode

    def started(path: Path) -> str:
        with open_episode(path) as ep:
            return ep.summary().created

    return sorted((tmp_path / "recordings" / game).glob("*.h5"), key=started)
