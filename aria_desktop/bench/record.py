"""`aria bench record`: the per-step cost of play with recording on and off, side by side in one run.

Two copies of the game play the same actions from the same seed; each step is timed on both, one
of them also handing the step to an EpisodeWriter (whose flusher thread compresses and writes in the
background, so its cost shows up here too). Steps alternate between the copies so that machine noise
hits both columns alike.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aria_desktop.errors import AriaError

if TYPE_CHECKING:
    from aria_desktop.session import EpisodeRunner

DEFAULT_ARC_GAME = "maze"  # a built-in game: always available offline
BLOCKS = 10  # the steps are cut into this many consecutive blocks; their spread shows the noise
SAME_SIZE = 0.05  # sizes within 5 % of the raw frames count as "the same size"


@dataclass
class BenchResult:
    game: str
    off_ms: list[float] = field(default_factory=list)
    on_ms: list[float] = field(default_factory=list)
    close_ms: list[float] = field(default_factory=list)
    frames: int = 0
    bytes_written: int = 0
    episodes: int = 0
    sample: np.ndarray | None = None  # recorded frames, for the compression comparison

    def stats(self, values: list[float]) -> tuple[float, float, float]:
        a = np.asarray(values)
        return float(np.median(a)), float(np.percentile(a, 95)), float(a.mean())


def bench_game(game_id: str, steps: int, seed: int = 0, env_dir: Path | None = None) -> BenchResult:
    """Two episode runners on two copies of the game, one recording: the same agent's actions go to both."""
    from aria_desktop.games.catalog import open_game
    from aria_desktop.session import AGENT, EpisodeRunner, RecordingSession

    plain_game = open_game(game_id, env_dir, seed=seed)
    recorded_game = open_game(game_id, env_dir, seed=seed)
    result = BenchResult(plain_game.id)
    with tempfile.TemporaryDirectory(prefix="aria-bench-record-") as tmp:
        plain = EpisodeRunner(plain_game, seed, "random", controller=AGENT)
        recorded = EpisodeRunner(recorded_game, seed, recording=RecordingSession(Path(tmp)))
        for _ in range(steps):
            choice = plain.ensure_agent().act(plain_game)  # the agent's thinking is not part of either figure
            t0 = time.perf_counter()
            plain.step(choice.action, choice.xy, AGENT)
            t1 = time.perf_counter()
            step = recorded.step(choice.action, choice.xy, AGENT)
            t2 = time.perf_counter()
            result.off_ms.append((t1 - t0) * 1e3)
            result.on_ms.append((t2 - t1) * 1e3)
            result.frames += len(step.step.frames)
            if step.outcome:
                _close_timed(recorded, result)
                plain.next_episode()
                recorded.next_episode()
        recorded.finish("BENCH")
        _close_timed(recorded, result)
    plain_game.close()
    recorded_game.close()
    return result


def _close_timed(runner: EpisodeRunner, result: BenchResult) -> None:
    """Time the close of the episode that just ended (last flush, fsync, rename: on the recording's thread),
    and count its file (the first one also gives the frame sample)."""
    from aria_desktop.session import EpisodeSaved

    start = time.perf_counter()
    runner.recording.wait()
    seconds = time.perf_counter() - start
    for event in runner.drain():
        if isinstance(event, EpisodeSaved):  # none when the episode had no steps (nothing was written)
            result.close_ms.append(seconds * 1e3)
            result.bytes_written += event.path.stat().st_size
            if result.sample is None:
                result.sample = _sample_frames(event.path)
            result.episodes += 1
        elif event.error:
            raise AriaError(event.sentence)


def _sample_frames(path: Path, limit: int = 300) -> np.ndarray:
    from recorder import open_episode

    with open_episode(path) as ep:
        return ep.observations[:limit]


# Filters compared on the recorded frames; chunk = frames per HDF5 chunk.
COMPRESSIONS = [(None, None), ("lzf", None), ("gzip", 1), ("gzip", 4), ("gzip", 6), ("gzip", 9)]


