"""A full disk never crashes the process: on a real small filesystem (a tmpfs the test mounts, as root) the writer
notices the failed write and stops touching the file, the steps already flushed stay recoverable, the batch stops
with one sentence and a non-zero exit, a session switches recording off with a sentence, no empty .part is left."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from recorder import EpisodeWriter, RecordingError, iter_episodes, recover
from recorder.format import PART_SUFFIX


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8); the full-disk cases cannot be made here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _noise(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)  # incompressible: fills the disk fast


def _writer(out: Path) -> EpisodeWriter:
    return EpisodeWriter.create(out, game="noise", frame_kind="rgb", game_version="1", env_config={}, seed=1,
                                app_version="test")


def test_writer_stops_at_a_full_disk_and_keeps_the_flushed_steps(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    with small_disk(tmp_path / "disk", "400k") as disk:
        writer = _writer(disk)
        writer.reset_frame(_noise(rng))
        with pytest.raises(RecordingError, match="no space left on device") as failed:
            for _ in range(1000):
                writer.add_step(1, None, [_noise(rng)], 0.0, False, False)
                if writer.steps % 5 == 0:
                    writer.flush()
        assert "\n" not in str(failed.value)
        kept = writer.flushed_steps
        assert kept > 0
        with pytest.raises(RecordingError, match="recover"):
            writer.close()
        parts = list((disk / "noise").glob(f"*{PART_SUFFIX}"))
        assert parts == [writer.path]
        copy = tmp_path / "copy"
        copy.mkdir()
        shutil.copy(parts[0], copy)
    done, problems = recover(copy)
    assert len(done) == 1 and problems == []
    [episode] = list(iter_episodes(copy))
    assert episode.steps >= kept


def test_an_episode_that_cannot_start_leaves_no_part_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    with small_disk(tmp_path / "disk", "64k") as disk:
        (disk / "filler").write_bytes(b"\0" * (64 * 1024 - 4096))
        writer = _writer(disk)
        with pytest.raises(RecordingError, match="no space left on device|free disk space"):
            writer.reset_frame(_noise(rng))
        assert list((disk / "noise").glob("*")) == []


def test_a_batch_on_a_full_disk_stops_with_one_sentence(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "1m") as disk:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "aria"), "record", "breakout", "--headless", "--agent", "scripted",
             "--episodes", "2", "--jobs", "2", "--max-steps", "3000", "--out", str(disk)],
            capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONFAULTHANDLER": "1"},
        )
        parts = list(disk.rglob(f"*{PART_SUFFIX}"))
        assert done.returncode not in (0, -11, 139), done.stderr[-2000:]
        assert "Traceback" not in done.stdout + done.stderr and "Fatal" not in done.stderr
        assert "no space left on device" in done.stdout + done.stderr
        assert parts and all(p.stat().st_size > 0 for p in parts)


def test_a_session_switches_recording_off_with_a_sentence_and_play_goes_on(tmp_path: Path) -> None:
    from aria_desktop.games.catalog import open_game
    from aria_desktop.games.game import Step
    from aria_desktop.session import RecordingSession
    from recorder import PlayThrough

    game = open_game("maze", seed=0)
    rng = np.random.default_rng(2)
    with small_disk(tmp_path / "disk", "512k") as disk:
        session = RecordingSession(disk)
        session.begin(game, 0, game.reset(0), {}, PlayThrough(""))
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:  # the disk fills up meanwhile
            filler.write(b"\0" * (512 * 1024))
        for _ in range(400):  # the background flusher hits the full disk within a second or so
            frame = rng.integers(0, 16, (64, 64), dtype=np.uint8)
            session.add(1, None, Step([frame], 0.0, False, False), 0)  # never raises: the window keeps running
            if session.error:
                break
            time.sleep(0.01)
        assert session.error and "no space left on device" in session.error and "\n" not in session.error
        assert not session.enabled and not session.active
        session.add(1, None, Step([frame], 0.0, False, False), 0)  # recording is off: nothing happens
        session.wait()
    game.close()


def test_a_large_flush_written_in_pieces_keeps_every_step_and_animation_frame(tmp_path: Path) -> None:
    from recorder import open_episode
    from recorder.format import WriterConfig

    rng = np.random.default_rng(3)
    writer = EpisodeWriter.create(tmp_path, game="anim", frame_kind="grid", game_version="1", env_config={}, seed=1,
                                  app_version="test", config=WriterConfig(flush_after_s=60, max_buffered=10_000))
    writer.reset_frame(rng.integers(0, 16, (64, 64), dtype=np.uint8), {"n": 0})
    steps = []
    for t in range(150):  # one flush at close: 151 observations, written 64 at a time
        frames = [rng.integers(0, 16, (64, 64), dtype=np.uint8) for _ in range(1 + t % 3)]
        writer.add_step(t % 8, (t % 64, 3) if t % 8 == 6 else None, frames, float(t), False, t == 149, {"n": t + 1})
        steps.append(frames)
    path = writer.close()
    with open_episode(path) as ep:
        assert ep.steps == 150 and list(ep.actions) == [t % 8 for t in range(150)]
        assert list(ep.infos["n"]) == list(range(151)) and ep.rewards[149] == 149.0
        for t in (0, 1, 63, 64, 65, 127, 128, 149):
            assert all(np.array_equal(a, b) for a, b in zip(ep.step_frames(t), steps[t], strict=True)), t
