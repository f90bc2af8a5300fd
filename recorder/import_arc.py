"""Import recordings made by the ARC-AGI-3 toolkit (JSONL, one frame record per line) as ARIA episodes.

A line: {"timestamp": ISO-8601, "data": {"game_id", "state", "levels_completed" (older files: "score"),
"win_levels", "action_input": {"id", "data": {"x", "y"}}, "available_actions", "full_reset"?,
"frame": [64x64 grids]}}; `.jsonl.gz` too. The play-through rule (as in the app): an episode ends at
WIN or GAME_OVER; a level RESET after a GAME_OVER starts the next episode of the same play-through (same
playthrough_id, index + 1, start_level = levels completed then); a full reset (the record says
"full_reset", or in files without that field, a RESET after a WIN) starts a new play-through; other
RESETs are level resets and stay steps of the episode. Rewards are the increase of levels_completed.
Nothing is dropped silently: a record that fits no episode is a problem naming its line.
Files are named and dated by the toolkit's timestamps.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from recorder.errors import RecordingError
from recorder.format import AGENT, EPISODE_SUFFIX, HUMAN, PlayThrough
from recorder.writer import EpisodeWriter

ENDED = ("WIN", "GAME_OVER")
TOOLKIT_SOURCE = "ARC-AGI-3 toolkit recording"  # env_config["source"] of imported episodes
ACTION_IDS = {"RESET": 0, **{f"ACTION{i}": i for i in range(1, 8)}}
GRID = (64, 64)


@dataclass
class _Record:
    line: int
    time: float | None
    game_id: str
    state: str
    levels: int
    win_levels: int
    action: int
    xy: tuple[int, int] | None
    full_reset: bool | None
    frames: list[np.ndarray]

    @property
    def info(self) -> dict[str, Any]:
        return {
            "score": self.levels,
            "levels_completed": self.levels,
            "win_levels": self.win_levels,
            "state": self.state,
            "full_reset": bool(self.full_reset),
        }


@dataclass
class _Episode:
    """One episode: the record whose last frame starts it (a RESET, or the file's first record) and its steps."""

    start: _Record
    playthrough: int  # which play-through of the file (counting from 0)
    index: int  # the episode's place in its play-through
    steps: list[_Record] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return bool(self.steps) and self.steps[-1].state in ENDED


@dataclass
class ImportResult:
    episodes: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # lines or files that were skipped, one sentence each
    notes: list[str] = field(default_factory=list)


def _action_id(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("a boolean action id")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().upper() in ACTION_IDS:
        value = ACTION_IDS[raw.strip().upper()]
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw)
    else:
        raise ValueError(f"action id {raw!r} is not RESET/ACTION1..7 or 0..7")
    if not 0 <= value <= 7:
        raise ValueError(f"action id {value} is outside 0..7")
    return value


def _time(raw: Any) -> float | None:
    if isinstance(raw, (int, float)):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _parse(line: str, number: int) -> _Record:
    """One frame record, or ValueError saying what is wrong with it."""
    try:
        obj = json.loads(line)
    except ValueError as e:
        raise ValueError(f"it is not JSON ({e.msg})") from e
    data = obj.get("data") if isinstance(obj, dict) else None
    if not isinstance(data, dict):
        raise ValueError("it has no 'data' object")
    if not isinstance(data.get("frame"), list):
        raise ValueError("its data has no 'frame' list")
    action_input = data.get("action_input")
    if not isinstance(action_input, dict) or "id" not in action_input:
        raise ValueError("its data has no 'action_input' with an 'id'")
    action = _action_id(action_input["id"])
    frames = []
    for grid in data["frame"]:
        array = np.asarray(grid)
        if array.shape != GRID or not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 15:
            raise ValueError(f"a frame is not a 64x64 grid of colours 0..15 (shape {array.shape})")
        frames.append(array.astype(np.uint8))
    levels = data.get("levels_completed", data.get("score", 0))
    xy = None
    payload = action_input.get("data") or {}
    if action == 6:
        if not isinstance(payload, dict) or "x" not in payload or "y" not in payload:
            raise ValueError("ACTION6 (click) has no x and y")
        xy = (int(payload["x"]), int(payload["y"]))
        if not all(0 <= v < GRID[0] for v in xy):
            raise ValueError(f"ACTION6 (click) at {xy} is outside the 64x64 grid (0..63)")
    full_reset = data.get("full_reset")
    return _Record(
        line=number,
        time=_time(obj.get("timestamp")),
        game_id=str(data.get("game_id") or ""),
        state=str(data.get("state") or ""),
        levels=int(levels or 0),
        win_levels=int(data.get("win_levels") or 0),
        action=action,
        xy=xy,
        full_reset=None if full_reset is None else bool(full_reset),
        frames=frames,
    )


def _is_full_reset(record: _Record, current: _Episode) -> bool:
    """A RESET that restarts the game: the toolkit says so (`full_reset`), or, in files without that field,
    it follows a WIN (the engine resets fully after a win and only the level after a GAME_OVER)."""
    if record.action != 0:
        return False
    if record.full_reset is not None:
        return record.full_reset
    return current.ended and current.steps[-1].state == "WIN"


def _open_text(path: Path) -> IO[str]:
    """The file as text: gzip-compressed when it says so (`.gz`) or starts with gzip's magic bytes."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped or path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _lines(path: Path, result: ImportResult) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-empty line; a file that cannot be read as text is one problem."""
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError; a cut gzip file ends in EOFError
        result.problems.append(f"{path} cannot be read ({getattr(e, "strerror", None) or e}); check the file, or give the .jsonl(.gz) the toolkit wrote.")
    except UnicodeDecodeError as e:
        result.problems.append(f"{path} is not a UTF-8 text file ({type(e).__name__}); give the .jsonl(.gz) the toolkit wrote.")


def read_episodes(path: Path, result: ImportResult) -> list[_Episode]:
    """The file's records split into episodes: an episode ends at WIN or GAME_OVER; a level RESET after a
    GAME_OVER starts the next episode of the same play-through, a full reset starts a new play-through.
    A record that fits nowhere (an action sent to a finished game, a line that is not a frame record)
    is a problem naming its line."""
    episodes: list[_Episode] = []
    current: _Episode | None = None
    ignored: list[int] = []  # lines of actions sent to a finished game, reported together

    def report_ignored() -> None:
        if ignored:
            where = f"line {ignored[0]}" if len(ignored) == 1 else f"lines {ignored[0]}-{ignored[-1]} ({len(ignored)} actions)"
            result.problems.append(
                f"{path} {where}: actions sent after the game had ended ({current.steps[-1].state}) and before a "
                "RESET; the game ignored them, so they belong to no episode. The rest was imported."
            )
            ignored.clear()

    for number, line in _lines(path, result):
        try:
            record = _parse(line, number)
        except (ValueError, TypeError) as e:
            result.problems.append(
                f"{path} line {number} is not an ARC-AGI-3 frame record ({e}); it was not imported, fix or delete it."
            )
            continue
        if current is None or _is_full_reset(record, current) or (current.ended and record.action == 0):
            report_ignored()
            if not record.frames:
                result.problems.append(f"{path} line {number} starts an episode without a frame; it was not imported.")
                continue
            if current is None and record.action != 0:
                result.notes.append(f"{path} starts at line {number} without a RESET; its frame is taken as the start.")
            if current is None or _is_full_reset(record, current):
                playthrough, index = (current.playthrough + 1 if current else 0), 0
            else:  # a level RESET after GAME_OVER: the play-through goes on
                playthrough, index = current.playthrough, current.index + 1
            current = _Episode(record, playthrough, index)
            episodes.append(current)
        elif current.ended:
            ignored.append(number)
        else:
            current.steps.append(record)
    report_ignored()
    if not episodes and not result.problems:
        result.problems.append(f"{path} holds no frame records; is it an ARC-AGI-3 toolkit recording?")
    return episodes


def _write(episode: _Episode, source: Path, out_dir: Path, app_version: str, controller: int,
           playthrough_id: str) -> Path:
    """One episode file, named and dated by the toolkit's timestamp of the record that starts it."""
    start = episode.start
    base, _, version = start.game_id.partition("-")
    created = datetime.fromtimestamp(start.time, UTC) if start.time is not None else None
    writer = EpisodeWriter.create(
        out_dir,
        game=base or "arc",
        frame_kind="grid",
        game_version=version,
        env_config={"source": TOOLKIT_SOURCE, "file": str(source), "line": start.line, "game_id": start.game_id},
        seed=None,
        app_version=app_version,
        playthrough=PlayThrough(playthrough_id, episode.index, start.levels),
        created=created,
    )
    try:
        writer.reset_frame(start.frames[-1], start.info)
        previous_frame, previous_levels, previous_time = start.frames[-1], start.levels, 0.0
        for k, rec in enumerate(episode.steps):
            frames = rec.frames or [previous_frame]  # a step that changed nothing may answer without frames
            last = k == len(episode.steps) - 1
            if rec.time is not None and start.time is not None:  # clocks can step back: keep timestamps monotonic
                previous_time = max(previous_time, rec.time - start.time)
            terminated = rec.state in ENDED
            writer.add_step(
                rec.action, rec.xy, frames,
                reward=float(max(0, rec.levels - previous_levels)),
                terminated=terminated,
                truncated=last and not terminated,  # the file stops before the game ended
                info=rec.info,
                controller=controller,
                timestamp=previous_time,
            )
            previous_frame, previous_levels = frames[-1], rec.levels
        final_state = episode.steps[-1].state if episode.steps else start.state
        return writer.close(outcome=final_state)
    except BaseException:
        writer.discard()
        raise


def import_arc_jsonl(
    files: list[Path | str], out_dir: Path | str, app_version: str, controller: int = HUMAN
) -> ImportResult:
    """Convert toolkit JSONL files (.jsonl or .jsonl.gz) into episodes under out_dir/<game>/; records that
    cannot be placed are reported as problems (callers exit non-zero on any)."""
    if controller not in (HUMAN, AGENT):
        raise RecordingError(f"Controller {controller} is not 0 (human) or 1 (agent).")
    result = ImportResult()
    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            result.problems.append(f"{path} is not a file; give the toolkit's .jsonl(.gz) recordings.")
            continue
        ids: dict[int, str] = {}  # play-through number in the file -> its id (its first episode's file name)
        for episode in read_episodes(path, result):
            if not episode.steps:
                result.notes.append(f"{path} line {episode.start.line}: a RESET with no moves after it made no episode.")
                continue
            written = _write(episode, path, Path(out_dir), app_version, controller, ids.get(episode.playthrough, ""))
            ids.setdefault(episode.playthrough, written.name.removesuffix(EPISODE_SUFFIX))
            result.episodes.append(written)
    return result
