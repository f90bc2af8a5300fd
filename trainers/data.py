"""Datasets from recordings folders, shared by every trainer.

- `find_episodes`: the readable episodes of one kind under some folders (one sentence for empty folders,
  the wrong kind of recordings, missing folders).
- `split_episodes`: a deterministic, episode-based train/validation split (no frame of a validation
  episode is ever trained on), by a hash of the file names.
- `step_weights`: sampling weights per step, human steps (controllers == 0) weighted 5×.
- `TokenCache`: token arrays of episodes saved once per tokenizer (keyed by its checkpoint id).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recorder import RecordingProblem, iter_episodes
from trainers.errors import TrainerError

HUMAN_WEIGHT = 5.0  # the seed's expert_weight: human play is rarer and better than scripted play
HUMAN = 0  # the recorder's controllers value for a person


class DataError(TrainerError):
    """Recordings that cannot be trained on (none, the wrong kind, unreadable)."""


@dataclass(frozen=True)
class EpisodeRef:
    path: Path
    game: str
    steps: int
    human_steps: int


def find_episodes(
    folders: Sequence[Path | str],
    accept: Callable[[Any], bool],
    wanted: str,
    hint: str,
    min_steps: int = 1,
) -> tuple[list[EpisodeRef], list[str]]:
    """Episodes under `folders` whose summary `accept`s, and one sentence per file that could not be read.

    `wanted` names the kind of recordings in messages ("Breakout recordings"); `hint` is the command that
    makes them. Raises DataError when nothing usable is found.
    """
    if not folders:
        raise DataError(f"No --data folder given; pass folders of {wanted} ({hint}).")
    found, problems, other_games = [], [], set()
    for folder in folders:
        for item in iter_episodes(folder):
            if isinstance(item, RecordingProblem):
                if not Path(item.path).is_file():  # the folder itself: missing or empty
                    raise DataError(str(item))
                problems.append(str(item))
            elif not accept(item):
                other_games.add(item.game)
            elif item.steps >= min_steps:
                found.append(EpisodeRef(Path(item.path), item.game, item.steps, item.human_steps))
    if not found:
        where = ", ".join(str(f) for f in folders)
        if other_games:
            raise DataError(
                f"{where} holds recordings of {', '.join(sorted(other_games))}, not {wanted}; "
                f"pass folders of {wanted} ({hint})."
            )
        if problems:
            raise DataError(f"No readable {wanted} in {where}: {problems[0]}")
        raise DataError(f"The {wanted} in {where} are too short to train on (fewer than {min_steps} steps); record longer episodes.")
    return sorted(found, key=lambda e: e.path.name), problems


def split_episodes(episodes: Sequence[EpisodeRef], val_fraction: float = 0.1) -> tuple[list[EpisodeRef], list[EpisodeRef]]:
    """Train and validation episodes: the `val_fraction` of episodes (at least one, when there are two or more)
    whose file names hash lowest. Deterministic for a given set of files, whatever order they come in."""
    if len(episodes) < 2:
        return list(episodes), []
    n_val = min(len(episodes) - 1, max(1, round(len(episodes) * val_fraction)))
    ranked = sorted(episodes, key=lambda e: hashlib.sha1(e.path.name.encode()).hexdigest())
    val_paths = {e.path for e in ranked[:n_val]}
    return [e for e in episodes if e.path not in val_paths], [e for e in episodes if e.path in val_paths]


def step_weights(controllers: np.ndarray, human_weight: float = HUMAN_WEIGHT) -> np.ndarray:
    """One sampling weight per step: human steps count `human_weight` times an agent step."""
    return np.where(np.asarray(controllers) == HUMAN, human_weight, 1.0)


def data_fingerprint(episodes: Sequence[EpisodeRef]) -> str:
    """A short hash of which episodes (names, sizes) a model saw."""
    h = hashlib.sha1()
    for e in sorted(episodes, key=lambda e: e.path.name):
        h.update(f"{e.path.name}:{e.path.stat().st_size};".encode())
    return h.hexdigest()[:16]


def describe_data(folders: Sequence[Path | str], train: Sequence[EpisodeRef], val: Sequence[EpisodeRef]) -> dict[str, Any]:
    """What a checkpoint records about its data."""
    return {
        "folders": [str(Path(f).expanduser().resolve()) for f in folders],
        "games": sorted({e.game for e in [*train, *val]}),
        "train_episodes": [e.path.name for e in train],
        "val_episodes": [e.path.name for e in val],
        "train_steps": sum(e.steps for e in train),
        "human_steps": sum(e.human_steps for e in train),
        "fingerprint": data_fingerprint([*train, *val]),
    }


class TokenCache:
    """Per-episode token arrays (`.npy`, read with allow_pickle=False) under `<root>/<tokenizer id>/`.

    A file is keyed by the episode's name and size, so a re-recorded file under the same name is re-encoded.
    """

    def __init__(self, root: Path | str, tokenizer_id: str) -> None:
        self.folder = Path(root) / tokenizer_id

    def path(self, episode: Path) -> Path:
        return self.folder / f"{episode.stem}-{episode.stat().st_size}.npy"

    def get(self, episode: Path, encode: Callable[[], np.ndarray]) -> np.ndarray:
        path = self.path(episode)
        if path.exists():
            try:
                return np.load(path, allow_pickle=False)
            except (ValueError, OSError):  # a damaged cache file is rebuilt
                pass
        tokens = np.ascontiguousarray(encode())
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, tokens, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        return tokens
