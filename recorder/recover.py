"""Recover interrupted recordings: a leftover `.h5.part` becomes a readable `.h5` episode marked incomplete."""

from __future__ import annotations

import errno
import fcntl
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import h5py

from recorder.errors import RecordingError
from recorder.format import (
    EPISODE_SUFFIX,
    OBSERVATION_DATASETS,
    PART_SUFFIX,
    RECOVER_TMP_SUFFIX,
    STEP_DATASETS,
    STORAGE,
    check_format,
    scalar_options,
)
from recorder.writer import fsync_path

COPY_BLOCK = 256  # frames copied at a time, so a long episode never sits in memory whole
INTERRUPTED = "INTERRUPTED"


@dataclass(frozen=True)
class Recovered:
    part: Path
    path: Path
    steps: int


def _still_written(part: Path) -> bool:
    """True when a live writer holds the file's POSIX lock (see EpisodeWriter)."""
    fd = os.open(part, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN):
            return True
        raise
    finally:
        os.close(fd)
    return False


def _open_part(part: Path) -> h5py.File:
    try:
        return h5py.File(part, "r", swmr=True)  # the writer left SWMR flags set: only an SWMR reader may open it
    except (OSError, RuntimeError):
        try:
            return h5py.File(part, "r")
        except (OSError, RuntimeError) as e:
            raise RecordingError(
                f"{part} cannot be recovered: the process stopped before its first frame was saved ({e}); delete it."
            ) from e


def _usable_steps(f: h5py.File) -> int:
    """Steps whose every row reached the disk (datasets are appended in turn, so they can differ by one flush)."""
    observations = min(f[name].shape[0] for name in OBSERVATION_DATASETS)
    observations = min([observations] + [ds.shape[0] for ds in f["infos"].values()])
    if observations == 0:
        raise RecordingError(f"{f.filename} holds no saved frames, so there is nothing to recover; delete it.")
    steps = min([observations - 1] + [f[name].shape[0] for name in STEP_DATASETS])
    offsets = f["step_frame_offsets"]
    extra = f["step_frames"].shape[0]
    while steps > 0 and int(offsets[steps]) > extra:
        steps -= 1
    return steps


def _copy(src: h5py.Dataset, dst_group: h5py.Group, name: str, rows: int, frames: str | None) -> None:
    tail = src.shape[1:]
    if frames:
        options = {"maxshape": (None, *tail), **STORAGE[frames].dataset_options(tail)}
    else:
        options = scalar_options(tail)
    dst = dst_group.create_dataset(name, (rows, *tail), src.dtype, **options)
    for start in range(0, rows, COPY_BLOCK):
        end = min(rows, start + COPY_BLOCK)
        dst[start:end] = src[start:end]


def recover_file(part: Path) -> Recovered:
    """Turn one `.h5.part` into `.h5` (marked incomplete, outcome INTERRUPTED); the part is removed afterwards."""
    part = Path(part)
    if not part.name.endswith(PART_SUFFIX):
        raise RecordingError(f"{part} is not an unfinished recording (*{PART_SUFFIX}); nothing to recover.")
    if _still_written(part):
        raise RecordingError(f"{part} is still being written by a running recording; stop that recording first.")
    final = part.with_name(part.name[: -len(PART_SUFFIX)] + EPISODE_SUFFIX)
    if final.exists():
        raise RecordingError(f"{final} already exists next to {part.name}; move one of them away and retry.")
    tmp = part.with_name(part.name[: -len(PART_SUFFIX)] + RECOVER_TMP_SUFFIX)
    with _open_part(part) as src:
        check_format(src.attrs, part)
        steps = _usable_steps(src)
        frame_kind = src.attrs.get("frame_kind")
        frame_kind = frame_kind.decode() if isinstance(frame_kind, bytes) else str(frame_kind)
        extra = int(src["step_frame_offsets"][steps])
        with h5py.File(tmp, "w") as dst:
            for key, value in src.attrs.items():
                dst.attrs[key] = value
            for name in STEP_DATASETS:
                _copy(src[name], dst, name, steps, None)
            for name in ("timestamps", "step_frame_offsets"):
                _copy(src[name], dst, name, steps + 1, None)
            _copy(src["observations"], dst, "observations", steps + 1, frame_kind)
            _copy(src["step_frames"], dst, "step_frames", extra, frame_kind)
            infos = dst.create_group("infos")
            for key, ds in src["infos"].items():
                _copy(ds, infos, key, steps + 1, None)
            dst.attrs["steps"] = steps
            dst.attrs["complete"] = False
            dst.attrs["outcome"] = INTERRUPTED
            dst.attrs["recovered"] = datetime.now(UTC).isoformat()
    fsync_path(tmp)
    os.replace(tmp, final)
    fsync_path(final.parent)
    part.unlink()
    return Recovered(part, final, steps)


def recover(target: Path | str) -> tuple[list[Recovered], list[str]]:
    """Recover one `.h5.part` or every one under a folder: (recovered episodes, one sentence per failure)."""
    root = Path(target).expanduser()
    if root.is_dir():
        parts = sorted(p for p in root.rglob(f"*{PART_SUFFIX}") if p.is_file())
    elif root.exists():
        parts = [root]
    else:
        return [], [f"{root} does not exist; give a recordings folder or an .h5.part file."]
    done: list[Recovered] = []
    problems: list[str] = []
    for part in parts:
        try:
            done.append(recover_file(part))
        except RecordingError as e:
            problems.append(str(e))
        except (OSError, RuntimeError, KeyError, ValueError) as e:  # damage HDF5 notices only while copying
            Path(str(part)[: -len(PART_SUFFIX)] + RECOVER_TMP_SUFFIX).unlink(missing_ok=True)
            problems.append(f"{part} could not be recovered ({type(e).__name__}: {e}); it is kept as it was.")
    return done, problems
