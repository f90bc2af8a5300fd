"""ARC trainers end to end through the CLI (tiny presets, a few steps) and their bad-input sentences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from atari_support import one_thread, record_breakout  # noqa: F401 - fixture
from safetensors.torch import load_file
from typer.testing import CliRunner

from aria_desktop.cli import app
from models.arc_game_transformer import GameVocab
from models.arc_vqvae import ArcVQVAE, ArcVQVAEConfig
from recorder import open_episode
from trainers.arc_data import find_arc, load_arc_episode
from trainers.checkpoint import load_checkpoint, save_checkpoint
from trainers.progress import read_events

pytestmark = pytest.mark.usefixtures("one_thread")
runner = CliRunner()


def aria(*args: object) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def _one_line_error(code: int, out: str, fragment: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out and fragment in " ".join(out.split()), out


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, one_thread: None) -> dict[str, Path]:  # noqa: F811
    root = tmp_path_factory.mktemp("arc")
    data = root / "data"
    for game in ("maze", "lamp"):  # a keyboard game and a click game
        code, out = aria(
            "record", game, "--headless", "--agent", "scripted", "--episodes", 3, "--max-steps", 12, "--out", data
        )
        assert code == 0, out
    vq, wm = root / "vq", root / "wm"
    code, out = aria(
        "train", "arc-vqvae", "--data", data, "--out", vq, "--steps", 4, "--batch-size", 4, "--device", "cpu"
    )
    assert code == 0, out
    code, out = aria("train", "arc-world-model", "--data", data, "--vqvae", vq, "--out", wm, "--steps", 2, "--batch-size", 1,
                     "--device", "cpu")  # fmt: skip
    assert code == 0, out
    return {"root": root, "data": data, "vq": vq, "wm": wm}


def test_episodes_become_the_seed_sequence(trained: dict[str, Path]) -> None:
    refs, _ = find_arc([trained["data"] / "lamp"])
    ep = load_arc_episode(refs[0])
    with open_episode(refs[0].path) as raw:
        levels = raw.infos["levels_completed"]
    assert ep.level_up.tolist() == (np.diff(levels) > 0).tolist() and ep.level_up.any()
    assert (ep.actions == 6).all() and (ep.xy >= 0).all()  # lamp is played by clicks
    vocab = GameVocab(base_vocab=32, n_codes=64)
    codes = np.zeros((len(ep.frames), 8, 8), np.int64)
    seq = vocab.episode(codes, ep.actions, ep.xy, ep.level_up)
    steps = len(ep.actions)
    assert len(seq) == 1 + steps * (1 + 64 + 1 + 1 + 2) + int(ep.level_up.sum()) + 65
    assert (seq == vocab.level_complete).sum() == ep.level_up.sum()


def test_vqvae_run_checkpoint_events_and_eval(trained: dict[str, Path]) -> None:
    ckpt = load_checkpoint(trained["vq"], "arc-vqvae")
    assert ckpt.step == 4 and ckpt.config["n_codes"] == ArcVQVAEConfig.tiny().n_codes
    assert ckpt.meta["data"]["val_episodes"] and ckpt.meta["data"]["train_frames"] > 0
    events = [e["event"] for e in read_events(trained["vq"])]
    assert events[0] == "start" and "eval" in events and events[-1] == "done"
    code, out = aria("eval", "arc-vqvae", trained["vq"], "--data", trained["data"], "--json")
    assert code == 0, out
    metrics = json.loads(out)
    assert 0 <= metrics["pixel_accuracy"] <= 1 and metrics["codes_used"] >= 1
    assert metrics["episodes"] == len(ckpt.meta["data"]["val_episodes"])  # held-out episodes only
    assert 0 <= metrics["unseen_patch_share"] < 1  # the training episodes are still in place: the split is there
    code, out = aria("eval", "arc-vqvae", trained["vq"], "--data", trained["data"])
    assert code == 0 and "never appeared in training" in " ".join(out.split()), out


def test_the_vqvae_score_splits_pixels_by_whether_training_showed_their_patch() -> None:
    from trainers.arc_vqvae_train import patches_of, score_arc_vqvae, token_patches

    torch.manual_seed(0)
    model = ArcVQVAE(ArcVQVAEConfig(embed_dim=8, channels=8, code_dim=16, n_codes=32))
    trained = np.zeros((1, 64, 64), np.uint8)
    held = np.zeros((2, 64, 64), np.uint8)
    held[0, 8:16, 24:32] = 3  # one 8×8 block training never showed, out of 128
    held[1, 0:4, 0:8] = 5  # and another one
    metrics = score_arc_vqvae(model, held, seen_patches=token_patches(trained))
    assert metrics["unseen_patch_share"] == 2 / 128
    with torch.no_grad():
        right = patches_of(model.decode(model.encode(torch.from_numpy(held).long())).numpy() == held)
    new = np.zeros(128, bool)
    new[[0 * 64 + 1 * 8 + 3, 1 * 64 + 0]] = True  # block (row 1, col 3) of frame 0, block (0, 0) of frame 1
    assert metrics["accuracy_on_unseen_patches"] == right[new].mean()
    assert metrics["accuracy_on_seen_patches"] == right[~new].mean()
    assert metrics["pixel_accuracy"] == right.mean()


def test_world_model_checkpoint_holds_adapters_only_and_resumes(trained: dict[str, Path]) -> None:
    ckpt = load_checkpoint(trained["wm"], "arc-world-model")
    assert ckpt.config["base"]["name"] == "tiny" and "checksum" in ckpt.config["base"]
    assert ckpt.parent("vqvae")["id"] == load_checkpoint(trained["vq"], "arc-vqvae").id
    keys = list(load_file(str(ckpt.path / "model.safetensors")))
    assert keys and all("lora_" in k or "trainable_tokens_delta" in k for k in keys)
    code, out = aria("train", "arc-world-model", "--data", trained["data"], "--vqvae", trained["vq"], "--out", trained["wm"],
                     "--steps", 3, "--batch-size", 1, "--device", "cpu", "--resume")  # fmt: skip
    assert code == 0, out
    assert load_checkpoint(trained["wm"], "arc-world-model").step == 3
    code, out = aria("eval", "arc-world-model", trained["wm"], "--data", trained["data"], "--json")
    assert code == 0, out
    metrics = json.loads(out)
    for key in ("frame_accuracy", "action_accuracy", "level_accuracy", "perplexity", "val_loss"):
        assert np.isfinite(metrics[key]), key
    assert metrics["perplexity"] > 1


def test_bad_input_gets_one_sentence(trained: dict[str, Path], tmp_path: Path) -> None:
    data, vq, wm = trained["data"], trained["vq"], trained["wm"]
    record_breakout(tmp_path / "atari", episodes=1, steps=5)
    _one_line_error(*aria("train", "arc-vqvae", "--data", tmp_path / "atari", "--out", tmp_path / "r1", "--device", "cpu"),
                    "recordings of breakout, not ARC recordings")  # fmt: skip
    other = tmp_path / "other-vq"
    cfg = ArcVQVAEConfig.tiny()
    save_checkpoint(other, "arc-vqvae", "tiny", cfg.__dict__, ArcVQVAE(cfg).state_dict(), 0)
    _one_line_error(*aria("eval", "arc-world-model", wm, "--data", data, "--vqvae", other), "is not the vqvae that")
    _one_line_error(
        *aria("eval", "arc-world-model", vq, "--data", data), "is a arc-vqvae checkpoint, not arc-world-model"
    )
    _one_line_error(*aria("train", "arc-world-model", "--data", data, "--vqvae", vq, "--out", tmp_path / "r2",
                          "--base-model", "nobody/no-such-model"), "nor a Hugging Face id in the local cache")  # fmt: skip
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(range(256)) * 4)
    _one_line_error(*aria("train", "arc-world-model", "--data", data, "--vqvae", vq, "--out", tmp_path / "r3",
                          "--base-model", broken), "failed to load")  # fmt: skip
    wide = tmp_path / "wide-vq"  # a VQ-VAE with another codebook size: another vocabulary for the adapters
    wide_cfg = ArcVQVAEConfig(embed_dim=8, channels=8, code_dim=16, n_codes=96)
    save_checkpoint(wide, "arc-vqvae", "tiny", wide_cfg.__dict__, ArcVQVAE(wide_cfg).state_dict(), 0)
    _one_line_error(*aria("train", "arc-world-model", "--data", data, "--vqvae", wide, "--out", wm, "--steps", 4,
                          "--device", "cpu", "--resume"), "cannot be resumed")  # fmt: skip


def test_the_vqvae_learning_rate_warms_up_then_decays_on_a_cosine() -> None:
    from trainers.arc_vqvae_train import ArcVQVAETrainConfig

    hp = ArcVQVAETrainConfig(lr=1e-3, warmup_steps=10, final_lr_share=0.1)
    lrs = [hp.lr_at(step, 100) for step in range(100)]
    assert lrs[0] == 1e-4 and abs(lrs[9] - 1e-3 * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * 0.09)))) < 1e-12
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:], strict=False))  # never rises after the warm-up
    assert abs(hp.lr_at(100, 100) - 1e-4) < 1e-12  # ends at final_lr_share of lr


def test_game_first_draws_give_every_game_its_share_however_many_frames_it_has() -> None:
    from trainers.arc_data import ArcEpisode, unique_frames
    from trainers.arc_vqvae_train import FrameSampler

    def episode(game: str, values: range) -> ArcEpisode:
        frames = np.stack([np.full((64, 64), v, np.uint8) for v in values])
        n = len(frames) - 1
        return ArcEpisode(game, game, frames, np.zeros(n, np.int64), np.full((n, 2), -1, np.int16), np.zeros(n, bool),
                          np.ones(n), np.zeros((0, 64, 64), np.uint8))  # fmt: skip

    episodes = [episode("big", range(1, 100)), episode("one", range(200, 201))]  # 99 distinct frames against 1
    frames = unique_frames(episodes)
    rng = np.random.default_rng(0)
    one = next(i for i, f in enumerate(frames) if f[0, 0] == 200)
    balanced = FrameSampler.of(episodes, frames, game_first_share=1.0).draw(rng, 4000)
    mixed = FrameSampler.of(episodes, frames, game_first_share=0.5).draw(rng, 4000)
    uniform = FrameSampler.of(episodes, frames, game_first_share=0.0).draw(rng, 4000)
    assert 0.45 < np.mean(balanced == one) < 0.55  # half the game-first draws go to the game with one frame
    assert 0.2 < np.mean(mixed == one) < 0.3
    assert np.mean(uniform == one) < 0.03  # uniformly over frames it is one draw in a hundred
    assert len(np.unique(balanced[balanced != one])) > 90  # the big game's frames are all still drawn
