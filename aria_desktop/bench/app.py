"""`aria bench app`: the render loop's frame time with and without recording, side by side.

Each frame of the measured loop steps Breakout once (an agent plays at fixed_dt = one step per frame,
the worst case for recording), draws the frame, header and panel, and flips the display.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WARMUP_FRAMES = 20


def _use_dummy_display_if_none() -> str:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    return os.environ.get("SDL_VIDEODRIVER", "default")


def _frame_times(frames: int, record: bool, out_dir: Path) -> tuple[list[float], int]:
    """Seconds per app frame over `frames` frames (after a warm-up), and the episodes saved."""
    from aria_desktop.app import App, AppConfig
    from aria_desktop.app.config import Pace

    game_fps = 15.0
    config = AppConfig(game="breakout", out_dir=out_dir, record=record, agent="random",
                       pace=Pace(fixed_dt=1.0 / game_fps, auto_restart_after=0.0))
    app = App(config, "watch")
    times: list[float] = []
    try:
        for _ in range(WARMUP_FRAMES):
            app.tick()
        for _ in range(frames):
            start = time.perf_counter()
            app.tick()
            times.append(time.perf_counter() - start)
    finally:
        app.close()
    return times, len(app.saved)


def bench_app(frames: int = 600, blocks: int = 4) -> dict[str, float]:
    """Print median and p95 frame time with recording off and on, and their ratio; returns the figures.
    The two conditions alternate in blocks so that machine noise hits both alike."""
    driver = _use_dummy_display_if_none()
    off: list[float] = []
    on: list[float] = []
    block_ratios: list[float] = []  # on / off median per block: how far the ratio itself moves
    saved = 0
    per_block = max(1, frames // blocks)
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(blocks):
            off_block = _frame_times(per_block, record=False, out_dir=Path(tmp))[0]
            on_block, n = _frame_times(per_block, record=True, out_dir=Path(tmp))
            off += off_block
            on += on_block
            block_ratios.append(float(np.median(on_block) / np.median(off_block)))
            saved += n
    figures = {
        "off_median_ms": float(np.median(off) * 1e3), "on_median_ms": float(np.median(on) * 1e3),
        "off_p95_ms": float(np.percentile(off, 95) * 1e3), "on_p95_ms": float(np.percentile(on, 95) * 1e3),
    }
    figures["median_ratio"] = figures["on_median_ms"] / figures["off_median_ms"]
    figures["p95_ratio"] = figures["on_p95_ms"] / figures["off_p95_ms"]
    figures["block_ratio_min"], figures["block_ratio_max"] = min(block_ratios), max(block_ratios)
    print(f"App render loop, Breakout watched at one game step per frame, {len(off)} frames each "
          f"in {blocks} alternating blocks (video driver: {driver})")
    print(f"{'':14}{'recording off':>16}{'recording on':>16}{'on / off':>10}")
    print(f"{'median':14}{figures['off_median_ms']:>13.2f} ms{figures['on_median_ms']:>13.2f} ms{figures['median_ratio']:>10.2f}")
    print(f"{'p95':14}{figures['off_p95_ms']:>13.2f} ms{figures['on_p95_ms']:>13.2f} ms{figures['p95_ratio']:>10.2f}")
    print(f"{'1000 / median':14}{1e3 / figures['off_median_ms']:>12.0f} fps{1e3 / figures['on_median_ms']:>12.0f} fps"
          "   (frames per second the loop could draw uncapped, at the median frame time)")
    print(f"on / off per block: {min(block_ratios):.2f} .. {max(block_ratios):.2f} "
          f"({blocks} alternating blocks; a ratio inside that range is noise)")
    if saved == 0:
        print("(no episode was saved in the recording run: is the recorder package installed?)")
    return figures
