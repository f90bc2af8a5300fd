"""`aria bench app`: the render loop's frame time idle, with recording, and while a training run goes, side by side.

Each frame of the measured loop steps Breakout once (an agent plays at fixed_dt = one step per frame,
the worst case for recording), draws the frame, header and panel, and flips the display. The training
condition is the idle one (recording off) while a tiny `atari-vqvae` run, started through trainers/runs.py on the
episodes the recording blocks saved, trains in its own process; between its blocks the run is paused (SIGSTOP),
so that it weighs on its own column only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

WARMUP_FRAMES = 20


def use_dummy_display_if_none() -> str:
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


def _cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def _training_run(data: Path, folder: Path):
    """A tiny VQ-VAE run on `data`, started through the runs API and stopped at the end; yields its process id once
    it trains (its first step event), or None when it could not start."""
    from trainers import runs

    run = runs.start("atari-vqvae", [data], folder, steps=1_000_000, device="cpu")
    follower = runs.follow(folder)
    try:
        while not any(e["event"] == "step" for e in follower.poll()):
            if not runs.is_running(folder):
                print(f"(the training run did not start: {runs.status(folder).message})")
                yield None
                return
            time.sleep(0.2)
        yield run.pid
    finally:
        if runs.is_running(folder):
            os.kill(run.pid, signal.SIGCONT)
            runs.cancel(folder)
            runs.wait(folder, timeout=120)


def bench_app(frames: int = 600, blocks: int = 4, training: bool = True) -> dict[str, float]:
    """Print median and p95 frame time idle (recording off), with recording on and (training=True) while a
    training run goes, with the ratios to idle; returns the figures. The conditions alternate in blocks so that
    machine noise hits them alike."""
    driver = use_dummy_display_if_none()
    times: dict[str, list[float]] = {"off": [], "on": [], "train": []}
    block_ratios: dict[str, list[float]] = {"on": [], "train": []}  # / idle median per block: how far a ratio moves
    saved = 0
    per_block = max(1, frames // blocks)
    with tempfile.TemporaryDirectory() as tmp:
        recordings, pid, started = Path(tmp) / "recordings", None, False
        cpu, wall = 0.0, 0.0  # the training process's CPU seconds and the seconds of the training blocks
        with contextlib.ExitStack() as stack:
            for _ in range(blocks):
                if pid:
                    os.kill(pid, signal.SIGSTOP)  # the training run waits while the other conditions are measured
                off_block = _frame_times(per_block, record=False, out_dir=recordings)[0]
                on_block, n = _frame_times(per_block, record=True, out_dir=recordings)
                saved += n
                times["off"] += off_block
                times["on"] += on_block
                block_ratios["on"].append(float(np.median(on_block) / np.median(off_block)))
                if training and not started:
                    pid, started = stack.enter_context(_training_run(recordings, Path(tmp) / "run")), True
                if pid:
                    before, since = _cpu_seconds(pid), time.perf_counter()
                    os.kill(pid, signal.SIGCONT)
                    train_block = _frame_times(per_block, record=False, out_dir=Path(tmp) / "unused")[0]
                    after = _cpu_seconds(pid)
                    if before is not None and after is not None:
                        cpu += after - before
                        wall += time.perf_counter() - since
                    times["train"] += train_block
                    block_ratios["train"].append(float(np.median(train_block) / np.median(off_block)))
    figures: dict[str, float] = {}
    for name, values in times.items():
        if values:
            figures[f"{name}_median_ms"] = float(np.median(values) * 1e3)
            figures[f"{name}_p95_ms"] = float(np.percentile(values, 95) * 1e3)
    for name in block_ratios:
        if times[name]:
            figures[f"{name}_median_ratio"] = figures[f"{name}_median_ms"] / figures["off_median_ms"]
            figures[f"{name}_p95_ratio"] = figures[f"{name}_p95_ms"] / figures["off_p95_ms"]
    columns = [("off", "idle"), ("on", "recording on"), ("train", "training")]
    columns = [(k, label) for k, label in columns if times[k]]
    print(f"App render loop, Breakout watched at one game step per frame, {len(times['off'])} frames each "
          f"in {blocks} alternating blocks (video driver: {driver})")
    ratios = [(k, f"{label} / idle") for k, label in columns[1:]]
    print(f"{'':14}" + "".join(f"{label:>16}" for _, label in columns) + "".join(f"{label:>20}" for _, label in ratios))
    for stat in ("median", "p95"):
        print(f"{stat:14}" + "".join(f"{figures[f'{k}_{stat}_ms']:>13.2f} ms" for k, _ in columns)
              + "".join(f"{figures[f'{k}_{stat}_ratio']:>20.2f}" for k, _ in ratios))
    print(f"{'1000 / median':14}" + "".join(f"{1e3 / figures[f'{k}_median_ms']:>12.0f} fps" for k, _ in columns)
          + "   (frames per second the loop could draw uncapped, at the median frame time)")
    for k, label in ratios:
        lo, hi = min(block_ratios[k]), max(block_ratios[k])
        figures[f"{k}_block_ratio_min"], figures[f"{k}_block_ratio_max"] = lo, hi
        print(f"{label} per block: {lo:.2f} .. {hi:.2f} ({blocks} alternating blocks; a ratio inside that range is noise)")
    if times["train"]:
        busy = f"; it used {cpu / wall:.2f} CPU cores while measured" if wall else ""
        print(f"training: a tiny atari-vqvae run on the CPU in its own process (trainers/runs.py){busy}; "
              f"{os.cpu_count()} CPU cores on this machine")
        if wall:
            figures["training_cores"] = cpu / wall
    if saved == 0:
        print("(no episode was saved in the recording run: is the recorder package installed?)")
    return figures
