"""ARC-AGI-3 games (and ARIA's built-in games) loaded through the toolkit from environment files.

Layout (the toolkit's): <environments_dir>/<game>/<version>/{<game>.py, metadata.json}.
Real ARC-AGI-3 games and the built-in games use the same loader: arc_agi.Arcade in OFFLINE mode.
"""

from __future__ import annotations

import copy
import ctypes
import json
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np


def _import_toolkit() -> None:
    """Import arc_agi without matplotlib: the toolkit imports it (over a second) only for its own render
    modes, which ARIA never uses; a later `import matplotlib` elsewhere still works."""
    blocked = "matplotlib" not in sys.modules
    if blocked:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # makes `import matplotlib` fail fast
    try:
        import arc_agi  # noqa: F401
    finally:
        if blocked:
            del sys.modules["matplotlib"]


_import_toolkit()
from arc_agi import Arcade, OperationMode  # noqa: E402
from arc_agi.models import EnvironmentInfo  # noqa: E402
from arcengine import ARCBaseGame, FrameDataRaw, GameAction, GameState  # noqa: E402

from aria_desktop.errors import AriaError  # noqa: E402
from aria_desktop.games.game import Action, FrameKind, Game, GameKind, Step  # noqa: E402

BUILTIN_ENVIRONMENTS = Path(__file__).parent / "environment_files"

# The toolkit logs every scorecard it opens at INFO to stdout; keep the terminal for our output.
logging.getLogger("arc_agi.scorecard").setLevel(logging.WARNING)

# The toolkit's action conventions (ls20-style keyboard games, vc33-style click games).
ACTION_LABELS = {
    0: "reset the level (or the game)",
    1: "up",
    2: "down",
    3: "left",
    4: "right",
    5: "interact",
    6: "click at (x, y)",
    7: "undo",
}


@dataclass(frozen=True)
class ArcGameInfo:
    """One game found in an environments folder, read from its metadata.json."""

    game_id: str  # with version, e.g. "ls20-016295f7601e"
    base_id: str  # e.g. "ls20"
    version: str
    title: str
    levels: int | None  # one baseline action count per level
    baseline_actions: tuple[int, ...]
    default_fps: int
    local_dir: Path
    kind: GameKind
    description: str = ""  # one line: the mechanic (metadata "description"; real ARC games: their tags)
    date_downloaded: datetime | None = None  # the toolkit picks the latest of these for a bare id
    scan_order: int = 0  # place in the toolkit's walk of the folder (Path.rglob): it breaks date ties


