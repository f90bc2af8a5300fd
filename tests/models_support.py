"""Run folders for the model-registry tests, written by the trainers' own writers (RunLog, save_checkpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from trainers.checkpoint import save_checkpoint, step_folder
from trainers.progress import RunLog

DATA = {"folders": ["/data"], "games": ["breakout"], "train_episodes": ["a.h5", "b.h5"], "val_episodes": ["c.h5"],
        "train_steps": 120, "human_steps": 40, "fingerprint": "f"}


def write_run(run: Path, kind: str, steps: list[int], total: int, metrics: list[dict[str, float]],
              parents: dict[str, dict[str, Any]] | None = None, done: bool = True, data: dict | None = None,
              config: dict | None = None) -> list[Path]:
    """A run that evaluated and checkpointed at each of `steps` (figures in the eval events and the checkpoints),
    finishing at the last one when `done`; returns the checkpoint folders."""
    log = RunLog(run, kind, "tiny", total, show=False)
    log.write_run({"steps": total}, data or DATA, resumed=False)
    log.event("start", 0, message="started")
    folders = []
    for step, figures in zip(steps, metrics, strict=True):
        log.event("eval", step, metrics=figures)
        ckpt = save_checkpoint(step_folder(run, step), kind, "tiny", config or {"width": 1},
                               {"w": torch.zeros(2)}, step, data=data or DATA, parents=parents, metrics=figures)
        log.event("checkpoint", step, path=str(ckpt.path))
        folders.append(ckpt.path)
    if done:
        log.event("done", steps[-1], path=str(folders[-1]), metrics=metrics[-1])
    log.close()
    return folders


def parent_of(folder: Path, kind: str = "atari-vqvae") -> dict[str, dict[str, Any]]:
    from trainers.checkpoint import load_checkpoint

    ckpt = load_checkpoint(folder, tensors=False)
    return {"vqvae": {"id": ckpt.id, "path": str(ckpt.path), "kind": kind}}
