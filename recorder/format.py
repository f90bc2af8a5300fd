"""The episode file format: its name, version, dataset names and storage settings (see recorder/FORMAT.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder.errors import RecordingError

FORMAT_NAME = "aria-episode"
# Bump on any layout change; readers keep reading every older version (see FORMAT.md, "Versioning").
FORMAT_VERSION = 2  # 2: play-through attributes (playthrough_id, playthrough_index, start_level)
OLDEST_READABLE_VERSION = 1

EPISODE_SUFFIX = ".h5"
PART_SUFFIX = ".h5.part"  # an episode still being written, or interrupted (then: `aria recordings recover`)
RECOVER_TMP_SUFFIX = ".h5.recovering"

FRAME_KINDS = ("rgb", "grid")
NO_SEED = -1  # the `seed` attribute when the episode's seed is unknown (e.g. imported recordings)
NO_XY = (-1, -1)
HUMAN, AGENT = 0, 1


@dataclass(frozen=True)
class PlayThrough:
    """Where an episode sits in a play-through: ARC episodes end at GAME_OVER or WIN, and a level RESET after a
    GAME_OVER goes on in a new episode of the same play-through (same id, next index, starting on that level)."""

    id: str
    index: int = 0
    start_level: int = 0  # levels completed when the episode starts

# Datasets with one row per step (T,) and per observation (T+1,).
STEP_DATASETS = ("actions", "action_xy", "rewards", "terminations", "truncations", "controllers")
OBSERVATION_DATASETS = ("observations", "timestamps", "step_frame_offsets")
REQUIRED_DATASETS = STEP_DATASETS + OBSERVATION_DATASETS + ("step_frames",)
INFO_STRING_BYTES = 64  # fixed-size utf-8 strings: SWMR appends need fixed-size types


@dataclass(frozen=True)
class FrameStorage:
    """How frames are chunked and compressed on disk (figures behind the choice: FORMAT.md)."""

    chunk_frames: int  # frames per HDF5 chunk
    compression: str | None = "gzip"
    level: int | None = 1

    def dataset_options(self, frame_shape: tuple[int, ...]) -> dict[str, Any]:
        return {
            "chunks": (self.chunk_frames, *frame_shape),
            "compression": self.compression,
            "compression_opts": self.level if self.compression == "gzip" else None,
        }


# Atari frames are 100 KB: one frame per chunk keeps random access (training batches) cheap;
# gzip-1 beat lzf on both size and speed on real Breakout frames. ARC grids are 4 KB and compress ~100x,
# so 64 of them share a chunk.
STORAGE = {
    "rgb": FrameStorage(chunk_frames=1, compression="gzip", level=1),
    "grid": FrameStorage(chunk_frames=64, compression="gzip", level=1),
}
SCALAR_CHUNK = 1024


def scalar_options(row_shape: tuple[int, ...] = ()) -> dict[str, Any]:
    """Per-step datasets (actions, rewards, infos, ...): chunked so they can grow, lightly compressed."""
    return {"chunks": (SCALAR_CHUNK, *row_shape), "maxshape": (None, *row_shape), "compression": "gzip",
            "compression_opts": 1}


@dataclass(frozen=True)
class WriterConfig:
    """Crash-safety timing: steps wait in memory at most `flush_after_s` before a background flush."""

    flush_after_s: float = 1.0  # well inside the 2 s the design allows to be lost on a crash
    poll_s: float = 0.2  # how often the flusher thread looks at the buffer
    # Back-pressure for agents that play faster than frames compress: beyond this many waiting rows
    # add_step writes them itself (a person at 15-60 FPS never gets near it).
    max_buffered: int = 512


def check_format(attrs: Any, path: Path) -> int:
    """The file's format version, or one sentence saying why this file is not a readable ARIA episode."""
    name = attrs.get("format")
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    if name != FORMAT_NAME:
        raise RecordingError(
            f"{path} is an HDF5 file but not an ARIA recording (no '{FORMAT_NAME}' format attribute); "
            "move it out of the recordings folder."
        )
    try:
        version = int(attrs.get("format_version"))
    except (TypeError, ValueError) as e:
        raise RecordingError(f"{path} has no valid format_version attribute; the file is damaged, re-record it.") from e
    if version > FORMAT_VERSION:
        raise RecordingError(
            f"{path} was written by a newer ARIA (recording format version {version}; this ARIA reads up to "
            f"{FORMAT_VERSION}); upgrade ARIA to read it."
        )
    if version < OLDEST_READABLE_VERSION:
        raise RecordingError(f"{path} uses recording format version {version}, which no ARIA reads; re-record it.")
    return version