def compression_table(frames: np.ndarray, chunk: int) -> list[str]:
    """Size and write speed of each filter on real frames (appended 30 at a time, like the flusher)."""
    import h5py

    lines = [f"  compression on {len(frames)} recorded frames of {frames.shape[1:]}, {chunk} frame(s) per chunk:"]
    with tempfile.TemporaryDirectory(prefix="aria-bench-compress-") as tmp:
        for name, level in COMPRESSIONS:
            path = Path(tmp) / f"{name}-{level}.h5"
            with h5py.File(path, "w") as f:
                ds = f.create_dataset("o", (0, *frames.shape[1:]), np.uint8, maxshape=(None, *frames.shape[1:]),
                                      chunks=(chunk, *frames.shape[1:]), compression=name, compression_opts=level)
                t0 = time.perf_counter()
                for i in range(0, len(frames), 30):
                    block = frames[i : i + 30]
                    ds.resize(ds.shape[0] + len(block), axis=0)
                    ds[-len(block) :] = block
                    f.flush()
                seconds = time.perf_counter() - t0
            size = path.stat().st_size
            label = f"{name or 'none'}{'-' + str(level) if level is not None else ''}"
            lines.append(
                f"    {label:8} {size_versus_raw(frames.nbytes, size):>18}, {size / len(frames) / 1024:7.2f} KB/frame, "
                f"{seconds / len(frames) * 1e6:7.1f} us/frame to write"
            )
    return lines


def size_versus_raw(raw: int, size: int) -> str:
    """'12.3x smaller', or 'raw size' when the file is within a few percent of the frames (HDF5's own overhead
    makes an uncompressed file slightly larger: '0.9x smaller' would say nothing true)."""
    if abs(size - raw) <= SAME_SIZE * raw:
        return "about the raw size"
    return f"{raw / size:.1f}x smaller" if size < raw else f"{size / raw:.2f}x larger"


def added_per_block(result: BenchResult, blocks: int = BLOCKS) -> list[float]:
    """The median of (on - off) within each block of consecutive steps: how much the difference itself moves."""
    off, on = np.asarray(result.off_ms), np.asarray(result.on_ms)
    n = min(blocks, len(off))
    return [float(np.median(b) - np.median(a)) for a, b in zip(np.array_split(off, n), np.array_split(on, n))]


def verdict(added: float, spread: list[float], budget_ms: float = 1.0) -> str:
    """What the difference means: a cost, or nothing measurable when the blocks disagree on its sign."""
    lo, hi = min(spread), max(spread)
    where = f"{len(spread)} blocks of steps range {lo:+.3f} .. {hi:+.3f} ms"
    if lo <= 0.0 <= hi:
        return (f"verdict: no measurable cost: the difference at the median, {added:+.3f} ms per step, is within the "
                f"noise ({where})")
    if hi < 0.0:
        return f"verdict: recording was faster in every block ({where}): noise, not a saving"
    return (f"verdict: recording adds {added:.3f} ms per step at the median ({where}; "
            f"{'under' if hi < budget_ms else 'OVER'} the {budget_ms:g} ms budget)")


def report(result: BenchResult) -> list[str]:
    off_med, off_p95, off_mean = result.stats(result.off_ms)
    on_med, on_p95, on_mean = result.stats(result.on_ms)
    close_med = float(np.median(result.close_ms)) if result.close_ms else 0.0
    n = len(result.on_ms)
    return [
        f"{result.game}: {n} steps, {result.frames} frames, {result.episodes} episode(s)",
        f"  {'':14}{'median':>10}{'p95':>10}{'mean':>10}   (ms per step)",
        f"  {'recording off':14}{off_med:10.3f}{off_p95:10.3f}{off_mean:10.3f}",
        f"  {'recording on':14}{on_med:10.3f}{on_p95:10.3f}{on_mean:10.3f}",
        f"  {'on - off':14}{on_med - off_med:10.3f}{on_p95 - off_p95:10.3f}{on_mean - off_mean:10.3f}"
        f"   ratio on/off at the median {on_med / off_med if off_med else float('nan'):.2f}x",
        f"  episode close (last flush, fsync, rename): median {close_med:.1f} ms; file size {result.bytes_written / max(1, n) / 1024:.2f} KB per step",
        f"  {verdict(on_med - off_med, added_per_block(result))}",
    ]


def bench_record(
    steps: int = 2000, game: str = DEFAULT_ARC_GAME, env_dir: Path | None = None, compare_compression: bool = True
) -> list[BenchResult]:
    """Print recording on/off per-step costs for Breakout and an ARC-style game (`game`); returns the figures."""
    games = ["breakout"] if game.lower() == "breakout" else ["breakout", game]
    results: list[BenchResult] = []
    for game_id in games:
        try:
            result = bench_game(game_id, steps, env_dir=env_dir)
        except AriaError as e:
            print(f"{game_id}: skipped ({e})")
            continue
        results.append(result)
        print("\n".join(report(result)), flush=True)
        if compare_compression and result.sample is not None and len(result.sample):
            from recorder.format import STORAGE

            kind = "rgb" if result.sample.ndim == 4 else "grid"
            print("\n".join(compression_table(result.sample, STORAGE[kind].chunk_frames)), flush=True)
    return results
