"""Reading episodes: open one lazily, or walk a folder of them (bad files become sentences, never exceptions)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from recorder.errors import RecordingError
from recorder.format import (
    EPISODE_SUFFIX,
    FRAME_KINDS,
    NO_SEED,
    PART_SUFFIX,
    REQUIRED_DATASETS,
    PlayThrough,
    check_format,
)

# FORMAT.md's dataset table: the numpy kinds each dataset may have ("iu" = any integer) and its number of
# dimensions (frames: 3 for grid, 4 for rgb, checked with frame_kind).
_DATASET_KINDS = {
    "actions": ("iu", 1), "action_xy": ("iu", 2), "rewards": ("f", 1), "terminations": ("b", 1),
    "truncations": ("b", 1), "controllers": ("iu", 1), "timestamps": ("f", 1), "step_frame_offsets": ("iu", 1),
}
_MAX_TEXT = 200  # longer `game` / `frame_kind` attributes are damage (and would flood every message)


def short(value: Any, limit: int = 60) -> str:
    """A value for a message, cut to `limit` characters (a damaged attribute can be megabytes long)."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def check_contract(f: h5py.File, path: Path) -> None:
    """FORMAT.md's contract for the datasets and attributes every reader relies on, or one sentence naming
    what breaks it (kinds and shapes here; values are verify's job)."""
    def bad(what: str) -> RecordingError:
        return RecordingError(f"Recording {path} is damaged: {what}; delete it or restore it from a backup.")

    for attr in ("game", "frame_kind"):
        value = _text(f.attrs.get(attr))
        if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
            raise bad(f"its '{attr}' attribute is {'missing' if value is None else repr(short(value))}")
    if _text(f.attrs["frame_kind"]) not in FRAME_KINDS:
        raise bad(f"its frame_kind {short(_text(f.attrs['frame_kind']))!r} is not one of {', '.join(FRAME_KINDS)}")
    seed = _text(f.attrs.get("seed", NO_SEED))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise bad(f"its 'seed' attribute is {short(seed)!r}, not an integer")
    frame_dims = 3 if _text(f.attrs["frame_kind"]) == "grid" else 4
    for name in REQUIRED_DATASETS:
        node = f.get(name)
        if not isinstance(node, h5py.Dataset):
            raise bad(f"'{name}' is {'missing or a broken link' if node is None else 'not a dataset'}")
        kinds, ndim = _DATASET_KINDS.get(name, ("u", frame_dims))
        if node.dtype.kind not in kinds or node.ndim != ndim or (kinds == "u" and node.dtype != np.uint8):
            raise bad(f"'{name}' is {node.dtype} of shape {node.shape}, FORMAT.md says "
                      f"{'uint8' if kinds == 'u' else {'iu': 'integer', 'f': 'float', 'b': 'bool'}[kinds]} with {ndim} dimension(s)")
    if f["action_xy"].shape[1:] != (2,):
        raise bad(f"'action_xy' has shape {f['action_xy'].shape}, FORMAT.md says (T, 2)")


