"""Shared helpers for the recorder tests (no tests here): a tiny arcengine game written into a tmp folder,
and short real episodes of Breakout and that game recorded with the EpisodeWriter."""

from __future__ import annotations

import json
from pathlib import Path

# A 2-level arcengine game: ACTION1-4 move the player, ACTION5 slides it right over 3 animation frames,
# ACTION6 teleports it to the clicked cell; touching the goal completes the level. The goal's row
# depends on the seed, so replaying with another seed gives other frames.
TINY_GAME_SOURCE = '''
from arcengine import ARCBaseGame, Camera, Level, Sprite, BlockingMode

class Tg01(ARCBaseGame):
    def __init__(self, seed: int = 0) -> None:
        levels = []
        for n in range(2):
            player = Sprite([[9]], name="player", x=0, y=0, blocking=BlockingMode.BOUNDING_BOX)
            goal = Sprite([[3]], name="goal", x=7 - n, y=(seed % 4) + n, blocking=BlockingMode.BOUNDING_BOX)
            levels.append(Level(sprites=[player, goal], grid_size=(8, 8), name=f"level{n}"))
        self._slide = 0
        super().__init__("tg01", levels, Camera(0, 0, 8, 8, background=0, letter_box=5), seed=seed,
                         available_actions=[1, 2, 3, 4, 5, 6])

    def _move(self, dx, dy):
        hit = self.try_move("player", dx, dy)
        if any(s.name == "goal" for s in hit):
            self.next_level()

    def step(self) -> None:
        a = self.action.id.value
        if a == 5:
            self._move(1, 0)
            self._slide += 1
            if self._slide < 3:
                return  # not complete: the engine renders another animation frame
            self._slide = 0
        elif a == 6:
            cell = self.camera.display_to_grid(self.action.data["x"], self.action.data["y"])
            if cell is not None:
                p = self.current_level.get_sprites_by_name("player")[0]
                goal = self.current_level.get_sprites_by_name("goal")[0]
                if (goal.x, goal.y) == cell:
                    self.next_level()
                else:
                    p.set_position(*cell)
        elif a in (1, 2, 3, 4):
            self._move(*{1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}[a])
        self.complete_action()
'''


def write_tiny_game(env_dir: Path, game: str = "tg01", version: str = "v1") -> Path:
    """Write the tiny game in the toolkit's layout: <env_dir>/<game>/<version>/{<game>.py, metadata.json}."""
    folder = env_dir / game / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{game}.py").write_text(TINY_GAME_SOURCE, encoding="utf-8")
    meta = {"game_id": f"{game}-{version}", "title": "Tiny test game", "default_fps": 5,
            "baseline_actions": [8, 8], "class_name": game.capitalize()}
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return env_dir


def record_episode(game, out_dir: Path, actions, seed: int = 0, outcome: str | None = None, close: bool = True):
    """Record a real episode of `game` with the given (action, xy) list; returns the writer (closed if asked)."""
    from recorder import EpisodeWriter

    frame = game.reset(seed)
    w = EpisodeWriter.create(out_dir, game=game.id, frame_kind=str(game.frame_kind), game_version=game.version,
                             env_config=game.config(), seed=seed, app_version="0.1.0-test")
    w.reset_frame(frame, game.info)
    for action, xy in actions:
        step = game.step(action, xy)
        w.add_step(action, xy, step.frames, step.reward, step.terminated, step.truncated, step.info, controller=1)
        if step.terminated or step.truncated:
            break
    if close:
        w.close(outcome=outcome or str(game.info.get("state", "")))
    return w
