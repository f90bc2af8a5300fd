"""Recording a session's episodes: one EpisodeWriter per episode, the one place that turns a Game into the
recorder's metadata, and errors as sentences.

Recording never stops play: if the disk fills or the writer fails, the episode so far is closed
(whatever is on disk stays readable), recording switches off and `error` says why. Finishing an
episode (last flush, fsync, rename: tens of milliseconds) happens on a thread of its own, so the next
episode starts at once; wait() lets those finish, and closing a runner calls it.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from aria_desktop.games.game import Game, GameKind, Step
from recorder import EpisodeWriter, PlayThrough, RecordingError


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


def start_episode(
    out_dir: Path, game: Game, seed: int | None, frame: np.ndarray, info: dict[str, Any],
    playthrough: PlayThrough | None = None,
) -> EpisodeWriter:
    """A writer for a new episode of `game` under out_dir/<game>/, holding its first frame."""
    writer = EpisodeWriter.create(
        Path(out_dir),
        game=game.id,
        frame_kind=game.frame_kind.value,
        game_version=game.version,
        env_config=game.config(),
        seed=seed,
        app_version=app_version(),
        action_names=action_names(game),
        playthrough=playthrough,
    )
    writer.reset_frame(frame, info)
    return writer


class RecordingSession:
    """Records every episode of a session into out_dir/<game>/ (when enabled)."""

    def __init__(self, out_dir: Path, enabled: bool = True) -> None:
        self.out_dir = Path(out_dir)
        self.enabled = enabled
        self.episodes = 0  # episodes saved in this session
        self.saved: list[Path] = []
        self.error: str | None = None  # the last problem, as one sentence
        self._writer: Any = None
        self._closing: list[threading.Thread] = []  # episodes being finished in the background

    @property
    def active(self) -> bool:
        """An episode is being written now."""
        return self._writer is not None

    @property
    def steps(self) -> int:
        return int(self._writer.steps) if self._writer is not None else 0

    def begin(
        self, game: Game, seed: int | None, frame: np.ndarray, info: dict[str, Any], playthrough: PlayThrough
    ) -> PlayThrough | None:
        """Start writing a new episode whose first frame is `frame` (finishes any episode in progress). Returns the
        play-through written: a new one (index 0) takes its first file's name as its id, as FORMAT.md says."""
        self.finish("ABANDONED")
        if not self.enabled:
            return None
        try:
            self._writer = start_episode(self.out_dir, game, seed, frame, info, playthrough if playthrough.index else None)
        except Exception as e:  # noqa: BLE001 - any writer failure must leave play running
            self._writer = None
            self._fail(f"Recording could not start in {self.out_dir} ({_why(e)}); recording is off for this session.")
            return None
        if playthrough.index:
            return playthrough
        return PlayThrough(Path(self._writer.path).name.split(".")[0], 0, playthrough.start_level)

    def add(self, action: int, xy: tuple[int, int] | None, step: Step, controller: int) -> None:
        if self._writer is None:
            return
        try:
            self._writer.add_step(
                action, xy, step.frames, step.reward, step.terminated, step.truncated, step.info, controller
            )
        except RecordingError as e:  # the writer's own sentence says what was kept and what to do
            self._abort(f"Recording stopped: {_why(e)}.")
        except Exception as e:  # noqa: BLE001
            self._abort(f"Recording stopped ({_why(e)}); the episode so far was kept, free disk space to record again.")

    def finish(self, outcome: str, complete: bool = True) -> Path | None:
        """Close the episode in progress (an episode without steps is dropped); returns the saved file.
        complete=False marks an interrupted episode (Ctrl-C in a batch)."""
        writer, self._writer = self._writer, None
        if writer is None:
            return None
        try:
            if writer.steps == 0:
                writer.discard()
                return None
            path = Path(writer.final_path)
        except Exception as e:  # noqa: BLE001
            self._fail(f"The episode could not be saved ({_why(e)}); its partial file is kept for `aria recordings recover`.")
            return None
        closing = threading.Thread(target=self._close, args=(writer, outcome, complete), name="aria-episode-close")
        closing.start()
        self._closing = [t for t in self._closing if t.is_alive()] + [closing]
        self.episodes += 1
        self.saved.append(path)
        return path

    def _close(self, writer: Any, outcome: str, complete: bool) -> None:
        try:
            writer.close(outcome=outcome, complete=complete)
        except Exception as e:  # noqa: BLE001 - reported in the window at the next step
            self._fail(f"The episode could not be saved ({_why(e)}); its partial file is kept for `aria recordings recover`.")

    def wait(self) -> None:
        """Until every finished episode is on disk under its final name."""
        for closing in self._closing:
            closing.join()
        self._closing = []

    def _abort(self, sentence: str) -> None:
        writer, self._writer = self._writer, None
        try:
            writer.close(outcome="INTERRUPTED")
            self.episodes += 1
            self.saved.append(Path(writer.path))
        except Exception:  # noqa: BLE001 - already reporting the first failure
            pass
        self._fail(sentence)

    def _fail(self, sentence: str) -> None:
        self.error = sentence
        self.enabled = False


def _why(e: Exception) -> str:
    text = str(e).strip().rstrip(".") or type(e).__name__
    return text.splitlines()[0]
