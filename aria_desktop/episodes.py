"""Start recording a game's episode: the one place that turns a Game into the recorder's metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from aria_desktop.games.game import Game, GameKind
from recorder import EpisodeWriter


def app_version() -> str:
    try:
        return version("aria-desktop")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def action_names(game: Game) -> list[str]:
    """Names indexed by the recorded action value: ALE's action meanings, or ARC's RESET, ACTION1..ACTION7."""
    if game.kind is GameKind.ATARI:
        return [a.name for a in sorted(game.actions, key=lambda a: a.index)]
    return ["RESET"] + [f"ACTION{i}" for i in range(1, 8)]


def start_episode(out_dir: Path, game: Game, seed: int | None, frame: np.ndarray, info: dict[str, Any]) -> EpisodeWriter:
    """A writer for a new episode of `game` under out_dir/<game>/, holding its reset frame."""
    writer = EpisodeWriter.create(
        Path(out_dir),
        game=game.id,
        frame_kind=game.frame_kind.value,
        game_version=game.version,
        env_config=game.config(),
        seed=seed,
        app_version=app_version(),
        action_names=action_names(game),
    )
    writer.reset_frame(frame, info)
    return writer
