"""`aria train atari-vqvae / atari-wm` and `aria eval ...` on small real Breakout recordings, and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from atari_support import (
    one_thread,  # noqa: F401 - the fixture, used by pytestmark
    record_breakout,
)
from typer.testing import CliRunner

from aria_desktop.cli import app
from aria_desktop.cli.eval import wm_summary
from models.atari_vqvae import AtariVQVAE, AtariVQVAEConfig
from trainers.checkpoint import load_checkpoint, save_checkpoint
from trainers.progress import read_events

pytestmark = pytest.mark.usefixtures("one_thread")

runner = CliRunner()


def aria(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Path]:
    request.getfixturevalue("one_thread")  # before training, not after (it is module-scoped too)
    root = tmp_path_factory.mktemp("atari")
    data = root / "data"
    record_breakout(data, episodes=3, steps=30)
    vq, wm = root / "vq", root / "wm"
    code, out = aria("train", "atari-vqvae", "--data", data, "--out", vq, "--steps", 3, "--batch-size", 4, "--device", "cpu")
    assert code == 0, out
    code, out = aria("train", "atari-wm", "--data", data, "--vqvae", vq, "--out", wm, "--steps", 2, "--batch-size", 2,
                     "--device", "cpu")
    assert code == 0, out
    return {"root": root, "data": data, "vq": vq, "wm": wm}


def test_training_writes_checkpoints_events_and_token_cache(trained: dict[str, Path]) -> None:
    vq = load_checkpoint(trained["vq"], "atari-vqvae")
    data = vq.meta["data"]
    assert vq.step == 3 and vq.meta["preset"] == "tiny" and len(data["val_episodes"]) >= 1
    assert sorted(data["val_episodes"] + data["train_episodes"]) == sorted(p.name for p in trained["data"].rglob("*.h5"))
    assert {"psnr", "codebook_usage"} <= set(vq.meta["metrics"])
    wm = load_checkpoint(trained["wm"], "atari-wm")
    assert wm.parent("vqvae")["id"] == vq.id and wm.config["n_vocab"] == 32 and wm.config["layout"] == "cached"
    cached = list((trained["vq"] / "token-cache" / vq.id).glob("*.npy"))
    assert len(cached) == 3  # every episode encoded once, by this VQ-VAE
    events = [e["event"] for e in read_events(trained["wm"])]
    assert events[0] == "start" and events[-1] == "done" and "eval" in events and "checkpoint" in events
    run = json.loads((trained["wm"] / "run.json").read_text())
    assert run["kind"] == "atari-wm" and run["args"]["steps"] == 2


def test_the_model_registry_lists_the_trained_runs_with_their_figures(trained: dict[str, Path]) -> None:
    from trainers.models_registry import find_checkpoints

    entries, problems = find_checkpoints(trained["root"])
    by_kind = {e.kind: e for e in entries}
    assert problems == [] and set(by_kind) == {"atari-vqvae", "atari-wm"}
    vq, wm = by_kind["atari-vqvae"], by_kind["atari-wm"]
    assert vq.games == wm.games == ["breakout"] and vq.episodes == 3 and vq.data_steps > 0
    assert vq.finished and wm.finished and wm.parents == {"vqvae": vq.id}
    assert vq.headline_text.startswith("PSNR") and wm.headline_text.startswith("token acc")  # the trainers' figures


def test_resume_continues_the_run(trained: dict[str, Path]) -> None:
    code, out = aria("train", "atari-vqvae", "--data", trained["data"], "--out", trained["vq"], "--steps", 5,
                     "--batch-size", 4, "--device", "cpu", "--resume")
    assert code == 0, out
    starts = [e for e in read_events(trained["vq"]) if e["event"] == "start"]
    assert starts[-1]["step"] == 3 and starts[-1]["message"] == "resumed"
    assert load_checkpoint(trained["vq"]).step == 5
    code, out = aria("train", "atari-vqvae", "--data", trained["data"], "--out", trained["vq"], "--steps", 5, "--device", "cpu")
    assert code == 2 and "already holds a run" in out and "--resume" in out


def test_eval_prints_the_metrics(trained: dict[str, Path]) -> None:
    code, out = aria("eval", "atari-vqvae", trained["vq"], "--data", trained["data"], "--json")
    assert code == 0, out
    m = json.loads(out)
    held_out = load_checkpoint(trained["vq"]).meta["data"]["val_episodes"]
    assert m["episodes"] == len(held_out) and 0 < m["psnr"] < 60 and 0 < m["codebook_usage"] <= 1
    # the world model was trained against the first VQ-VAE checkpoint's id, and the run folder still holds it
    code, out = aria("eval", "atari-wm", trained["wm"], "--data", trained["data"], "--windows", 3, "--json")
    assert code == 0, out
    m = json.loads(out)
    for key in ("acc_1", "acc_5", "acc_10", "changed_acc_1", "changed_acc_5", "copy_acc_1", "action_sensitivity",
                "psnr_1", "psnr_vqvae"):
        assert key in m, key
    assert 0 <= m["acc_1"] <= 1 and 0 < m["copy_acc_1"] <= 1 and m["windows"] == 3 and m["action_sensitivity"] >= 0
    lines = wm_summary(m)
    assert len(lines) == 3 and "copy-last-frame" in lines[0] and lines[2].startswith("10 steps ahead")


def _one_line_error(code: int, out: str, *needles: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out and out.startswith("Error: ")
    for n in needles:
        assert n in out, out


def test_bad_input_gets_one_sentence(trained: dict[str, Path], tmp_path: Path) -> None:
    data, vq, wm = trained["data"], trained["vq"], trained["wm"]
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(*aria("train", "atari-vqvae", "--data", empty, "--out", tmp_path / "r1", "--device", "cpu"), "No recordings")
    _one_line_error(*aria("train", "atari-vqvae", "--data", tmp_path / "nope", "--out", tmp_path / "r1"), "does not exist")
    code, out = aria("record", "maze", "--headless", "--agent", "scripted", "--episodes", 1, "--max-steps", 5,
                     "--out", tmp_path / "arc")
    assert code == 0, out
    _one_line_error(*aria("train", "atari-vqvae", "--data", tmp_path / "arc", "--out", tmp_path / "r2", "--device", "cpu"),
                    "recordings of maze, not Breakout recordings")
    _one_line_error(*aria("eval", "atari-wm", vq, "--data", data), "is a atari-vqvae checkpoint, not atari-wm")
    _one_line_error(*aria("train", "atari-wm", "--data", data, "--vqvae", wm, "--out", tmp_path / "r3"), "not atari-vqvae")
    junk = tmp_path / "model.safetensors"
    junk.write_bytes(os.urandom(2048))
    _one_line_error(*aria("eval", "atari-vqvae", junk, "--data", data), "is a file")
    cut = tmp_path / "cut"
    cfg = AtariVQVAEConfig.tiny()
    save_checkpoint(cut, "atari-vqvae", "tiny", cfg.to_dict(), AtariVQVAE(cfg).state_dict(), 0)
    (cut / "model.safetensors").write_bytes((cut / "model.safetensors").read_bytes()[:1000])
    _one_line_error(*aria("eval", "atari-vqvae", cut, "--data", data), "corrupt or truncated")
    other = tmp_path / "other-vq"
    save_checkpoint(other, "atari-vqvae", "tiny", cfg.to_dict(), AtariVQVAE(cfg).state_dict(), 0)
    _one_line_error(*aria("eval", "atari-wm", wm, "--data", data, "--vqvae", other), "is not the vqvae that")
    _one_line_error(*aria("train", "atari-vqvae", "--data", data, "--out", tmp_path / "r4", "--preset", "huge"), "Unknown preset")
    _one_line_error(*aria("train", "atari-wm", "--data", data, "--vqvae", vq, "--out", tmp_path / "r5", "--arch", "rnn"),
                    "Unknown --arch")
