"""Helpers for the runs tests: a small Breakout recordings folder and waiting on a real training process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from atari_support import record_breakout

from trainers import runs

TIMEOUT = 240.0  # generous: the training process shares two cores with other work


@pytest.fixture(scope="session")
def breakout_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recordings folder: breakout/ with three short episodes."""
    data = tmp_path_factory.mktemp("runs-data") / "recordings"
    record_breakout(data, episodes=3, steps=24)
    return data


@pytest.fixture(autouse=True)
def no_run_left_behind(tmp_path: Path):
    """A test that fails half-way must not leave a training process behind: cancel what still runs under tmp_path."""
    yield
    for run in runs.list_runs(tmp_path):
        if run.running and runs.cancel(run.folder):
            runs.wait(run.folder, TIMEOUT)


def wait_for_event(follower: runs.EventFollower, seen: list[dict], done: Callable[[dict], bool]) -> dict:
    """Poll the follower until an event satisfies `done`; every event read is appended to `seen`."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for event in follower.poll():
            seen.append(event)
            if done(event):
                return event
        time.sleep(0.05)
    raise AssertionError(f"no such event within {TIMEOUT} s; saw {[e['event'] for e in seen]}")


def finish(folder: Path) -> runs.Run:
    run = runs.wait(folder, TIMEOUT)
    assert not run.running, "the training process did not end"
    return run
