"""kill -9 of a real recording process mid-episode, then `recover`: the flushed steps come back, replayable."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from aria_desktop.games.catalog import open_game
from recorder import iter_episodes, open_episode, recover, replay, verify_structure
from recorder.format import PART_SUFFIX

# Records one finished Breakout episode, then plays a second one and never finishes it.
RECORDER_PROCESS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from aria_desktop.games.breakout import BreakoutGame  # not the catalog: it imports the ARC toolkit (slow)
    from recorder import EpisodeWriter

    out = Path(sys.argv[1])
    game = BreakoutGame()

    def start(seed):
        frame = game.reset(seed)
        w = EpisodeWriter.create(out, game="breakout", frame_kind="rgb", game_version=game.version,
                                 env_config=game.config(), seed=seed, app_version="crash-test")
        w.reset_frame(frame, game.info)
        return w

    def play(w, t):
        step = game.step([1, 2, 3, 0][t % 4])
        w.add_step([1, 2, 3, 0][t % 4], None, step.frames, step.reward, step.terminated, step.truncated, step.info, 0)

    w = start(5)
    for t in range(12):
        play(w, t)
    print("CLOSED", w.close("DONE"), flush=True)

    w = start(7)
    t, ready = 0, None
    while True:
        play(w, t)
        t += 1
        if ready is None and w.flushed_steps >= 10:
            ready = t + 5
        if t == ready:
            print("READY", w.flushed_steps, w.path, flush=True)
        time.sleep(0.02)  # a person's pace
    """
)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_kill_9_mid_episode_then_recover(tmp_path: Path) -> None:
    out = tmp_path / "rec"
    proc = subprocess.Popen([sys.executable, "-c", RECORDER_PROCESS, str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        closed_line = proc.stdout.readline().split()
        assert closed_line[:1] == ["CLOSED"], proc.stderr.read()
        finished = Path(closed_line[1])
        finished_hash = _sha(finished)
        ready_line = proc.stdout.readline().split()
        assert ready_line[:1] == ["READY"], proc.stderr.read()
        flushed, part = int(ready_line[1]), Path(ready_line[2])

        # While the process lives, recover leaves its file alone.
        done, problems = recover(out)
        assert done == [] and len(problems) == 1 and "still being written" in problems[0]
        assert any(isinstance(i, str) and "unfinished recording" in i for i in iter_episodes(out))

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert part.exists() and part.name.endswith(PART_SUFFIX)

    done, problems = recover(out)
    assert problems == [] and len(done) == 1
    recovered = done[0]
    assert not part.exists() and recovered.path.suffix == ".h5"
    assert recovered.steps >= flushed

    report = verify_structure(recovered.path)
    assert report.ok, report.problems
    assert any("incomplete" in n for n in report.notes)
    with open_episode(recovered.path) as ep:
        assert not ep.complete and ep.outcome == "INTERRUPTED" and ep.steps == recovered.steps
        assert ep.seed == 7 and ep.controllers.tolist() == [0] * ep.steps
        game = open_game("breakout", seed=7)
        # Every recovered frame is the one the game really produced.
        assert replay(ep, lambda seed: game.reset(seed), lambda a, xy: game.step(a, xy).frames) == []
        assert np.all(np.diff(ep.timestamps) >= 0)

    # The episode finished before the crash is untouched.
    assert _sha(finished) == finished_hash
    summaries = [i for i in iter_episodes(out) if not isinstance(i, str)]
    assert sorted((s.complete, s.steps) for s in summaries) == [(False, recovered.steps), (True, 12)]


def test_recover_explains_a_part_file_with_nothing_saved(tmp_path: Path) -> None:
    folder = tmp_path / "rec" / "breakout"
    folder.mkdir(parents=True)
    (folder / f"20260101-000000_dead{PART_SUFFIX}").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    done, problems = recover(tmp_path / "rec")
    assert done == [] and len(problems) == 1
    assert "cannot be recovered" in problems[0] and "delete it" in problems[0]
