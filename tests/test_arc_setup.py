"""`aria train arc-setup`: record, train both tiny ARC models, evaluate, make them active; run again, it continues."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from atari_support import one_thread  # noqa: F401 - fixture
from typer.testing import CliRunner

from aria_desktop import paths
from aria_desktop.cli import app
from models.arc_vqvae import ArcVQVAEConfig
from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.progress import read_events

pytestmark = pytest.mark.usefixtures("one_thread")
runner = CliRunner()
TINY = ("--game", "maze", "--game", "lamp", "--random-episodes", 1, "--heldout-episodes", 1, "--max-steps", 8,
        "--vqvae-steps", 3, "--no-open")


def aria(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, " ".join(result.output.split())


def _events(run: Path) -> list[str]:
    return [e["event"] for e in read_events(run)]


def test_setup_records_trains_evaluates_activates_and_continues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "ACTIVE_MODELS", tmp_path / "active-models.json")  # not the session's: others expect none
    out = tmp_path / "setup"
    code, text = aria("train", "arc-setup", "--out", out, "--wm-steps", 2, *TINY)
    assert code == 0, text
    for folder in ("data/expert", "data/random", "heldout"):
        for game in ("maze", "lamp"):
            assert list((out / folder / game).glob("*.h5")), f"{folder}/{game} has no recordings"
    assert not (out / "data/expert/gems").exists()  # only the games asked for
    vq, wm = out / "vqvae", out / "world-model"
    assert load_checkpoint(vq, "arc-vqvae").step == 3
    wm_ckpt = load_checkpoint(wm, "arc-world-model")
    assert wm_ckpt.step == 2 and wm_ckpt.parent("vqvae")["path"] == str(latest_checkpoint(vq).resolve())
    assert set(wm_ckpt.config["games"]) == {"maze", "lamp"}
    for run in (vq, wm):
        events = _events(run)
        assert events[0] == "start" and "eval" in events and events[-1] == "done"
    active = json.loads(paths.ACTIVE_MODELS.read_text())
    assert active["arc-vqvae"] == str(vq.resolve()) and active["arc-world-model"] == str(wm.resolve())
    assert "pixel accuracy" in text and "frame tokens" in text and "Setup took" in text

    # Again with more world-model steps: the recordings and the VQ-VAE stay, the world model resumes.
    recordings = sorted(p.stat().st_mtime_ns for p in out.rglob("*.h5"))
    vq_events = _events(vq)
    code, text = aria("train", "arc-setup", "--out", out, "--wm-steps", 4, *TINY)
    assert code == 0, text
    assert "recordings in" in text and "VQ-VAE in" in text
    assert sorted(p.stat().st_mtime_ns for p in out.rglob("*.h5")) == recordings
    assert _events(vq) == vq_events
    assert load_checkpoint(wm, "arc-world-model").step == 4
    starts = [e for e in read_events(wm) if e["event"] == "start"]
    assert [e["message"] for e in starts] == ["started", "resumed"]

    # The VQ-VAE trained further: the world model, which learned the older tokens, starts again on the new ones.
    code, text = aria("train", "arc-setup", "--out", out, "--wm-steps", 4, *TINY[:-3], "--vqvae-steps", 4, "--no-open")
    assert code == 0, text
    assert load_checkpoint(vq, "arc-vqvae").step == 4 and "starts again" in text
    wm_ckpt = load_checkpoint(wm, "arc-world-model")
    assert wm_ckpt.step == 4 and wm_ckpt.parent("vqvae")["id"] == load_checkpoint(vq, "arc-vqvae").id
    assert [e["message"] for e in read_events(wm) if e["event"] == "start"] == ["started"]


def test_setup_recording_cut_short_is_recorded_again(tmp_path: Path) -> None:
    """A game's batch without its done mark (the setup was stopped while recording it) is recorded again."""
    from aria_desktop.cli.arc_setup import DONE_MARK, ArcSetupConfig, _record

    folder = tmp_path / "random"
    (folder / "maze").mkdir(parents=True)
    (folder / "maze" / "half.h5").write_bytes(b"cut short")
    from rich.console import Console

    _record([(folder, "random", 1, 0, "maze")], ArcSetupConfig.max_steps, None, Console(quiet=True))
    files = list((folder / "maze").glob("*.h5"))
    assert files and all(f.name != "half.h5" for f in files) and (folder / "maze" / DONE_MARK).is_file()


def test_setup_refuses_a_game_without_a_solver(tmp_path: Path) -> None:
    code, text = aria("train", "arc-setup", "--out", tmp_path / "s", "--game", "breakout", "--no-open")
    assert code == 2 and "Traceback" not in text
    assert "breakout is not a built-in game" in text and "--game" in text


def test_setup_learns_the_arc_agi_3_games_of_an_env_dir_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_app_helpers import make_env_dir

    monkeypatch.setattr(paths, "ACTIVE_MODELS", tmp_path / "active-models.json")
    envs = make_env_dir(tmp_path)  # one ARC-AGI-3 game, tg01, in the toolkit's layout
    out = tmp_path / "setup"
    code, text = aria("train", "arc-setup", "--out", out, "--wm-steps", 1, "--env-dir", envs, "--explorer-episodes", 1, "--vqvae-preset", "seed",
                      *TINY)  # fmt: skip
    assert code == 0, text
    vq = load_checkpoint(out / "vqvae", "arc-vqvae", tensors=False)
    assert vq.meta["preset"] == "seed" and vq.config == asdict(ArcVQVAEConfig.seed())
    for folder in ("data/random", "data/explorer", "heldout"):
        assert list((out / folder / "tg01").glob("*.h5")), f"{folder}/tg01 has no recordings"
    assert not (out / "data/expert/tg01").exists()  # no solver for it: random and explorer play
    assert not (out / "data/explorer/maze").exists()  # the built-in games have the solver's play-throughs
    assert "ARC-AGI-3 games' " in text and "held-out frames alone" in text and "never appeared in training" in text
    code, text = aria("train", "arc-setup", "--out", tmp_path / "s2", "--env-dir", tmp_path / "nothing", *TINY)
    assert code == 2 and "holds no ARC-AGI-3 games" in text and "Traceback" not in text
    code, text = aria("train", "arc-setup", "--out", tmp_path / "s3", "--vqvae-preset", "huge", *TINY)
    assert code == 2 and "'huge' is not an ARC VQ-VAE preset" in text and "Traceback" not in text
