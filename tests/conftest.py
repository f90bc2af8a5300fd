"""Shared fixtures: an ARC-AGI-3 environments folder built by the test, in the toolkit's layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

# A small ARC-AGI-3 style game: walk the player (colour 9) onto the goal (colour 3).
# Level 2 has lava (colour 8): stepping on it is GAME_OVER. ACTION5 makes the player blink (3 frames).
TOY_GAME = '''
from arcengine import ARCBaseGame, BlockingMode, Camera, Level, Sprite

def _level(goal, lava=None):
    sprites = [Sprite([[9]], name="player", x=0, y=0, layer=2), Sprite([[3]], name="goal", x=goal[0], y=goal[1])]
    if lava:
        sprites.append(Sprite([[8]], name="lava", x=lava[0], y=lava[1]))
    return Level(sprites=sprites, grid_size=(8, 8))

class Toyw(ARCBaseGame):
    def __init__(self, seed: int = 0):
        super().__init__("toyw", [_level((3, 0)), _level((0, 2), lava=(1, 0))], Camera(background=0, letter_box=5),
                         available_actions=[1, 2, 3, 4, 5], seed=seed)
        self.blinks = 0

    def step(self):
        player = self.current_level.get_sprites_by_name("player")[0]
        if self.action.id.value == 0:  # the engine steps RESET too, after resetting the level
            self.complete_action()
            return
        if self.action.id.value == 5:
            self.blinks += 1
            player.color_remap(None, 9 if self.blinks % 2 == 0 else 10)
            if self.blinks % 3 == 0:
                player.color_remap(None, 9)
                self.complete_action()
            return
        dx, dy = {1: (0, -1), 2: (0, 1), 3: (-1, 0), 4: (1, 0)}[self.action.id.value]
        if 0 <= player.x + dx < 8 and 0 <= player.y + dy < 8:
            player.move(dx, dy)
        lava = self.current_level.get_sprites_by_name("lava")
        goal = self.current_level.get_sprites_by_name("goal")[0]
        if lava and (player.x, player.y) == (lava[0].x, lava[0].y):
            self.lose()
        elif (player.x, player.y) == (goal.x, goal.y):
            self.next_level()
        self.complete_action()
'''


def write_game(root: Path, game: str, version: str, source: str, levels: int = 2, class_name: str | None = None) -> Path:
    folder = root / game / version
    folder.mkdir(parents=True)
    (folder / f"{game}.py").write_text(source)
    meta = {"game_id": f"{game}-{version}", "title": game.upper(), "default_fps": 6, "baseline_actions": [3] * levels}
    if class_name:
        meta["class_name"] = class_name
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture
def arc_env_dir(tmp_path: Path) -> Path:
    """An environments folder holding one working ARC-AGI-3 style game, `toyw`."""
    root = tmp_path / "environment_files"
    write_game(root, "toyw", "0001", TOY_GAME)
    return root


@pytest.fixture(autouse=True, scope="session")
def _own_active_models(tmp_path_factory):
    """The active-models file (`aria models use`) of the tests is their own, never the checkout's."""
    from aria_desktop import paths

    patch = pytest.MonkeyPatch()
    patch.setattr(paths, "ACTIVE_MODELS", tmp_path_factory.mktemp("aria-data") / "active-models.json")
    yield
    patch.undo()
