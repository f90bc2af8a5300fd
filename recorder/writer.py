"""EpisodeWriter: one episode into one HDF5 file, crash-safe, without stalling the play loop.

How it survives kill -9: the file is written under a temporary name (`.h5.part`) in HDF5's SWMR mode,
whose write ordering keeps the file readable at every instant. Steps wait in memory (cheap for the
play loop) and a background thread appends them to the file and flushes it at least every second.
`close()` stamps the outcome, fsyncs and atomically renames the file to `.h5`; `recover` turns a
leftover `.h5.part` into a readable episode marked incomplete.

How it survives a full disk: HDF5 does not survive a failed write (closing the file afterwards segfaults), so
each flush first claims the space it will need (reserve_space); when that fails nothing more reaches the file
(abandon_file), the steps already flushed stay in the `.h5.part` for `recover`, and the caller gets one sentence.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import secrets
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from recorder.errors import RecordingError
from recorder.format import (
    EPISODE_SUFFIX,
    FORMAT_NAME,
    FORMAT_VERSION,
    FRAME_KINDS,
    INFO_STRING_BYTES,
    NO_SEED,
    NO_XY,
    PART_SUFFIX,
    STORAGE,
    PlayThrough,
    WriterConfig,
    scalar_options,
)

_SCALAR_DTYPES = {
    "actions": np.int64,
    "rewards": np.float64,
    "terminations": np.bool_,
    "truncations": np.bool_,
    "controllers": np.uint8,
}


def episode_name(now: datetime | None = None) -> str:
    """`<timestamp>_<id>`: sorts by time; the random id keeps parallel recorders apart."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%d-%H%M%S')}_{secrets.token_hex(4)}"


