"""Train mode in the real app (dummy video driver) with real tiny `aria train atari-vqvae` processes: start from the
form, progress events arrive and the curve changes, cancel, resume, the window closing leaves the run going;
triggered training after new episodes and at the end of a recording session."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pygame
from runs_support import TIMEOUT, breakout_data, finish, no_run_left_behind  # noqa: F401 (fixtures)
from test_app_helpers import make_app, tap, ticks

from aria_desktop.app.modes.train import TRAIN_KEYS, TrainingTrigger
from trainers import checkpoint, runs
from trainers.progress import read_events


def tick_until(app, done, what: str) -> None:
    """Tick the window (never blocking) until `done()`; the run works meanwhile in its own process."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        ticks(app, 1)
        time.sleep(0.05)


def curve_pixels(app) -> np.ndarray:
    return pygame.surfarray.array3d(app.mode.curve_surface).copy()


def test_train_mode_starts_follows_cancels_and_resumes_a_run(tmp_path: Path, breakout_data: Path) -> None:  # noqa: F811
    shutil.copytree(breakout_data, tmp_path / "recordings")
    app = make_app(tmp_path, "train", runs_dir=tmp_path / "runs", game="breakout")
    mode = app.mode
    assert mode.name == "train" and mode.runs == [] and mode.kind == "atari-vqvae"
    assert mode.value_text("data").startswith(str(tmp_path / "recordings" / "breakout"))
    for _ in range(4):
        tap(pygame.K_DOWN)  # to Steps
    for _ in range(6):
        tap(pygame.K_RIGHT)  # the preset's -> 20 -> 100 -> 300 -> 1000 -> 3000 -> 10000
    tap(pygame.K_RETURN)
    ticks(app, 1)
    assert app.error is None and mode.steps == 10_000
    (run,) = mode.runs
    assert run.running and mode.watch.folder == run.folder and run.folder.parent == tmp_path / "runs"
    ticks(app, 1)
    empty = curve_pixels(app)
    tick_until(app, lambda: mode.watch.progress.losses, "the first step event")
    first = curve_pixels(app)
    assert not np.array_equal(first, empty)  # the first loss point
    tick_until(app, lambda: len(mode.watch.progress.losses["loss"]) >= 2, "a second step event")
    assert not np.array_equal(curve_pixels(app), first)  # the curve grew
    assert "about" in mode._progress_caption() and "to go" in mode._progress_caption()  # an ETA

    tap(pygame.K_c)
    tick_until(app, lambda: mode.watch.run.status == "interrupted", "the cancelled run to stop")
    stopped = runs.checkpoint_step(run.folder)
    assert stopped >= 20 and "Cancelled at step" in mode.watch.run.message

    tap(pygame.K_r)
    tick_until(app, lambda: mode.watch.run.running and (mode.watch.progress.started_at or 0) > mode.watch.run.launched,
               "the resumed run's start event")
    resumed = [e for e in read_events(run.folder) if e["event"] == "start"][-1]
    assert resumed["step"] == stopped and resumed["message"] == "resumed"
    assert "1 run(s) training" in " ".join(app.last_header)
    app.close()  # quitting the window leaves the run training
    assert runs.is_running(run.folder)
    assert runs.cancel(run.folder)
    assert finish(run.folder).status == "interrupted"


def test_a_failed_run_shows_its_sentence_and_log(tmp_path: Path) -> None:
    (tmp_path / "recordings").mkdir()
    folder = tmp_path / "runs" / "vq"
    runs.start("atari-vqvae", [tmp_path / "recordings"], folder, device="cpu")
    finish(folder)
    app = make_app(tmp_path, "train", runs_dir=tmp_path / "runs")
    ticks(app, 2)
    watch = app.mode.watch
    assert watch.run.status == "failed" and "No recordings" in watch.run.message
    assert any("Error:" in line for line in watch.log)
    tap(pygame.K_c)  # not running: one sentence, the window goes on
    ticks(app, 1)
    assert app.running and "not running" in app.error
    tap(pygame.K_F1)
    ticks(app, 1)
    help_keys = dict(app._help_sections())["Mode: TRAIN"]
    assert help_keys == TRAIN_KEYS.help_lines()


