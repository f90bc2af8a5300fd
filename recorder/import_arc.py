"""Import recordings made by the ARC-AGI-3 toolkit (JSONL, one frame record per line) as ARIA episodes.

A line: {"timestamp": ISO-8601, "data": {"game_id", "state", "levels_completed" (older files: "score"),
"win_levels", "action_input": {"id", "data": {"x", "y"}}, "available_actions", "full_reset"?,
"frame": [64x64 grids]}}. One episode per play-through: a RESET (action 0) starts a new one at the
start of the file or when it is a full reset (the record says "full_reset", or, in files without
that field, the previous play-through had ended in WIN or GAME_OVER); other RESETs are level resets
and stay steps of the episode. Rewards are the increase of levels_completed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from recorder.errors import RecordingError
from recorder.format import AGENT, HUMAN
from recorder.writer import EpisodeWriter

ENDED = ("WIN", "GAME_OVER")
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
class _PlayThrough:
    reset: _Record
    steps: list[_Record] = field(default_factory=list)
    ignored_after_end: int = 0

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


def _starts_play_through(record: _Record, current: _PlayThrough | None) -> bool:
    if current is None:
        return True
    if record.action != 0:
        return False
    if record.full_reset is not None:
        return record.full_reset
    return current.ended  # files without full_reset: a reset after the end restarts the game


def read_play_throughs(path: Path, result: ImportResult) -> list[_PlayThrough]:
    plays: list[_PlayThrough] = []
    current: _PlayThrough | None = None
    try:
        handle = path.open(encoding="utf-8")
    except OSError as e:
        result.problems.append(f"{path} cannot be read ({e.strerror}); check the path.")
        return plays
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = _parse(line, number)
            except (ValueError, TypeError) as e:
                result.problems.append(
                    f"{path} line {number} is not an ARC-AGI-3 frame record ({e}); that line was skipped, fix or delete it."
                )
                continue
            if _starts_play_through(record, current):
                if not record.frames:
                    result.problems.append(f"{path} line {number} starts a play-through without a frame; it was skipped.")
                    continue
                if record.action != 0:
                    result.notes.append(f"{path} starts at line {number} without a RESET; its frame is taken as the start.")
                current = _PlayThrough(record)
                plays.append(current)
            elif current.ended:
                current.ignored_after_end += 1
            else:
                current.steps.append(record)
    if not plays and not result.problems:
        result.problems.append(f"{path} holds no frame records; is it an ARC-AGI-3 toolkit recording?")
    return plays


def _write(play: _PlayThrough, source: Path, out_dir: Path, app_version: str, controller: int) -> Path:
    start = play.reset
    base, _, version = start.game_id.partition("-")
    writer = EpisodeWriter.create(
        out_dir,
        game=base or "arc",
        frame_kind="grid",
        game_version=version,
        env_config={"source": "ARC-AGI-3 toolkit recording", "file": str(source), "line": start.line,
                    "game_id": start.game_id},
        seed=None,
        app_version=app_version,
    )
    try:
        writer.reset_frame(start.frames[-1], start.info)
        previous_frame, previous_levels, previous_time = start.frames[-1], start.levels, 0.0
        t0 = start.time
        for k, rec in enumerate(play.steps):
            frames = rec.frames or [previous_frame]  # a finished game answers without frames
            last = k == len(play.steps) - 1
            if rec.time is not None and t0 is not None:  # clocks can step back: keep timestamps monotonic
                previous_time = max(previous_time, rec.time - t0)
            terminated = rec.state in ENDED
            writer.add_step(
                rec.action, rec.xy, frames,
                reward=float(max(0, rec.levels - previous_levels)),
                terminated=terminated,
                truncated=last and not terminated,  # the play-through stops before the game ended
                info=rec.info,
                controller=controller,
                timestamp=previous_time,
            )
            previous_frame, previous_levels = frames[-1], rec.levels
        final_state = play.steps[-1].state if play.steps else start.state
        return writer.close(outcome=final_state)
    except BaseException:
        writer.discard()
        raise


def import_arc_jsonl(
    files: list[Path | str], out_dir: Path | str, app_version: str, controller: int = HUMAN
) -> ImportResult:
    """Convert toolkit JSONL files into episodes under out_dir/<game>/; bad lines are skipped and reported."""
    if controller not in (HUMAN, AGENT):
        raise RecordingError(f"Controller {controller} is not 0 (human) or 1 (agent).")
    result = ImportResult()
    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            result.problems.append(f"{path} is not a file; give the toolkit's .jsonl recordings.")
            continue
        for play in read_play_throughs(path, result):
            if not play.steps:
                result.notes.append(f"{path} line {play.reset.line}: a play-through with no actions was skipped.")
                continue
            if play.ignored_after_end:
                result.notes.append(
                    f"{path}: {play.ignored_after_end} records after the end of the play-through from line "
                    f"{play.reset.line} were ignored (the game had already ended)."
                )
            result.episodes.append(_write(play, path, Path(out_dir), app_version, controller))
    return result
