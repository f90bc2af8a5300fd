"""Checkpoints: round trip, atomic layout, and one CheckpointError sentence for every kind of bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from trainers.checkpoint import (
    CheckpointError,
    check_parent,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
    step_folder,
    unflatten_optimizer_state,
)


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))


def _save(folder: Path, kind: str = "atari-vqvae", **kw) -> tuple[torch.nn.Module, torch.optim.Optimizer, object]:
    model = _model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(3, 4)).sum().backward()
    opt.step()
    ckpt = save_checkpoint(folder, kind, "tiny", {"width": 8}, model.state_dict(), 7, optimizer_state=opt.state_dict(),
                           data={"fingerprint": "abc"}, **kw)
    return model, opt, ckpt


def test_round_trip_restores_model_and_optimizer(tmp_path: Path) -> None:
    model, opt, saved = _save(tmp_path / "ck")
    ckpt = load_checkpoint(tmp_path / "ck", "atari-vqvae")
    assert ckpt.step == 7 and ckpt.config == {"width": 8} and ckpt.id == saved.id and ckpt.meta["preset"] == "tiny"
    fresh = _model()
    with torch.no_grad():
        for p in fresh.parameters():
            p.add_(1.0)
    fresh.load_state_dict(ckpt.model_state)
    for a, b in zip(fresh.parameters(), model.parameters()):
        assert torch.equal(a, b)
    opt2 = torch.optim.AdamW(fresh.parameters(), lr=1e-3)
    opt2.load_state_dict(unflatten_optimizer_state(ckpt))
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    for k in s1:
        assert torch.equal(s1[k]["exp_avg_sq"], s2[k]["exp_avg_sq"]) and float(s1[k]["step"]) == float(s2[k]["step"])
    # only JSON and safetensors on disk, no temporary leftovers
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["checkpoint.json", "model.safetensors", "optimizer.safetensors"]
    assert [p.name for p in tmp_path.iterdir()] == ["ck"]


def test_run_folder_resolves_to_its_newest_checkpoint(tmp_path: Path) -> None:
    _save(step_folder(tmp_path, 5))
    _, _, newest = _save(step_folder(tmp_path, 10))
    (tmp_path / "checkpoints" / ".step-000000020.tmp-dead").mkdir()  # an interrupted write is ignored
    assert latest_checkpoint(tmp_path) == newest.path
    assert load_checkpoint(tmp_path).id == newest.id


def _error(path: Path, kind: str | None = "atari-vqvae") -> str:
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(path, kind)
    text = str(e.value)
    assert "\n" not in text and str(path.name) in text
    return text


def test_bad_checkpoints_get_one_sentence(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    assert "holds no checkpoint" in _error(tmp_path / "empty")

    _save(tmp_path / "wm", kind="atari-wm")
    assert "is a atari-wm checkpoint, not atari-vqvae" in _error(tmp_path / "wm")

    _save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "checkpoint.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "old" / "checkpoint.json").write_text(json.dumps(meta))
    assert "format version 99" in _error(tmp_path / "old")

    _save(tmp_path / "cut")
    f = tmp_path / "cut" / "model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert "corrupt or truncated" in _error(tmp_path / "cut")

    _save(tmp_path / "json")
    j = tmp_path / "json" / "checkpoint.json"
    j.write_text(j.read_text()[:40])
    assert "not valid JSON" in _error(tmp_path / "json")

    _save(tmp_path / "gone")
    (tmp_path / "gone" / "model.safetensors").unlink()
    assert "is missing" in _error(tmp_path / "gone")

    random_file = tmp_path / "weights.safetensors"
    random_file.write_bytes(os.urandom(4096))
    assert "is a file" in _error(random_file)
    (tmp_path / "rand").mkdir()
    (tmp_path / "rand" / "model.safetensors").write_bytes(os.urandom(4096))
    (tmp_path / "rand" / "checkpoint.json").write_bytes(os.urandom(256))
    assert "checkpoint" in _error(tmp_path / "rand")
    _save(tmp_path / "rand2")
    (tmp_path / "rand2" / "model.safetensors").write_bytes(os.urandom(4096))
    assert "corrupt or truncated" in _error(tmp_path / "rand2")


def test_world_model_refuses_a_vqvae_from_another_run(tmp_path: Path) -> None:
    _, _, vq = _save(tmp_path / "vq")
    _, _, other = _save(tmp_path / "vq2")
    _, _, wm = _save(tmp_path / "wm", kind="atari-wm", parents={"vqvae": {"id": vq.id, "path": str(vq.path)}})
    check_parent(wm, "vqvae", vq)
    with pytest.raises(CheckpointError, match="is not the vqvae that"):
        check_parent(wm, "vqvae", other)

