"""The shared training loop: events.jsonl + run.json, and --resume after an interrupted run."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch

from trainers.checkpoint import latest_checkpoint, load_checkpoint
from trainers.errors import TrainerError
from trainers.loop import RunSpec, Trainer
from trainers.progress import read_events


class Killed(Exception):
    pass


def _spec(out: Path, **kw) -> RunSpec:
    base = dict(kind="atari-vqvae", preset="tiny", out=out, total_steps=8, lr=1e-2, device="cpu",
                checkpoint_every=3, eval_every=4, log_every=2, show_progress=False, args={"steps": 8})
    return RunSpec(**{**base, **kw})


def _run(out: Path, kill_at: int | None = None, interrupt_at: int | None = None, term_at: int | None = None,
         **kw) -> list[int]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(_spec(out, **kw), model, {"in": 3}, {"fingerprint": "x"})
    seen: list[int] = []

    def step_fn(m: torch.nn.Module, step: int) -> tuple[torch.Tensor, dict[str, float]]:
        if step == kill_at:
            raise Killed()
        if step == interrupt_at:
            raise KeyboardInterrupt
        if step == term_at:
            os.kill(os.getpid(), signal.SIGTERM)  # how the app cancels a run
        seen.append(step)
        x = torch.ones(4, 3)
        loss = (m(x) - 2.0).pow(2).mean()
        return loss, {"twice": 2 * float(loss.detach())}

    trainer.fit(step_fn, evaluate=lambda m: {"bias": float(m.bias)})
    return seen


def test_events_and_run_json(tmp_path: Path) -> None:
    seen = _run(tmp_path)
    assert seen == list(range(8))
    events = read_events(tmp_path)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert [e["step"] for e in events if e["event"] == "step"] == [2, 4, 6, 8]
    assert [e["step"] for e in events if e["event"] == "eval"] == [4, 8]
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [3, 6, 8]
    step2 = next(e for e in events if e["event"] == "step")
    assert set(step2["losses"]) == {"loss", "twice"} and step2["total_steps"] == 8
    assert abs(step2["losses"]["twice"] - 2 * step2["losses"]["loss"]) < 1e-6
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["kind"] == "atari-vqvae" and run["args"] == {"steps": 8} and run["data"]["fingerprint"] == "x"
    final = load_checkpoint(tmp_path, "atari-vqvae")
    assert final.step == 8 and "bias" in final.meta["metrics"]
    assert len(list((tmp_path / "checkpoints").iterdir())) == 2  # older ones pruned


def test_resume_after_a_crash_continues_from_the_last_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(Killed):
        _run(tmp_path, kill_at=5)
    assert load_checkpoint(latest_checkpoint(tmp_path)).step == 3
    assert read_events(tmp_path)[-1]["event"] == "error"
    with pytest.raises(TrainerError, match="already holds a run"):
        _run(tmp_path)
    seen = _run(tmp_path, resume=True)
    assert seen == [3, 4, 5, 6, 7]
    starts = [e for e in read_events(tmp_path) if e["event"] == "start"]
    assert [(s["step"], s["message"]) for s in starts] == [(0, "started"), (3, "resumed")]
    assert json.loads((tmp_path / "run.json").read_text())["resumes"] == 1
    resumed = load_checkpoint(tmp_path)
    assert resumed.step == 8 and int(resumed.meta["optimizer"]["param_groups"][0]["params"][0]) == 0
    # AdamW's step counter carried over: 8 optimizer steps in all, not 5
    assert float(resumed.tensors["optimizer"]["0.step"]) == 8.0


def test_ctrl_c_saves_where_it_stopped(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, interrupt_at=5)
    assert load_checkpoint(tmp_path).step == 5
    assert _run(tmp_path, resume=True) == [5, 6, 7]


def test_sigterm_saves_where_it_stopped(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, term_at=4)
    assert load_checkpoint(tmp_path).step == 4  # the signal stopped step 4 midway: 4 finished steps are saved
    assert read_events(tmp_path)[-1]["message"].startswith("interrupted")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_resume_refusals(tmp_path: Path) -> None:
    with pytest.raises(TrainerError, match="no checkpoint to resume"):
        _run(tmp_path, resume=True)
    _run(tmp_path)
    with pytest.raises(TrainerError, match="already reached step 8"):
        _run(tmp_path, resume=True)
    with pytest.raises(TrainerError, match="'tiny' preset"):
        _run(tmp_path, resume=True, preset="seed", total_steps=10)
    with pytest.raises(TrainerError, match="Unknown device"):
        _run(tmp_path / "x", device="tpu")
