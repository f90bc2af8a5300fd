"""`aria bench dream --window SECONDS`: the dream as a person gets it, in the app's window loop.

The engine figures of `aria bench dream` time the engine alone on a worker thread of its own. In the window, the step runs on
the Dream mode's worker thread while the window draws, the real Breakout follows the same actions and every step is
recorded; the issue's 15 FPS bar is about that. This plays the Dream mode (NOOP held, recording on, into a temporary
folder) for some seconds with the same models and prints the steps shown per second and the engine's stages as
measured inside the app, beside the engine alone.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WARMUP_SECONDS = 2.0  # the first steps (model and caches warming up, the first recording opened) are not counted


@dataclass
class WindowFigures:
    steps_per_second: float  # dream frames shown per second of wall clock
    ms: dict[str, float] = field(default_factory=dict)  # median engine stages inside the app ("total" included)
    steps: int = 0


def write_random_dream(world_model: Any, vqvae: Any, folder: Path) -> Path:
    """Checkpoints of in-memory models (random weights) that `load_dream` opens; returns the world-model run."""
    from trainers.checkpoint import save_checkpoint, step_folder

    vq = save_checkpoint(step_folder(folder / "vqvae", 1), "atari-vqvae", "bench", vqvae.cfg.to_dict(),
                         vqvae.state_dict(), 1)
    parents = {"vqvae": {"id": vq.id, "path": str(vq.path.resolve()), "kind": vq.kind}}
    save_checkpoint(step_folder(folder / "wm", 1), "atari-wm", "bench", world_model.cfg.to_dict(),
                    world_model.state_dict(), 1, parents=parents)
    return folder / "wm"


def dream_in_window(checkpoint: Path | str, seconds: float) -> WindowFigures:
    """Play the Dream mode of a real App for `seconds` (after a warm-up) and measure it."""
    from aria_desktop.bench.app import use_dummy_display_if_none

    use_dummy_display_if_none()
    from aria_desktop.app import App, AppConfig
    from aria_desktop.app.modes.dream import open_dream

    with tempfile.TemporaryDirectory(prefix="aria-bench-dream-") as tmp:
        app = App(AppConfig(out_dir=Path(tmp), record=True, game="breakout"), "dream", dream=open_dream(checkpoint))
        try:
            mode = app.mode
            stages: list[dict[str, float]] = []
            shown = mode._stepped

            def stepped(result: Any) -> None:  # the stages of each step, as the mode shows it
                stages.append(dict(mode.game.ms))
                shown(result)

            mode._stepped = stepped
            start = time.perf_counter()
            while time.perf_counter() - start < WARMUP_SECONDS:
                app.tick()
            first, start = len(stages), time.perf_counter()
            while time.perf_counter() - start < seconds:
                app.tick()
            elapsed, timed = time.perf_counter() - start, stages[first:]
        finally:
            app.close()
    ms = {k: statistics.median(s[k] for s in timed) for k in (timed[0] if timed else {})}
    return WindowFigures(len(timed) / elapsed, ms, len(timed))
