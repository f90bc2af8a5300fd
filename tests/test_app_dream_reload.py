"""Hot reload in the Dream (real window, dummy video driver): a better checkpoint written by the run mid-episode
is picked up between steps, the episode goes on, and the header names the checkpoint in use."""

from __future__ import annotations

import numpy as np
import pygame
import torch
from dream_support import write_dream
from test_app_dream import play
from test_app_helpers import key, make_app, recordings, tap, ticks
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)

from models.atari_world_model import AtariWorldModel, AtariWorldModelConfig
from recorder import open_episode
from trainers.checkpoint import load_checkpoint, save_checkpoint, step_folder


def write_newer(run, step: int, metrics: dict[str, float]) -> str:
    """What the run would write next: another checkpoint of the world model on the same VQ-VAE; returns its id."""
    old = load_checkpoint(run, tensors=False)
    torch.manual_seed(step)
    cfg = AtariWorldModelConfig(**old.config)
    ckpt = save_checkpoint(step_folder(run, step), "atari-wm", "tiny", cfg.to_dict(), AtariWorldModel(cfg).state_dict(),
                           step, parents=old.meta["parents"], metrics=metrics)
    return ckpt.id


def test_the_dream_goes_on_in_a_better_checkpoint_written_mid_episode(tmp_path, monkeypatch):
    monkeypatch.setattr("aria_desktop.app.modes.dream.RELOAD_EVERY", 0.0)  # look at every frame between steps
    run = write_dream(tmp_path / "runs")
    app = make_app(tmp_path, "dream", checkpoint=run)
    assert app.mode.name == "dream", app.error
    first = app.mode.dream.wm_checkpoint.id
    play(app, 4)
    assert app.mode.steps >= 2 and f"wm {first[:8]} step 1" in app.last_header
    tap(pygame.K_p)  # paused: no step runs while we look at the switch
    play(app, 2)
    steps, episodes, engine = app.mode.steps, app.mode.runner.episodes, app.mode.game.engine
    current = engine.current.clone()
    newer = write_newer(run, 2, {"acc_1": 0.4})
    play(app, 3)
    game = app.mode.game
    assert app.mode.dream.wm_checkpoint.id == newer and game.dream.wm_checkpoint.id == newer
    assert game.engine is not engine and torch.equal(game.engine.current, current)  # from the dream's own frames
    assert app.mode.steps == steps and app.mode.runner.episodes == episodes  # the same episode, its steps kept
    ticks(app, 1)
    assert f"wm {newer[:8]} step 2" in app.last_header and "better checkpoint" in app.message
    tap(pygame.K_p)
    play(app, 4)
    assert app.mode.steps > steps
    worse = write_newer(run, 3, {"acc_1": 0.1})  # newer but worse: not taken
    play(app, 3)
    assert app.mode.dream.wm_checkpoint.id == newer != worse
    total = app.mode.steps
    key(pygame.K_ESCAPE)
    assert app.tick() is False
    (path,) = recordings(tmp_path, "breakout-dream")  # one episode across the switch
    with open_episode(path) as ep:
        assert ep.steps == total
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in ep.infos["world_model_id"]]
        assert ids[0] == first and ids[-1] == newer  # each frame names the checkpoint that dreamt it
        assert ids == sorted(ids, key=lambda i: i != first)  # the switch happened once, mid-episode


def test_switching_to_the_same_weights_continues_the_dream_as_if_nothing_happened(tmp_path):
    """The new engine starts from the dream's own recent tokens and actions: with identical weights, the frames after
    the switch are those the old engine would have dreamt (greedy)."""
    from aria_desktop.games.dream import DreamConfig, DreamGame
    from trainers.dream_loading import load_dream

    run = write_dream(tmp_path / "runs")
    games = [DreamGame(load_dream(run), DreamConfig(temperature=0.0)) for _ in range(2)]
    try:
        actions = [1, 2, 2, 3, 0, 2, 1, 3]
        for g in games:
            g.reset(0)
            for a in actions[:5]:
                g.step(a)
        switched, kept = games
        switched.switch_model(load_dream(run))
        assert np.array_equal(switched.frame, kept.frame)
        for a in actions[5:]:
            assert np.array_equal(switched.step(a).frame, kept.step(a).frame)
        assert switched.info["dream_steps"] == kept.info["dream_steps"] == len(actions)
    finally:
        for g in games:
            g.close()