def safe_folder_name(game: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", game) or "game"


def info_dtype(value: Any) -> np.dtype | None:
    """The column type for an info value, or None when it is not a scalar (lists, dicts are not stored)."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return np.dtype(np.float64)
    if isinstance(value, (str, bytes)) or hasattr(value, "value") and isinstance(value.value, str):
        return np.dtype(f"S{INFO_STRING_BYTES}")
    return None


def info_cell(value: Any, dtype: np.dtype) -> Any:
    """One info value converted to its column's type; a missing or unconvertible value gets a neutral default."""
    if dtype.kind == "S":
        if value is None:
            return b""
        text = value.value if hasattr(value, "value") and isinstance(value.value, str) else value
        raw = text if isinstance(text, bytes) else str(text).encode("utf-8")
        return raw[:INFO_STRING_BYTES]
    try:
        return dtype.type(value) if value is not None else dtype.type(np.nan if dtype.kind == "f" else 0)
    except (TypeError, ValueError):
        return dtype.type(np.nan if dtype.kind == "f" else 0)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_METADATA_RESERVE = 128 * 1024  # room for HDF5's own bookkeeping on a flush or at close, beyond the rows' bytes
_FLUSH_PIECE = 64  # observations written (and space claimed) at a time
_KEEP_SIZE, _PUNCH_HOLE = 0x01, 0x02  # fallocate(2) modes
_libc = ctypes.CDLL(None, use_errno=True)


def _fallocate(fd: int, mode: int, offset: int, length: int) -> int:
    """fallocate(2); returns 0 or the errno (ENOSYS where the C library has none, e.g. macOS)."""
    fallocate = getattr(_libc, "fallocate", None)
    if fallocate is None:
        return errno.ENOSYS
    if fallocate(fd, mode, ctypes.c_int64(offset), ctypes.c_int64(length)) == 0:
        return 0
    return ctypes.get_errno()


def reserve_space(f: h5py.File, nbytes: int) -> None:
    """Make sure the next `nbytes` HDF5 writes past the end of the file cannot fail for lack of space, or raise
    OSError(ENOSPC) before HDF5 writes anything. HDF5 does not survive a failed write: its state is corrupt after
    it and closing the file segfaults. So space is claimed first, beyond the end of the file without growing it
    (fallocate KEEP_SIZE), and where the filesystem cannot do that, free space is checked instead."""
    fd = f.id.get_vfd_handle()
    err = _fallocate(fd, _KEEP_SIZE, os.fstat(fd).st_size, nbytes)
    if err in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
        stats = os.fstatvfs(fd)
        err = errno.ENOSPC if stats.f_bavail * stats.f_frsize < nbytes else 0
    if err:
        raise OSError(err, os.strerror(err))


def release_space(path: Path) -> None:
    """Give back the space reserve_space claimed past the end of a finished file."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        _fallocate(fd, _KEEP_SIZE | _PUNCH_HOLE, os.fstat(fd).st_size, 1 << 40)
    finally:
        os.close(fd)


def abandon_file(f: h5py.File) -> None:
    """Point HDF5's file descriptor at /dev/null so that nothing more reaches the disk. After a failed write (a full
    disk) HDF5 would retry its metadata on every later call and at close, and closing such a file segfaults; the
    bytes already on disk stay as the last successful flush left them, which `recover` reads."""
    try:
        fd = f.id.get_vfd_handle()
    except Exception:  # noqa: BLE001 - a closed or odd file: nothing to redirect
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


def close_quietly(f: h5py.File) -> None:
    """Close a file HDF5 may have failed to write, without letting it touch the disk again."""
    abandon_file(f)
    try:
        f.close()
    except Exception:  # noqa: BLE001 - writes go to /dev/null now; closing cannot lose anything more
        pass


def write_root_attrs(
    f: h5py.File,
    *,
    game: str,
    frame_kind: str,
    game_version: str,
    env_config: dict[str, Any],
    seed: int | None,
    app_version: str,
    action_names: Sequence[str] | None,
    created: str,
    playthrough: PlayThrough,
) -> None:
    f.attrs["format"] = FORMAT_NAME
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["app_version"] = str(app_version)
    f.attrs["game"] = str(game)
    f.attrs["game_version"] = str(game_version)
    f.attrs["frame_kind"] = frame_kind
    f.attrs["env_config"] = json.dumps(env_config, sort_keys=True, default=str)
    f.attrs["seed"] = NO_SEED if seed is None else int(seed)
    f.attrs["action_names"] = json.dumps(list(action_names or []))
    f.attrs["created"] = created
    f.attrs["playthrough_id"] = playthrough.id
    f.attrs["playthrough_index"] = int(playthrough.index)
    f.attrs["start_level"] = int(playthrough.start_level)
    f.attrs["outcome"] = ""
    f.attrs["complete"] = False
    f.attrs["steps"] = 0


class _Buffer:
    """Rows waiting for the flusher thread (all plain Python/numpy, so appending costs microseconds)."""

    def __init__(self) -> None:
        self.observations: list[np.ndarray] = []
        self.timestamps: list[float] = []
        self.extra_frames: list[np.ndarray] = []
        self.offsets: list[int] = []
        self.scalars: dict[str, list[Any]] = {name: [] for name in _SCALAR_DTYPES}
        self.xy: list[tuple[int, int]] = []
        self.infos: list[dict[str, Any]] = []
        self.since: float | None = None  # monotonic time of the oldest row waiting

    def __len__(self) -> int:
        return len(self.observations)

    def pieces(self, n: int) -> list[_Buffer]:
        """These rows in pieces of at most n observations (each with its steps and their animation frames), so a
        nearly full disk takes what fits, piece by piece."""
        if len(self) <= n:
            return [self]
        base = self.offsets[-1] - len(self.extra_frames)  # offsets count animation frames over the whole episode
        k = len(self.observations) - len(self.scalars["actions"])  # 1 when the reset frame (no step) is here
        out = []
        for a in range(0, len(self), n):
            b = min(a + n, len(self))
            piece = _Buffer()
            piece.observations, piece.timestamps = self.observations[a:b], self.timestamps[a:b]
            piece.offsets, piece.infos = self.offsets[a:b], self.infos[a:b]
            piece.extra_frames = self.extra_frames[(self.offsets[a - 1] if a else base) - base : self.offsets[b - 1] - base]
            piece.scalars = {name: column[max(0, a - k) : b - k] for name, column in self.scalars.items()}
            piece.xy = self.xy[max(0, a - k) : b - k]
            out.append(piece)
        return out

    def disk_bytes(self) -> int:
        """A generous guess of what these rows take on disk: frames are stored gzip-compressed and alike, so
        twice the compressed size of one frame each (one zlib call per flush), plus the scalar columns."""
        frames = self.observations + self.extra_frames
        one = len(zlib.compress(frames[-1].tobytes(), 1))
        return 2 * one * len(frames) + 256 * len(self.observations)


class EpisodeWriter:
    """Writes one episode; see recorder_api.md for the contract and FORMAT.md for the file layout."""

    def __init__(self, part_path: Path, frame_kind: str, config: WriterConfig, attrs: dict[str, Any]) -> None:
        self.path = part_path
        self.frame_kind = frame_kind
        self.config = config
        self._attrs = attrs
        self._file: h5py.File | None = None
        # Datasets stay open while writing: a dataset object freed mid-write would report HDF5's failure only
        # as an ignored error in its destructor and leave the library in a state that segfaults later.
        self._datasets: dict[str, h5py.Dataset] = {}
        self._frame_shape: tuple[int, ...] | None = None
        self._info_columns: dict[str, np.dtype] = {}  # columns created with the file (appended while writing)
        self._late_columns: dict[str, tuple[np.dtype, list[Any]]] = {}  # keys first seen after reset: kept in memory
        self._buffer = _Buffer()
        self._buffer_lock = threading.Lock()  # guards _buffer only: the play loop never waits on disk
        self._file_lock = threading.Lock()  # one writer of the HDF5 file at a time
        self._steps = 0
        self._flushed_observations = 0  # rows known to be on disk
        self._observations = 0
        self._extra_total = 0
        self._t0: float | None = None
        self._final: Path | None = None
        self._closed = False
        self._stop = threading.Event()
        self._flush_error: BaseException | None = None  # the first failed write: the file is abandoned after it
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None

    # -- creation ------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        out_dir: Path | str,
        *,
        game: str,
        frame_kind: str,
        game_version: str,
        env_config: dict[str, Any],
        seed: int | None,
        app_version: str,
        action_names: Sequence[str] | None = None,
        config: WriterConfig | None = None,
        playthrough: PlayThrough | None = None,
        created: datetime | None = None,
    ) -> EpisodeWriter:
        """Start an episode file at out_dir/<game>/<timestamp>_<id>.h5.part (renamed to .h5 by close()).
        Without `playthrough`, or with an empty id, the episode's play-through id is the file's name.
        `created` (UTC) names and dates the file when the episode happened earlier (imports); default now."""
        if frame_kind not in FRAME_KINDS:
            raise RecordingError(f"Frame kind '{frame_kind}' is not one of {', '.join(FRAME_KINDS)}; fix the caller.")
        folder = Path(out_dir).expanduser() / safe_folder_name(game)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RecordingError(f"Cannot create the recordings folder {folder} ({e.strerror}); choose another --out.") from e
        now = (created or datetime.now(UTC)).astimezone(UTC)
        part = folder / f"{episode_name(now)}{PART_SUFFIX}"
        playthrough = playthrough or PlayThrough("")
        attrs = dict(
            game=game,
            frame_kind=frame_kind,
            game_version=game_version,
            env_config=env_config,
            seed=seed,
            app_version=app_version,
            action_names=action_names,
            created=now.isoformat(),
            playthrough=playthrough if playthrough.id else replace(playthrough, id=part.name[: -len(PART_SUFFIX)]),
        )
        return cls(part, frame_kind, config or WriterConfig(), attrs)

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def flushed_steps(self) -> int:
        """Steps already on disk: what a crash right now would keep."""
        return max(0, self._flushed_observations - 1)

    @property
    def final_path(self) -> Path:
        return self.path.with_name(self.path.name[: -len(PART_SUFFIX)] + EPISODE_SUFFIX)

    def _check_frame(self, frame: Any) -> np.ndarray:
        array = np.array(frame, dtype=np.uint8, copy=True)  # the game may reuse its buffer
        expected = 3 if self.frame_kind == "rgb" else 2
        if array.ndim != expected or (self.frame_kind == "rgb" and array.shape[-1] != 3):
            raise RecordingError(
                f"A {self.frame_kind} frame must be {'(H, W, 3)' if expected == 3 else '(64, 64)'} uint8, "
                f"got shape {array.shape}; the game adapter passes the wrong frames."
            )
        if self._frame_shape is not None and array.shape != self._frame_shape:
            raise RecordingError(
                f"Frame shape {array.shape} differs from the episode's {self._frame_shape} in {self.path}; "
                "start a new episode when the frame size changes."
            )
        return array

    def reset_frame(self, frame: Any, info: dict[str, Any] | None = None) -> None:
        """The reset observation (observations[0]) and infos[0]; creates the file's datasets.

        Timestamps count from this call; importers that know the real times pass `timestamp=` to add_step.
        """
        if self._file is not None:
            raise RecordingError(f"reset_frame was already called for {self.path}; start a new EpisodeWriter per episode.")
        array = self._check_frame(frame)
        self._frame_shape = array.shape
        info = dict(info or {})
        self._info_columns = {k: dt for k, v in info.items() if (dt := info_dtype(v)) is not None}
        self._open_file(array.shape)
        self._t0 = time.monotonic()
        with self._buffer_lock:
            self._append_observation(array, 0.0, info)
        try:
            self.flush()  # the reset frame is on disk before play starts
        except RecordingError:
            self._closed = True
            self._give_up()
            raise
        self._thread = threading.Thread(target=self._flusher, name=f"recorder-flush-{self.path.stem}", daemon=True)
        self._thread.start()

    def _open_file(self, frame_shape: tuple[int, ...]) -> None:
        try:
            f = h5py.File(self.path, "w", libver="latest")
        except OSError as e:
            self.path.unlink(missing_ok=True)
            raise RecordingError(f"Cannot create {self.path} ({_first_line(e)}); check the folder is writable.") from e
        try:
            reserve_space(f, _METADATA_RESERVE)
            self._create_datasets(f, frame_shape)
        except Exception as e:  # a full disk while laying out the file: leave no empty .part behind
            close_quietly(f)
            self.path.unlink(missing_ok=True)
            raise RecordingError(f"Cannot create {self.path} ({_first_line(e)}); free disk space or choose another --out.") from e
        self._file = f
        # A POSIX lock says "a live process writes this file": recover refuses to touch it while held.
        # The kernel drops it when the process dies, kill -9 included.
        self._lock_fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a filesystem without locks: record anyway, recover just cannot tell live files apart
            self._release_lock()

    def _create_datasets(self, f: h5py.File, frame_shape: tuple[int, ...]) -> None:
        write_root_attrs(f, **self._attrs)
        storage = STORAGE[self.frame_kind]
        for name in ("observations", "step_frames"):
            f.create_dataset(name, (0, *frame_shape), np.uint8, maxshape=(None, *frame_shape),
                             **storage.dataset_options(frame_shape))
        scalar = scalar_options()
        f.create_dataset("step_frame_offsets", (0,), np.int64, **scalar)
        f.create_dataset("timestamps", (0,), np.float64, **scalar)
        for name, dtype in _SCALAR_DTYPES.items():
            f.create_dataset(name, (0,), dtype, **scalar)
        f.create_dataset("action_xy", (0, 2), np.int16, **scalar_options((2,)))
        infos = f.create_group("infos")
        for key, dtype in self._info_columns.items():
            infos.create_dataset(key, (0,), dtype, **scalar)
        f.swmr_mode = True  # from here on the file stays readable whatever happens to this process
        self._datasets = {name: f[name] for name in ("step_frames", "observations", "step_frame_offsets",
                                                     "timestamps", "action_xy", *_SCALAR_DTYPES)}
        self._datasets.update({f"infos/{key}": infos[key] for key in self._info_columns})

    # -- the play loop ---------------------------------------------------------------------------
    def _append_observation(self, frame: np.ndarray, t: float, info: dict[str, Any]) -> None:
        b = self._buffer
        if b.since is None:
            b.since = time.monotonic()
        b.observations.append(frame)
        b.timestamps.append(t)
        b.offsets.append(self._extra_total)
        b.infos.append(info)
        self._observations += 1
        for key, value in info.items():
            if key in self._info_columns:
                continue
            if key not in self._late_columns:
                dtype = info_dtype(value)
                if dtype is None:
                    continue
                self._late_columns[key] = (dtype, [info_cell(None, dtype)] * (self._observations - 1))
        for key, (dtype, column) in self._late_columns.items():
            column.append(info_cell(info.get(key), dtype))

    def add_step(
        self,
        action: int,
        xy: tuple[int, int] | None,
        frames: Sequence[Any],
        reward: float,
        terminated: bool,
        truncated: bool,
        info: dict[str, Any] | None = None,
        controller: int = 0,
        timestamp: float | None = None,
    ) -> None:
        """One step: its action (with click xy or None), every frame it produced (the last is the new observation)."""
        if self._closed:
            raise RecordingError(f"{self.path} is already closed; start a new EpisodeWriter.")
        if self._file is None or self._t0 is None:
            raise RecordingError(f"add_step before reset_frame in {self.path}; record the reset frame first.")
        if self._flush_error is not None:
            raise self._write_failed()
        if not frames:
            raise RecordingError(f"A step must produce at least one frame (action {action} in {self.path}).")
        arrays = [self._check_frame(f) for f in frames]
        t = time.monotonic() - self._t0 if timestamp is None else float(timestamp)
        with self._buffer_lock:
            b = self._buffer
            b.extra_frames.extend(arrays[:-1])
            self._extra_total += len(arrays) - 1
            b.scalars["actions"].append(int(action))
            b.scalars["rewards"].append(float(reward))
            b.scalars["terminations"].append(bool(terminated))
            b.scalars["truncations"].append(bool(truncated))
            b.scalars["controllers"].append(int(controller))
            b.xy.append(NO_XY if xy is None else (int(xy[0]), int(xy[1])))
            self._append_observation(arrays[-1], t, dict(info or {}))
            self._steps += 1
            backlog = len(b)
        if backlog >= self.config.max_buffered:
            self.flush()

    # -- writing to disk ---------------------------------------------------------------------------
    def _flusher(self) -> None:
        while not self._stop.wait(self.config.poll_s):
            since = self._buffer.since
            if since is not None and time.monotonic() - since >= self.config.flush_after_s:
                try:
                    self.flush()
                except RecordingError:  # kept in _flush_error: the play loop hears of it at its next add_step / close
                    return

    def flush(self) -> None:
        """Append every waiting row to the file and flush it (the flusher thread calls this on its own).
        Every HDF5 call on the file goes through _file_lock; after the first failed write the file is abandoned
        (see abandon_file) and every later flush raises the same RecordingError without touching it."""
        with self._file_lock:
            if self._flush_error is not None:
                raise self._write_failed()
            with self._buffer_lock:
                if not len(self._buffer):
                    return
                rows, self._buffer = self._buffer, _Buffer()
            if self._file is None:
                return
            for piece in rows.pieces(_FLUSH_PIECE):
                try:
                    reserve_space(self._file, _METADATA_RESERVE + piece.disk_bytes())
                    self._write_rows(piece)
                    self._file.flush()
                except Exception as e:  # noqa: BLE001 - a full disk, an I/O error: stop writing this file at once
                    self._flush_error = e
                    abandon_file(self._file)
                    raise self._write_failed() from e
                self._flushed_observations += len(piece)

    def _write_failed(self) -> RecordingError:
        return RecordingError(
            f"Writing {self.path} failed ({_first_line(self._flush_error)}); free disk space, then run "
            f"`aria recordings recover {self.path.parent}` to keep the {self.flushed_steps} step(s) saved."
        )

    def _write_rows(self, rows: _Buffer) -> None:
        # Frames first, bookkeeping last: a reader after a crash trusts the shortest dataset.
        d = self._datasets
        if rows.extra_frames:
            _append(d["step_frames"], np.stack(rows.extra_frames))
        _append(d["observations"], np.stack(rows.observations))
        for name, dtype in _SCALAR_DTYPES.items():
            if rows.scalars[name]:
                _append(d[name], np.asarray(rows.scalars[name], dtype=dtype))
        if rows.xy:
            _append(d["action_xy"], np.asarray(rows.xy, dtype=np.int16))
        for key, dtype in self._info_columns.items():
            _append(d[f"infos/{key}"], np.asarray([info_cell(i.get(key), dtype) for i in rows.infos], dtype=dtype))
        _append(d["step_frame_offsets"], np.asarray(rows.offsets, dtype=np.int64))
        _append(d["timestamps"], np.asarray(rows.timestamps, dtype=np.float64))

    # -- ending ----------------------------------------------------------------------------------
    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _stop_flusher(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def close(self, outcome: str = "", complete: bool = True) -> Path:
        """Write everything, stamp the outcome, fsync and atomically rename to .h5; returns the final path."""
        if self._final is not None:
            return self._final
        if self._closed:
            raise RecordingError(f"Episode {self.path} failed to close earlier; run `aria recordings recover {self.path.parent}`.")
        if self._file is None:
            raise RecordingError(f"Episode {self.path} has no reset frame; call reset_frame before close, or discard().")
        self._stop_flusher()
        self._closed = True
        if self._flush_error is not None:
            self._give_up()
            raise self._write_failed()
        try:
            self._finish(outcome, complete)
        except (OSError, RuntimeError, ValueError) as e:
            raise RecordingError(
                f"Episode {self.path} could not be finished ({e}); free disk space, then run "
                f"`aria recordings recover {self.path.parent}` to keep what was saved."
            ) from e
        return self.path

    def _give_up(self) -> None:
        """After a failed write: close without writing; a file with no step on disk is removed, not left empty."""
        close_quietly(self._file)
        self._file, self._datasets = None, {}
        self._release_lock()
        if self.flushed_steps == 0:
            self.path.unlink(missing_ok=True)
        else:
            release_space(self.path)

    def _finish(self, outcome: str, complete: bool) -> None:
        try:
            self.flush()
        except RecordingError:
            self._give_up()
            raise
        self._file.close()
        self._file, self._datasets = None, {}
        self._release_lock()
        # Out of SWMR mode: attributes and late info columns can be written now.
        f = h5py.File(self.path, "r+")
        try:
            for key, (dtype, column) in self._late_columns.items():
                f["infos"].create_dataset(key, data=np.asarray(column, dtype=dtype), **scalar_options())
            f.attrs["outcome"] = str(outcome)
            f.attrs["complete"] = bool(complete)
            f.attrs["steps"] = self._steps
            f.attrs["closed"] = datetime.now(UTC).isoformat()
            f.flush()
        except Exception:
            close_quietly(f)  # the steps stay on disk for `recover`; only the stamp is missing
            raise
        f.close()
        release_space(self.path)
        fsync_path(self.path)
        final = self.final_path
        os.replace(self.path, final)
        fsync_path(final.parent)
        self._final = final
        self.path = final

    def discard(self) -> None:
        """Drop this episode (e.g. 0 steps): nothing is left on disk."""
        if self._final is not None:
            return
        self._stop_flusher()
        self._closed = True
        if self._file is not None:
            if self._flush_error is not None:
                close_quietly(self._file)
            else:
                self._file.close()
            self._file, self._datasets = None, {}
        self._release_lock()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._final is not None or self._closed:
            return
        if self._file is None:
            self.discard()
        else:
            self.close(outcome="ABORTED" if exc_type else "", complete=exc_type is None)


def _first_line(e: BaseException | None) -> str:
    """An exception as a short phrase (HDF5's messages run over several lines and name the time of day)."""
    text = str(e).strip() or type(e).__name__
    if "No space left on device" in text or getattr(e, "errno", None) == 28:
        return "no space left on device"
    return text.splitlines()[0][:200].rstrip(",; ")


def _append(dataset: h5py.Dataset, rows: np.ndarray) -> None:
    n = dataset.shape[0]
    dataset.resize(n + len(rows), axis=0)
    dataset[n:] = rows
