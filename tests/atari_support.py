"""Small real Breakout recordings for the Atari model tests (the game with its previous emulator frame kept)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from aria_desktop.games.breakout import BreakoutConfig, BreakoutGame
from recorder import EpisodeWriter


def record_breakout(out: Path, episodes: int = 3, steps: int = 40, previous_frame: bool = True, seed: int = 0) -> list[Path]:
    """Episodes of fire-then-random play; the first episode is played by a 'human' (controllers 0)."""
    game = BreakoutGame(BreakoutConfig(record_previous_frame=previous_frame))
    rng = np.random.default_rng(seed)
    paths = []
    try:
        for k in range(episodes):
            writer = EpisodeWriter.create(out, game="breakout", frame_kind="rgb", game_version=game.version,
                                          env_config=game.config(), seed=seed + k, app_version="test",
                                          action_names=[a.name for a in game.actions])
            writer.reset_frame(game.reset(seed + k), game.info)
            for t in range(steps):
                action = 1 if t % 10 == 0 else int(rng.integers(4))
                step = game.step(action)
                writer.add_step(action, None, step.frames, step.reward, step.terminated, step.truncated or t == steps - 1,
                                step.info, controller=0 if k == 0 else 1)
                if step.terminated:
                    break
            paths.append(writer.close("TRUNCATED"))
    finally:
        game.close()
    return paths


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """Torch on one thread: on the shared 2-core machine small models train several times faster than on two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
