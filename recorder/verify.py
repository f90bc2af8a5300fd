"""Verify episodes: the structure of the file, and (given a way to run the game) a frame-exact replay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from recorder.errors import RecordingError
from recorder.format import AGENT, HUMAN
from recorder.reader import Episode, open_episode

FRAME_BLOCK = 512  # frames checked at a time
GRID_COLOURS = 16

ResetFn = Callable[[int | None], Any]  # seed -> first frame
StepFn = Callable[[int, tuple[int, int] | None], Sequence[Any]]  # (action, xy) -> every frame the step produced
LevelResetFn = Callable[[], Sequence[Any]]  # play the game's level reset -> every frame it produced


@dataclass
class VerifyReport:
    path: Path
    steps: int = 0
    seed: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_lengths(ep: Episode, report: VerifyReport) -> None:
    f = ep._file
    t = ep.steps
    for name in ("action_xy", "rewards", "terminations", "truncations", "controllers"):
        if f[name].shape[0] != t:
            report.problems.append(f"{ep.path}: '{name}' has {f[name].shape[0]} rows but 'actions' has {t}; the file is damaged.")
    for name in ("observations", "timestamps", "step_frame_offsets"):
        if f[name].shape[0] != t + 1:
            report.problems.append(f"{ep.path}: '{name}' has {f[name].shape[0]} rows, expected {t + 1} (steps + 1); the file is damaged.")
    for key, ds in f["infos"].items():
        if ds.shape[0] != t + 1:
            report.problems.append(f"{ep.path}: 'infos/{key}' has {ds.shape[0]} rows, expected {t + 1}; the file is damaged.")
    if "steps" in ep.attrs and int(ep.attrs["steps"]) != t:
        report.problems.append(f"{ep.path}: the 'steps' attribute says {ep.attrs['steps']} but the file holds {t} steps.")


def _check_frames(ep: Episode, report: VerifyReport) -> None:
    f = ep._file
    for name in ("observations", "step_frames"):
        ds = f[name]
        if ds.dtype != np.uint8:
            report.problems.append(f"{ep.path}: '{name}' has dtype {ds.dtype}, expected uint8.")
            continue
        shape_ok = (ep.frame_kind == "grid" and ds.ndim == 3) or (ep.frame_kind == "rgb" and ds.ndim == 4 and ds.shape[-1] == 3)
        if not shape_ok:
            report.problems.append(f"{ep.path}: '{name}' has shape {ds.shape}, which does not fit frame kind '{ep.frame_kind}'.")
            continue
        if ep.frame_kind == "grid":
            for start in range(0, ds.shape[0], FRAME_BLOCK):
                top = int(ds[start : start + FRAME_BLOCK].max(initial=0))
                if top >= GRID_COLOURS:
                    report.problems.append(f"{ep.path}: '{name}' holds colour {top} near row {start}; ARC colours are 0..15.")
                    break
    offsets = ep.step_frame_offsets
    if offsets.size and (offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] != f["step_frames"].shape[0]):
        report.problems.append(
            f"{ep.path}: 'step_frame_offsets' must start at 0, never decrease and end at {f['step_frames'].shape[0]}; the file is damaged."
        )


def _check_values(ep: Episode, report: VerifyReport) -> None:
    ts = ep.timestamps
    if ts.size and (ts[0] != 0 or np.any(np.diff(ts) < 0)):
        report.problems.append(f"{ep.path}: 'timestamps' must start at 0 and never decrease.")
    xy = ep.action_xy
    bad_xy = ~(np.all(xy == -1, axis=1) | np.all(xy >= 0, axis=1)) if xy.size else np.zeros(0, bool)
    if bad_xy.any():
        report.problems.append(f"{ep.path}: step {int(np.argmax(bad_xy))} has click coordinates {xy[bad_xy][0].tolist()}; expected (-1, -1) or a position.")
    actions, names = ep.actions, ep.action_names
    limit = len(names) if names else 256
    if actions.size and (actions.min() < 0 or actions.max() >= limit):
        wrong = int(actions[(actions < 0) | (actions >= limit)][0])
        report.problems.append(f"{ep.path}: 'actions' holds {wrong}; this game's actions are 0..{limit - 1}.")
    rewards = ep.rewards
    if rewards.size and not np.isfinite(rewards).all():
        report.problems.append(f"{ep.path}: 'rewards' holds NaN or infinite values at {int((~np.isfinite(rewards)).sum())} step(s).")
    controllers = ep.controllers
    if controllers.size and not np.isin(controllers, (HUMAN, AGENT)).all():
        report.problems.append(f"{ep.path}: 'controllers' holds values other than 0 (human) and 1 (agent).")
    ends = ep.terminations | ep.truncations
    if ends.size and ends[:-1].any():
        report.problems.append(f"{ep.path}: the episode ends (terminated or truncated) at step {int(np.argmax(ends))} but goes on; it is damaged.")
    if not ep.complete:
        report.notes.append(f"{ep.path.name} is incomplete (outcome {ep.outcome or 'unknown'}): it was recovered after an interruption.")


def verify_structure(path: Path | str) -> VerifyReport:
    """Check one episode file; problems are sentences (an empty list means the file is sound)."""
    report = VerifyReport(Path(path))
    try:
        with open_episode(path) as ep:
            report.steps = ep.steps
            report.seed = ep.seed
            _check_lengths(ep, report)
            if not report.problems:
                _check_frames(ep, report)
                _check_values(ep, report)
    except RecordingError as e:
        report.problems.append(str(e))
    except Exception as e:  # damage deep inside HDF5 shows up only when data is read
        reason = (str(e).strip() or type(e).__name__).splitlines()[0][:160]
        report.problems.append(f"{path} is damaged ({type(e).__name__}: {reason}); delete it or restore it from a backup.")
    return report


def _difference(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shape {b.shape} instead of {a.shape}"
    return f"{int(np.any(a != b, axis=-1).sum() if a.ndim == 3 else (a != b).sum())} pixels differ"


def replay(
    ep: Episode, reset: ResetFn, step: StepFn, earlier: Sequence[Episode] = (), level_reset: LevelResetFn | None = None
) -> list[str]:
    """Re-run the recorded actions through the game and compare every frame (animation frames included).

    An episode that continues a play-through (playthrough_index > 0) starts where the one before it ended
    in GAME_OVER, after a level reset: pass the play-through's earlier episodes in order and `level_reset`
    (plays the game's reset action, returns its frames); they are replayed first, each checked too.
    Returns one sentence for the first mismatch, or nothing when every frame matches.
    """
    if ep.playthrough.index and (len(earlier) != ep.playthrough.index or level_reset is None):
        return [f"{ep.path} continues play-through {ep.playthrough.id} (episode {ep.playthrough.index + 1}); its earlier "
                "episodes are needed to replay it: keep a play-through's files together in one folder."]
    chain = [*earlier, ep]
    first = reset(chain[0].seed)
    for k, part in enumerate(chain):
        if k:
            first = list(level_reset())[-1]
        problems = _check_first(part, first, "level reset" if k else "reset") or _replay_steps(part, step)
        if problems:
            return problems
    return []


def _hint(ep: Episode) -> str:
    return f"the file was altered, or the game differs from the recorded one ({ep.game} {ep.game_version})"


def _check_first(ep: Episode, produced: Any, how: str) -> list[str]:
    first, recorded = np.asarray(produced, dtype=np.uint8), ep.observations[0]
    if not np.array_equal(first, recorded):
        return [f"{ep.path}: the first frame does not match the replay's {how} ({_difference(recorded, first)}); {_hint(ep)}."]
    return []


def _replay_steps(ep: Episode, step: StepFn) -> list[str]:
    actions, xys = ep.actions, ep.action_xy
    for t in range(ep.steps):
        xy = None if tuple(xys[t]) == (-1, -1) else (int(xys[t][0]), int(xys[t][1]))
        produced = [np.asarray(fr, dtype=np.uint8) for fr in step(int(actions[t]), xy)]
        stored = ep.step_frames(t)
        if len(produced) != len(stored):
            return [f"{ep.path}: step {t} (action {int(actions[t])}) produced {len(produced)} frames in the replay but {len(stored)} were recorded; {_hint(ep)}."]
        for k, (want, got) in enumerate(zip(stored, produced)):
            if not np.array_equal(want, got):
                return [f"{ep.path}: step {t} frame {k + 1} of {len(stored)} does not match the replay ({_difference(want, got)}); {_hint(ep)}."]
    return []