def read_metadata(metadata_file: Path, kind: GameKind) -> ArcGameInfo:
    try:
        meta = json.loads(metadata_file.read_text(encoding="utf-8"))
        game_id = str(meta["game_id"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AriaError(f"Game metadata {metadata_file} cannot be read ({e}); fix or remove that folder.") from e
    base_id, _, version = game_id.partition("-")
    baseline = tuple(int(n) for n in meta.get("baseline_actions") or [])
    tags = ", ".join(str(t) for t in meta.get("tags") or [])
    try:  # read the date as the toolkit does (its own model), so both pick the same version
        downloaded = EnvironmentInfo.model_validate(meta).date_downloaded
    except ValueError:
        downloaded = None
    return ArcGameInfo(
        game_id=game_id,
        base_id=base_id,
        version=version or metadata_file.parent.name,
        title=str(meta.get("title") or base_id),
        levels=len(baseline) or None,
        baseline_actions=baseline,
        default_fps=int(meta.get("default_fps") or 5),
        local_dir=metadata_file.parent,
        kind=kind,
        description=str(meta.get("description") or (f"tags: {tags}" if tags else "")),
        date_downloaded=downloaded,
    )


def scan_environments(environments_dir: Path, kind: GameKind) -> tuple[list[ArcGameInfo], list[str]]:
    """All games under a folder (sorted by path), and one sentence per metadata.json that could not be read."""
    found: list[ArcGameInfo] = []
    problems: list[str] = []
    # Walked like the toolkit's Arcade._scan_for_environments (rglob, unsorted): that order breaks its ties.
    for order, metadata_file in enumerate(environments_dir.rglob("metadata.json")):
        try:
            found.append(replace(read_metadata(metadata_file, kind), scan_order=order))
        except AriaError as e:
            problems.append(str(e))
    return sorted(found, key=lambda i: i.local_dir), problems


class _LogCapture(logging.Handler):
    """The toolkit logs load failures instead of raising; keep them so we can say what went wrong."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip().splitlines()[0] if record.getMessage() else ""
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({type(record.exc_info[1]).__name__})"
        self.messages.append(message)

    def reason(self) -> str:
        """The first problem logged since the last clear(): the cause, not its consequences."""
        return self.messages[0] if self.messages else "no reason given"

    def clear(self) -> None:
        self.messages.clear()


def quiet_logger(name: str) -> tuple[logging.Logger, _LogCapture]:
    logger = logging.getLogger(f"aria.arc.{name}")
    logger.handlers.clear()
    logger.propagate = False
    capture = _LogCapture()
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    return logger, capture


LOAD_TIME_LIMIT_S = 30.0  # a game file loads in well under a second, but a busy 2-core machine (tests in parallel,
# a training run) can stretch that many times; one that loops forever must still not hang us


class _LoadTimeLimit(BaseException):
    """Raised inside a game load that ran past its time limit (BaseException: the toolkit catches Exception)."""


def with_time_limit(load: Callable[[], Any], seconds: float, what: str) -> Any:
    """load() on a thread of its own; past `seconds` the thread is stopped (an exception raised into it, which
    ends a Python loop at its next instruction) and one sentence names `what` did not load."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = load()
        except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
            result["error"] = e

    thread = threading.Thread(target=run, name="aria-game-load", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_LoadTimeLimit))
        raise AriaError(f"{what} did not load within {seconds:g} s (a loop at import or in __init__?); "
                        "fix the game file or remove its folder.")
    if "error" in result:
        raise result["error"]
    return result.get("value")


class ArcGame(Game):
    """A game written on arcengine, run through the toolkit's local wrapper."""

    frame_kind = FrameKind.GRID

    def __init__(self, info: ArcGameInfo, seed: int = 0) -> None:
        self.meta = info
        self.id = info.base_id
        self.title = info.title
        self.kind = info.kind
        self.version = info.version
        self.levels = info.levels
        self.native_fps = float(info.default_fps)
        self.seed = seed
        self._logger, self._log = quiet_logger(info.game_id)
        # The toolkit scans the whole folder it is given; give it just this game's folder.
        self._arcade = Arcade(
            operation_mode=OperationMode.OFFLINE,
            environments_dir=str(info.local_dir),
            logger=self._logger,
        )
        self._wrapper: Any = None
        self._last: FrameDataRaw | None = None
        self._frame = np.zeros((64, 64), np.uint8)
        self.reset(seed)

    # -- loading -------------------------------------------------------------------------------
    def _make(self, seed: int) -> None:
        self._log.clear()
        if self._wrapper is None:  # the first load imports the game file: bounded in time
            files = ", ".join(p.name for p in sorted(Path(self.meta.local_dir).glob("*.py"))) or "its game file"
            wrapper = with_time_limit(lambda: self._arcade.make(self.meta.game_id, seed=seed), LOAD_TIME_LIMIT_S,
                                      f"Game '{self.id}' ({files} in {self.meta.local_dir})")
        else:
            wrapper = self._arcade.make(self.meta.game_id, seed=seed)
        if wrapper is None or getattr(wrapper, "_game", None) is None:
            raise AriaError(
                f"Game '{self.id}' in {self.meta.local_dir} failed to load: {self._log.reason()}; "
                "fix its game file or remove the folder."
            )
        self._wrapper = wrapper

    @property
    def engine(self) -> ARCBaseGame:
        """The running arcengine game (the toolkit keeps it private); solvers clone it to search."""
        return self._wrapper._game

    # -- the Game interface ----------------------------------------------------------------------
    @property
    def actions(self) -> list[Action]:
        available = self._last.available_actions if self._last else []
        actions = [Action(0, "RESET", ACTION_LABELS[0], resets=True)]
        for a in sorted(set(available)):
            actions.append(Action(a, f"ACTION{a}", ACTION_LABELS.get(a, f"action {a}"), needs_xy=(a == 6)))
        return actions

    @property
    def frame(self) -> np.ndarray:
        return self._frame

    @property
    def info(self) -> dict[str, Any]:
        last = self._last
        state = last.state.value if last else GameState.NOT_PLAYED.value
        done = last.levels_completed if last else 0
        return {
            "score": done,
            "levels_completed": done,
            "win_levels": last.win_levels if last else 0,
            "state": state,
            "level_index": self.engine.level_index if self._wrapper else 0,
            "full_reset": bool(last.full_reset) if last else False,
        }

    def reset(self, seed: int | None = None) -> np.ndarray:
        self.seed = self.seed if seed is None else seed
        self._make(self.seed)  # a fresh game instance: the toolkit seeds games at construction
        last = self._wrapper._last_response
        if last is None:
            raise AriaError(f"Game '{self.id}' could not be reset: {self._log.reason()}; fix its game file.")
        self._accept(last)
        self.levels = last.win_levels or self.meta.levels  # the game's own count wins over its metadata
        return self._frame

    def step(self, action: int, xy: tuple[int, int] | None = None) -> Step:
        spec = self.action(action)
        data: dict[str, int] = {}
        if spec.needs_xy:
            if xy is None or not all(0 <= int(v) <= 63 for v in xy):
                raise AriaError(f"{spec.name} in {self.id} needs a click at (x, y) with both in 0..63, got {xy}.")
            data = {"x": int(xy[0]), "y": int(xy[1])}
        before = self._last.levels_completed if self._last else 0
        self._log.clear()
        result = self._wrapper.step(GameAction.from_id(action), data=data)
        if result is None:
            raise AriaError(f"Game '{self.id}' failed on {spec.name}: {self._log.reason()}; the game file has a bug.")
        frames = self._accept(result)
        info = self.info
        state = info["state"]
        return Step(
            frames=frames,
            reward=float(info["levels_completed"] - before),
            terminated=state in (GameState.WIN.value, GameState.GAME_OVER.value),
            truncated=False,
            info=info,
        )

    def _accept(self, result: FrameDataRaw) -> list[np.ndarray]:
        """Keep the response; return its frames (a finished game answers with none: the frame stays)."""
        raw = list(getattr(result, "frame", []) or [])
        frames = [np.asarray(f, dtype=np.uint8) for f in raw]
        if isinstance(result, FrameDataRaw):
            self._last = result
        elif self._last is not None:  # the engine answers a finished game with plain FrameData
            self._last = self._last.model_copy(update={"state": GameState(result.state)})
        if frames:
            self._frame = frames[-1]
        return frames or [self._frame]

    def config(self) -> dict[str, Any]:
        return {
            "game": self.id,
            "game_id": self.meta.game_id,
            "version": self.version,
            "kind": self.kind.value,
            "seed": self.seed,
            "class_name": type(self.engine).__name__,
            "environments_dir": str(self.meta.local_dir.parent.parent),
        }

    # -- search support --------------------------------------------------------------------------
    def snapshot(self) -> tuple[ARCBaseGame, FrameDataRaw | None, np.ndarray]:
        """A copy of the whole game state (for solvers and take-over)."""
        return copy.deepcopy((self.engine, self._last, self._frame))

    def restore(self, snap: tuple[ARCBaseGame, FrameDataRaw | None, np.ndarray]) -> None:
        engine, last, frame = copy.deepcopy(snap)
        self._wrapper._game = engine
        self._last, self._frame = last, frame
