"""The runs API with real `aria train atari-vqvae` processes on tiny Breakout recordings: start, follow to done,
cancel (interrupted, with a checkpoint), resume (the step count goes on), SIGKILL (interrupted) and resume."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from runs_support import breakout_data, finish, no_run_left_behind, wait_for_event  # noqa: F401 (fixtures)

from trainers import runs
from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.progress import read_events

SETTINGS = {"device": "cpu", "batch_size": 2}


def test_start_follow_cancel_kill_and_resume(breakout_data: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "vq"
    run = runs.start("atari-vqvae", [breakout_data], out, steps=5000, **SETTINGS)
    assert run.running and run.kind == "atari-vqvae" and run.pid
    follower, seen = runs.follow(out), []
    first = wait_for_event(follower, seen, lambda e: e["event"] == "step")
    assert seen[0]["event"] == "start" and first["losses"]["loss"] > 0
    with pytest.raises(runs.RunError, match="still running"):
        runs.resume(out)
    with pytest.raises(runs.RunError, match="already running"):
        runs._launch(out, ["train", "atari-vqvae"])  # one process per run folder
    assert runs.cancel(out)
    run = finish(out)
    assert run.status == "interrupted" and "Cancelled at step" in run.message
    stopped = runs.checkpoint_step(out)
    assert stopped >= first["step"] and run.progress.step == stopped
    assert not runs.cancel(out)  # nothing left to cancel

    run = runs.resume(out)  # to the 5000 steps again, and killed outright
    wait_for_event(follower, seen, lambda e: e["event"] == "step" and e["step"] > stopped)
    os.kill(run.pid, signal.SIGKILL)
    with open(out / "events.jsonl", "a") as f:  # a kill in the middle of writing a line
        f.write('{"event": "step", "st')
    run = finish(out)
    assert run.status == "interrupted" and run.message == runs.KILLED
    assert [(r.folder, r.status) for r in runs.list_runs(tmp_path)] == [(out, "interrupted")]

    runs.resume(out, steps=stopped + 4)
    run = finish(out)
    assert run.status == "done" and run.message == "", runs.log_tail(out)
    later = follower.poll()
    starts = [e for e in later if e["event"] == "start"]
    assert starts and starts[0]["step"] == stopped and starts[0]["message"] == "resumed"  # from the cancel's checkpoint
    assert later[-1]["event"] == "done" and later[-1]["step"] == stopped + 4
    assert read_events(out)[-1] == later[-1]  # the cut line did not swallow the resumed run's first event
    assert run.progress.losses["loss"][-1][0] == stopped + 4 and "psnr" in run.progress.metrics
    assert load_checkpoint(latest_checkpoint(out)).step == stopped + 4
    assert "--resume" in json.loads((out / runs.LAUNCH_FILE).read_text())["argv"]
    assert any("Checkpoint:" in line for line in runs.log_tail(out))
    with pytest.raises(runs.RunError, match="already reached step"):
        runs.resume(out)


def test_bad_settings_are_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(runs.RunError, match="train the VQ-VAE first"):
        runs.start("atari-wm", [tmp_path], tmp_path / "wm")
    with pytest.raises(runs.RunError, match="Unknown model kind"):
        runs.start("pong", [tmp_path], tmp_path / "p")
    with pytest.raises(runs.RunError, match="already holds a run"):
        (tmp_path / "r" / "checkpoints" / "step-000000001").mkdir(parents=True)
        (tmp_path / "r" / "checkpoints" / "step-000000001" / "checkpoint.json").write_text("{}")
        runs.start("atari-vqvae", [tmp_path], tmp_path / "r")


def test_the_follower_reads_only_whole_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    follower = runs.follow(tmp_path)
    assert follower.poll() == []
    path.write_text('{"event": "start", "step": 0}\n{"event": "st')
    assert [e["event"] for e in follower.poll()] == ["start"]
    assert follower.poll() == []  # the half line waits
    with open(path, "a") as f:
        f.write('ep", "step": 10}\n')
    assert [(e["event"], e["step"]) for e in follower.poll()] == [("step", 10)]
    progress = runs.RunProgress()
    progress.apply([{"event": "start", "step": 0, "total_steps": 100, "time": 0.0},
                    {"event": "step", "step": 10, "total_steps": 100, "time": 1.0, "losses": {"loss": 2.0}},
                    {"event": "step", "step": 30, "total_steps": 100, "time": 3.0, "losses": {"loss": 1.0}}])
    assert progress.fraction == 0.3 and progress.eta_seconds == pytest.approx(7.0)
    assert progress.losses["loss"] == [(10, 2.0), (30, 1.0)] and progress.end is None


def test_a_run_started_in_a_terminal_can_be_resumed(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps({"kind": "atari-wm", "preset": "tiny", "args": {
        "preset": "tiny", "data": ["/d1", "/d2"], "out": "/elsewhere", "device": "cpu", "steps": 10, "resume": False,
        "batch_size": None, "vqvae": "/vq", "arch": "cached"}}))
    assert runs.status(folder).status == "unknown"
    argv = runs._argv_of(folder)
    assert argv[:2] == ["train", "atari-wm"] and argv[argv.index("--out") + 1] == str(folder)
    assert argv.count("--data") == 2 and "--batch-size" not in argv and "--resume" not in argv
    assert runs._replace_option(argv, "--steps", 20).count("--steps") == 1