def _text(value: Any) -> Any:
    """Attributes and string cells as plain Python values (bytes -> str, numpy scalars -> int/float/bool)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value.item() if isinstance(value, np.generic) else value


def open_h5(path: Path, swmr: bool = False) -> h5py.File:
    """h5py.File, or one sentence for a missing, truncated or corrupt file."""
    if not path.exists():
        raise RecordingError(f"Recording {path} does not exist; check the path.")
    if path.is_dir():
        raise RecordingError(f"{path} is a folder, not a recording; give an .h5 file.")
    try:
        return h5py.File(path, "r", swmr=swmr)
    except (OSError, RuntimeError) as e:  # h5py raises either for damaged files
        reason = str(e).split("(")[-1].rstrip(")") if "(" in str(e) else str(e)
        if path.name.endswith(PART_SUFFIX):
            raise RecordingError(
                f"Unfinished recording {path} cannot be opened (HDF5 says: {reason}); "
                f"run `aria recordings recover {path.parent}`."
            ) from e
        raise RecordingError(
            f"Recording {path} is truncated or corrupt (HDF5 says: {reason}); delete it or restore it from a backup."
        ) from e


class Episode:
    """One recorded episode; frames stay on disk until sliced (ep.observations[t])."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file = open_h5(self.path)
        try:
            self.version = check_format(self._file.attrs, self.path)
            missing = [name for name in REQUIRED_DATASETS if name not in self._file]
            if missing:
                raise RecordingError(
                    f"Recording {self.path} lacks the datasets {', '.join(missing)}; it is damaged, re-record it."
                )
            check_contract(self._file, self.path)
            self.attrs: dict[str, Any] = {k: _text(v) for k, v in self._file.attrs.items()}
        except BaseException:
            self._file.close()
            raise

    # -- context manager -------------------------------------------------------------------------
    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Episode:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- metadata ----------------------------------------------------------------------------------
    @property
    def game(self) -> str:
        return str(self.attrs.get("game", ""))

    @property
    def game_version(self) -> str:
        return str(self.attrs.get("game_version", ""))

    @property
    def frame_kind(self) -> str:
        return str(self.attrs.get("frame_kind", ""))

    @property
    def outcome(self) -> str:
        return str(self.attrs.get("outcome", ""))

    @property
    def complete(self) -> bool:
        return bool(self.attrs.get("complete", False))

    @property
    def playthrough(self) -> PlayThrough:
        """Version 1 files predate play-throughs: each was a play-through of its own, starting on level 0."""
        return PlayThrough(
            str(self.attrs.get("playthrough_id", self.path.name.split(".")[0])),
            int(self.attrs.get("playthrough_index", 0)),
            int(self.attrs.get("start_level", 0)),
        )

    @property
    def seed(self) -> int | None:
        seed = int(self.attrs.get("seed", NO_SEED))
        return None if seed == NO_SEED else seed

    @property
    def env_config(self) -> dict[str, Any]:
        try:
            return json.loads(self.attrs.get("env_config") or "{}")
        except ValueError:
            return {}

    @property
    def animated(self) -> bool:
        """Whether step_frames are animation to show before each observation (ARC), or emulator frames kept for
        preprocessing (Breakout with "record_previous_frame" in env_config: FORMAT.md), which a replay does not show."""
        return not self.env_config.get("record_previous_frame", False)

    @property
    def action_names(self) -> list[str]:
        try:
            return list(json.loads(self.attrs.get("action_names") or "[]"))
        except ValueError:
            return []

    @property
    def steps(self) -> int:
        return int(self._file["actions"].shape[0])

    # -- data --------------------------------------------------------------------------------------
    @property
    def observations(self) -> h5py.Dataset:
        """(T+1, ...) frames, sliced lazily: ep.observations[t] or ep.observations[a:b]."""
        return self._file["observations"]

    def _array(self, name: str) -> np.ndarray:
        return self._file[name][:]

    @property
    def actions(self) -> np.ndarray:
        return self._array("actions")

    @property
    def action_xy(self) -> np.ndarray:
        return self._array("action_xy")

    @property
    def rewards(self) -> np.ndarray:
        return self._array("rewards")

    @property
    def terminations(self) -> np.ndarray:
        return self._array("terminations")

    @property
    def truncations(self) -> np.ndarray:
        return self._array("truncations")

    @property
    def controllers(self) -> np.ndarray:
        return self._array("controllers")

    @property
    def timestamps(self) -> np.ndarray:
        return self._array("timestamps")

    @property
    def infos(self) -> dict[str, np.ndarray]:
        """name -> (T+1,) array; strings come back as str objects."""
        out: dict[str, np.ndarray] = {}
        for key, ds in self._file["infos"].items():
            values = ds[:]
            if values.dtype.kind in "SO":
                values = np.array([_text(v) for v in values], dtype=object)
            out[key] = values
        return out

    @property
    def step_frame_offsets(self) -> np.ndarray:
        return self._array("step_frame_offsets")

    def step_frames(self, t: int) -> list[np.ndarray]:
        """Every frame step t produced (ARC animation frames; Atari: one, or two with its previous emulator frame);
        the last is observations[t+1]."""
        if not 0 <= t < self.steps:
            raise IndexError(f"step {t} is outside 0..{self.steps - 1} in {self.path}")
        offsets = self._file["step_frame_offsets"]
        start, end = int(offsets[t]), int(offsets[t + 1])
        extra = list(self._file["step_frames"][start:end]) if end > start else []
        return extra + [self._file["observations"][t + 1]]

    def summary(self) -> EpisodeSummary:
        controllers = self.controllers
        agent = int(controllers.sum()) if controllers.size else 0
        return EpisodeSummary(
            path=self.path,
            game=self.game,
            game_version=self.game_version,
            frame_kind=self.frame_kind,
            steps=self.steps,
            outcome=self.outcome,
            complete=self.complete,
            human_steps=int(controllers.size - agent),
            agent_steps=agent,
            total_reward=float(self.rewards.sum()) if self.steps else 0.0,
            size_bytes=self.path.stat().st_size,
            created=str(self.attrs.get("created", "")),
            seed=self.seed,
            format_version=self.version,
        )


