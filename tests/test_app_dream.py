"""The Dream mode in the real app (dummy video driver) with a tiny untrained dream, and `aria ... dream` errors."""

from __future__ import annotations

import threading
from concurrent.futures import wait

import numpy as np
import pygame
import pytest
from dream_support import dream_run  # noqa: F401 (fixture)
from test_app_helpers import key, make_app, recordings, tap, ticks
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)
from typer.testing import CliRunner

from aria_desktop.cli import app as cli_app
from recorder import open_episode


@pytest.fixture(autouse=True)
def no_hot_reload_looks(monkeypatch):
    """Steps only: a look for a better checkpoint (every few seconds, tested in test_app_dream_reload.py) would take
    a frame's turn when the machine is slow."""
    monkeypatch.setattr("aria_desktop.app.modes.dream.RELOAD_EVERY", 1e9)


def settle(app) -> None:
    """Wait until the model's work in flight is done (it runs on the mode's worker thread); the next frame shows it
    and, at the game's pace, starts the next step."""
    if app.mode.model_work is not None:
        wait([app.mode.model_work], timeout=60)


def play(app, n: int) -> None:
    """n frames, each showing the last step and starting the next one, with the step waited for."""
    for _ in range(n):
        ticks(app, 1)
        settle(app)


def test_dream_mode_plays_the_breakout_keys_and_records_them(tmp_path, dream_run):  # noqa: F811
    app = make_app(tmp_path, "dream", checkpoint=dream_run)
    assert app.mode.name == "dream", app.error
    key(pygame.K_RIGHT)
    play(app, 2)  # RIGHT starts, then is shown as the second RIGHT starts
    key(pygame.K_RIGHT, up=True)
    tap(pygame.K_SPACE)
    play(app, 1)  # FIRE
    play(app, 1)  # NOOP
    ticks(app, 1)
    assert app.mode.steps >= 4
    header = " ".join(app.last_header)
    assert "DREAM" in header and "dream" in header and "fps" in header and "model" in header and "greedy" in header
    shown = app.mode.shown
    assert shown.shape == (84, 64, 3) and np.array_equal(shown, app.mode.game.frame)
    key(pygame.K_ESCAPE)
    assert app.tick() is False
    (path,) = recordings(tmp_path, "breakout-dream")
    with open_episode(path) as ep:
        np.testing.assert_array_equal(ep.actions[:4], [2, 2, 1, 0])
        assert ep.complete and ep.outcome == "QUIT"
        assert any(np.array_equal(o, shown) for o in ep.observations[4:])  # what the window showed was recorded


def test_the_window_keeps_ticking_while_a_slow_step_runs(tmp_path, dream_run):  # noqa: F811
    app = make_app(tmp_path, "dream", checkpoint=dream_run, record=False)
    engine = app.mode.game.engine
    release, entered = threading.Event(), threading.Event()
    real_step = engine.step

    def slow_step(action, temperature=0.0):
        entered.set()
        release.wait()
        return real_step(action, temperature)

    engine.step = slow_step
    ticks(app, 1)  # the first step starts on the worker and blocks there
    assert entered.wait(30)
    frames = app.frames
    ticks(app, 20)  # the window goes on drawing; no further step starts meanwhile
    assert app.frames == frames + 20 and app.mode.busy and app.mode.steps == 0
    assert app.mode.display_fps == app.mode.busy_drawing_fps < app.mode.drawing_fps  # fewer redraws while it works
    release.set()
    settle(app)
    ticks(app, 1)
    assert app.mode.steps >= 1
    assert app.mode.busy or app.mode.display_fps == app.mode.drawing_fps
    app.close()


def test_dream_keys_resync_temperature_greedy_and_the_real_view(tmp_path, dream_run):  # noqa: F811
    app = make_app(tmp_path, "dream", checkpoint=dream_run, record=False)
    play(app, 3)
    game = app.mode.game
    tap(pygame.K_p)  # paused: only the keys' work runs
    play(app, 1)
    tap(pygame.K_y)  # re-sync: the dream's current frame is the real game's last frame, encoded
    play(app, 1)
    real = np.stack(game._real_frames)
    from models.atari_frames import to_model

    assert (game.engine.current == game.dream.vqvae.encode(to_model(real[-1:])).reshape(-1)).all()
    tap(pygame.K_RIGHTBRACKET)
    ticks(app, 1)
    assert game.temperature > 0 and "temperature" in " ".join(app.last_header)
    tap(pygame.K_g)
    ticks(app, 1)
    assert game.temperature == 0 and "greedy" in " ".join(app.last_header)
    tap(pygame.K_g)
    ticks(app, 1)
    assert game.temperature > 0
    tap(pygame.K_v)  # side by side: dream | real | reconstruction with PSNR
    play(app, 1)
    tap(pygame.K_n)  # one step
    play(app, 2)
    assert game.real_view is not None and np.array_equal(game.real_view.frame, game._real_frames[-1])
    tap(pygame.K_F1)
    ticks(app, 1)
    helps = dict(app.mode.help_lines())
    assert any("re-sync" in v for v in helps.values()) and any("VQ-VAE" in v for v in helps.values())
    app.close()


def test_without_a_trained_dream_the_mode_names_the_train_command(tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.paths.DEFAULT_RUNS", tmp_path / "runs")
    app = make_app(tmp_path, "dream")
    assert app.mode.name == "launcher"
    assert "no trained dream" in app.error and "aria dream --setup" in app.error
    app.close()


def test_cli_dream_with_a_bad_checkpoint_is_one_sentence_and_fails(tmp_path, dream_run):  # noqa: F811
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "checkpoint.json").write_bytes(b"\x00\xffrandom")
    runner = CliRunner()
    for args in (["play", "breakout", "--mode", "dream", "--checkpoint", str(bad)],
                 ["dream", "--checkpoint", str(dream_run.parent / "vqvae")]):
        result = runner.invoke(cli_app, args, env={"COLUMNS": "200"})
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in result.output


def test_the_launcher_offers_the_dream_for_breakout_only(tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.paths.DEFAULT_RUNS", tmp_path / "runs")
    app = make_app(tmp_path, "launcher", game="maze")
    ticks(app, 1)
    assert not any("Dream" in label for label in app.mode.button_labels)
    tap(pygame.K_d)  # the dream's launcher key on a maze: a sentence, no dream
    ticks(app, 1)
    assert app.mode.name == "launcher" and "for breakout only" in app.error
    app.mode.selected = [g.open_id for g in app.mode.games].index("breakout")
    ticks(app, 1)
    assert "Dream (world model)  [D]" in app.mode.button_labels
    app.close()