def test_new_episodes_trigger_fine_tuning(tmp_path: Path) -> None:
    app = make_app(tmp_path, "play", game="breakout", runs_dir=tmp_path / "runs", train_after=3, train_steps=2)
    trigger = next(job for job in app.background if isinstance(job, TrainingTrigger))
    ticks(app, 6)
    tap(pygame.K_r)  # a new game: the episode is saved
    ticks(app, 6)
    assert len(app.saved) == 1 and trigger.started == []  # 1 of 3 new episodes
    app.switch("launcher")  # the recording session ends (its last episode saved): its 2 new episodes are trained on
    ticks(app, 1)
    (folder,) = trigger.started
    assert len(app.saved) == 2 and runs.status(folder).kind == "atari-vqvae"
    assert finish(folder).status == "done", runs.log_tail(folder)

    app.switch("play")
    for _ in range(3):
        ticks(app, 6)
        tap(pygame.K_r)
    ticks(app, 2)
    assert len(app.saved) == 5 and trigger.started == [folder, folder]  # 3 new: the same run fine-tuned (resumed)
    assert finish(folder).status == "done", runs.log_tail(folder)
    events = read_events(folder)
    assert [e["step"] for e in events if e["event"] == "start"] == [0, 2] and events[-1]["step"] == 4
    assert runs.run_data(folder) == [str(tmp_path / "recordings" / "breakout")]
    app.selection.train_after = 0  # off: leaving play saves one more episode, not trained on
    tap(pygame.K_F6)
    ticks(app, 1)
    tap(pygame.K_t)  # Train mode's T: off -> after every new episode
    ticks(app, 2)
    assert app.mode.name == "train" and app.mode.watch.folder == folder
    assert app.selection.train_after == 1 and len(app.saved) == 6 and len(trigger.started) == 2
    app.close()


def test_the_window_lists_runs_without_importing_torch() -> None:
    code = "import sys, aria_desktop.app.modes.train; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    assert (runs.KINDS, runs.RUN_CHECKPOINTS, runs.META_FILE) == (checkpoint.KINDS, checkpoint.RUN_CHECKPOINTS,
                                                                   checkpoint.META_FILE)


def test_aria_play_train_after_sets_the_trigger(monkeypatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aria_desktop.app import App
    from aria_desktop.cli import app as cli

    seen = []
    monkeypatch.setattr(App, "run", lambda self, max_frames=None: seen.append((self.mode.name, self.selection.train_after)))
    result = CliRunner().invoke(cli, ["play", "breakout", "--mode", "train", "--train-after", "5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == [("train", 5)]
    result = CliRunner().invoke(cli, ["play", "breakout", "--train-after", "-1"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_bench_app_measures_while_a_run_trains(capsys) -> None:
    from aria_desktop.bench.app import bench_app

    figures = bench_app(frames=6, blocks=1, training=True)
    out = capsys.readouterr().out
    assert "training / idle" in out and "did not start" not in out
    assert figures["train_median_ms"] > 0 and figures["train_median_ratio"] > 0
    assert figures["training_cores"] > 0  # the run was really computing while the frames were timed


def test_quitting_names_the_runs_that_go_on(tmp_path: Path, capsys) -> None:
    import fcntl
    import json
    import os

    from aria_desktop.cli.play import _say_runs_go_on

    folder = tmp_path / "atari-vqvae-1"
    folder.mkdir()
    (folder / runs.LAUNCH_FILE).write_text(json.dumps({"argv": ["train", "atari-vqvae"], "pid": 1, "launched": 0}))
    lock = os.open(folder / runs.LOCK_FILE, os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock, fcntl.LOCK_EX)  # as a training process holds it
    _say_runs_go_on(tmp_path)
    assert f"1 training run(s) keep going in the background ({folder})" in capsys.readouterr().out
    os.close(lock)  # the process ended
    _say_runs_go_on(tmp_path)
    assert capsys.readouterr().out == "" and runs.status(folder).status == "interrupted"
