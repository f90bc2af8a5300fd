"""DreamGame: Breakout in an (untrained, tiny) world model, through the episode runner and recorder; loading."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
from dream_support import dream_run, write_dream  # noqa: F401 (fixture)
from torch_support import one_torch_thread  # noqa: F401 (autouse fixture)

from aria_desktop.games.dream import DreamConfig, DreamGame
from aria_desktop.session import EpisodeRunner, RecordingSession
from models.atari_frames import psnr, to_model
from recorder import open_episode
from recorder.verify import verify_structure
from trainers.checkpoint import CheckpointError
from trainers.dream_loading import find_dream, load_dream


@pytest.fixture
def game(dream_run):  # noqa: F811
    g = DreamGame(load_dream(dream_run), DreamConfig())
    g.reset(0)
    yield g
    g.close()


def test_dream_episodes_are_recorded_through_the_runner_and_verify(game, tmp_path):
    runner = EpisodeRunner(game, seed=3, recording=RecordingSession(tmp_path), fresh=False)
    first = game.frame.copy()
    frames = [runner.step(a).step.frame.copy() for a in (1, 2, 2, 3, 0)]
    runner.restart()
    runner.step(1)
    runner.close()
    files = sorted((tmp_path / "breakout-dream").glob("*.h5"))
    assert len(files) == 2
    assert all(not verify_structure(f).problems for f in files)
    by_steps = {}
    for f in files:  # (file names sort by the second they were written in, then at random)
        with open_episode(f) as ep:
            by_steps[ep.steps] = f
    assert sorted(by_steps) == [1, 5]
    with open_episode(by_steps[5]) as ep:
        assert ep.game == "breakout-dream" and ep.outcome == "RESET"
        np.testing.assert_array_equal(ep.actions, [1, 2, 2, 3, 0])
        assert ep.observations.shape == (6, 84, 64, 3)
        np.testing.assert_array_equal(ep.observations[0], first)
        for t, frame in enumerate(frames):
            np.testing.assert_array_equal(ep.observations[t + 1], frame)


def test_resync_continues_from_the_real_games_frames(game):
    for a in (1, 2, 2, 3):
        game.step(a)
    game.resync()
    real = np.stack(game._real_frames)
    tokens = game.dream.vqvae.encode(to_model(real)).reshape(len(real), -1)
    assert torch.equal(game.engine.current, tokens[-1])  # the dream acts next on the real game's last frame
    assert len(game._real_actions) == len(real) - 1 == game.history - 1


def test_real_view_is_the_real_frame_beside_its_reconstruction(game):
    game.show_real = True
    game.step(1)
    view = game.real_view
    assert view.frame.shape == view.reconstruction.shape == (84, 64, 3)
    assert view.psnr == pytest.approx(psnr(view.frame, view.reconstruction))


def test_temperature_sampling_differs_from_greedy(dream_run):  # noqa: F811
    greedy, warm = (DreamGame(load_dream(dream_run), DreamConfig(temperature=t)) for t in (0.0, 1.5))
    for g in (greedy, warm):
        g.reset(0)
    a = [greedy.step(1).frame for _ in range(3)]
    b = [warm.step(1).frame for _ in range(3)]
    assert any(not np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    for g in (greedy, warm):
        g.close()


def test_find_dream_takes_the_newest_complete_world_model(tmp_path):
    assert find_dream(tmp_path) is None
    older = write_dream(tmp_path / "a")
    newer = write_dream(tmp_path / "b")
    older_meta = next((older / "checkpoints").iterdir()) / "checkpoint.json"
    older_meta.write_text(older_meta.read_text().replace('"created": "', '"created": "0'))  # sorts first
    assert find_dream(tmp_path).parent.parent == newer
    write_dream(tmp_path / "c", layout="seed")  # the engine cannot run the seed layout: not a dream
    assert find_dream(tmp_path).parent.parent == newer


def test_load_dream_refuses_a_vqvae_from_another_run_and_the_seed_layout(tmp_path):
    one, other = write_dream(tmp_path / "one"), write_dream(tmp_path / "two")
    with pytest.raises(CheckpointError, match="not the vqvae that"):
        load_dream(one, vqvae=other.parent / "vqvae")
    with pytest.raises(CheckpointError, match="seed layout"):
        load_dream(write_dream(tmp_path / "seed", layout="seed"))
    with pytest.raises(CheckpointError, match="not atari-wm"):
        load_dream(one.parent / "vqvae")


def test_a_dream_can_start_from_a_recordings_first_frames(dream_run, tmp_path):  # noqa: F811
    from atari_support import record_breakout

    from aria_desktop.errors import AriaError
    from models.atari_frames import preprocess

    (path,) = record_breakout(tmp_path, episodes=1, steps=8, previous_frame=False)
    game = DreamGame(load_dream(dream_run), DreamConfig(start=str(path)))
    game.reset(0)
    with open_episode(path) as ep:
        last = preprocess(np.asarray(ep.observations[game.history - 1]))
    tokens = game.dream.vqvae.encode(to_model(last[None])).reshape(-1)
    assert torch.equal(game.engine.current, tokens)  # the dream acts next on the recording's frame history-1
    game.close()
    (short,) = record_breakout(tmp_path / "short", episodes=1, steps=2, previous_frame=False)
    with pytest.raises(AriaError, match="at least"):
        DreamGame(load_dream(dream_run), DreamConfig(start=str(short)))


def test_verify_replay_checks_a_dream_recordings_structure_and_says_it_cannot_be_replayed(game, tmp_path):
    import typer
    from atari_support import record_breakout
    from typer.testing import CliRunner

    from aria_desktop.cli.recordings import recordings_app

    runner = EpisodeRunner(game, seed=3, recording=RecordingSession(tmp_path), fresh=False)
    for a in (1, 2, 3):
        runner.step(a)
    runner.close()
    (dreamt,) = (tmp_path / "breakout-dream").glob("*.h5")
    (real,) = record_breakout(tmp_path / "real", episodes=1, steps=8)  # the default game: previous frames kept
    cli = typer.Typer()
    cli.add_typer(recordings_app, name="recordings")
    result = CliRunner().invoke(cli, ["recordings", "verify", "--replay", str(tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert f"OK   {dreamt} (3 steps; structure)" in result.output
    assert f"{dreamt.name} was dreamt by a world model" in result.output and result.output.count("dreamt by") == 1
    assert f"OK   {real} (8 steps; structure and every frame replayed)" in result.output
    assert "2 episode file(s) checked, 0 with problems." in result.output
    with h5py.File(dreamt, "r+") as f:  # the structure is still checked: a damaged dream file fails
        del f["rewards"]
    result = CliRunner().invoke(cli, ["recordings", "verify", "--replay", str(tmp_path)], env={"COLUMNS": "400"})
    assert result.exit_code == 1 and "1 with problems" in result.output