def open_episode(path: Path | str) -> Episode:
    """Open an episode for reading; raises RecordingError with one sentence for bad files."""
    return Episode(path)


@dataclass(frozen=True)
class EpisodeSummary:
    """What `aria recordings list` shows for one episode."""

    path: Path
    game: str
    game_version: str
    frame_kind: str
    steps: int
    outcome: str
    complete: bool
    human_steps: int
    agent_steps: int
    total_reward: float
    size_bytes: int
    created: str
    seed: int | None
    format_version: int

    @property
    def controller_mix(self) -> str:
        if not self.steps:
            return "-"
        if not self.agent_steps or not self.human_steps:
            return "agent" if self.agent_steps else "human"
        return f"{100 * self.human_steps // self.steps}% human"

    @property
    def date(self) -> str:
        try:
            return datetime.fromisoformat(self.created).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return self.created


class RecordingProblem(str):
    """A file that could not be read, as one sentence (a str), with the file's path attached."""

    path: Path

    def __new__(cls, message: str, path: Path) -> RecordingProblem:
        obj = super().__new__(cls, message)
        obj.path = path
        return obj


def episode_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """Finished episodes and unfinished `.h5.part` files under a folder (recursively), sorted."""
    finished = sorted(p for p in folder.rglob(f"*{EPISODE_SUFFIX}") if p.is_file())
    parts = sorted(p for p in folder.rglob(f"*{PART_SUFFIX}") if p.is_file())
    return finished, parts


def iter_episodes(folder: Path | str) -> Iterator[EpisodeSummary | RecordingProblem]:
    """Every episode under a folder as a summary, and every unreadable file as a RecordingProblem; never raises."""
    root = Path(folder).expanduser()
    if root.is_file():
        files, parts = ([root], []) if not root.name.endswith(PART_SUFFIX) else ([], [root])
    elif not root.is_dir():
        yield RecordingProblem(f"Recordings folder {root} does not exist; check the path or record with `aria record`.", root)
        return
    else:
        files, parts = episode_files(root)
    if not files and not parts:
        yield RecordingProblem(
            f"No recordings (*.h5) in {root}; record some with `aria record GAME --headless` or pick another folder.",
            root,
        )
        return
    for path in files:
        try:
            with open_episode(path) as ep:
                yield ep.summary()
        except RecordingError as e:
            yield RecordingProblem(str(e), path)
        except Exception as e:  # a damaged file can fail deep inside HDF5 after opening
            yield RecordingProblem(
                f"Recording {path} is damaged ({type(e).__name__}: {e}); delete it or restore it from a backup.", path
            )
    for path in parts:
        yield RecordingProblem(
            f"{path} is an unfinished recording (still being written, or interrupted); if no recording is running, "
            f"run `aria recordings recover {path.parent}`.",
            path,
        )
