"""Checkpoints: a folder of safetensors files plus `checkpoint.json`; loading one can never run code.

Layout of a checkpoint folder:
    checkpoint.json        format, format_version, id, kind, preset, config, step, data, parents, metrics, created
    model.safetensors      the model's state dict
    optimizer.safetensors  (optional) optimizer tensors for `--resume`; the rest of its state is in checkpoint.json
A checkpoint is written to a temporary folder beside its final name, fsynced and renamed, so a crash leaves
either the whole checkpoint or none. `load_checkpoint` accepts a checkpoint folder, its checkpoint.json, or a
run folder (its latest checkpoint), and answers every kind of bad input with a CheckpointError sentence.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from recorder.writer import fsync_path
from trainers.errors import TrainerError

FORMAT_NAME = "aria-checkpoint"
FORMAT_VERSION = 1
META_FILE = "checkpoint.json"
MODEL_FILE = "model"
OPTIMIZER_FILE = "optimizer"
KINDS = ("atari-vqvae", "atari-wm", "arc-vqvae", "arc-world-model")
RUN_CHECKPOINTS = "checkpoints"  # a run folder keeps its checkpoints in <run>/checkpoints/step-<n>/


class CheckpointError(TrainerError):
    """A checkpoint that cannot be used; the message is one sentence naming it and what to do."""


@dataclass
class Checkpoint:
    path: Path
    meta: dict[str, Any]
    tensors: dict[str, dict[str, torch.Tensor]] = field(default_factory=dict)  # file stem -> state dict

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def kind(self) -> str:
        return self.meta["kind"]

    @property
    def config(self) -> dict[str, Any]:
        return self.meta["config"]

    @property
    def step(self) -> int:
        return int(self.meta["step"])

    @property
    def model_state(self) -> dict[str, torch.Tensor]:
        return self.tensors[MODEL_FILE]

    def parent(self, role: str) -> dict[str, Any] | None:
        """A checkpoint this one depends on, e.g. parent("vqvae") of a world model: {"id", "path", "kind"}."""
        return self.meta.get("parents", {}).get(role)


def save_checkpoint(
    folder: Path | str,
    kind: str,
    preset: str,
    config: dict[str, Any],
    model_state: dict[str, torch.Tensor],
    step: int,
    *,
    optimizer_state: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    parents: dict[str, dict[str, Any]] | None = None,
    metrics: dict[str, float] | None = None,
    extra: dict[str, Any] | None = None,
) -> Checkpoint:
    """Write a checkpoint folder atomically (temporary folder, fsync, rename) and return it."""
    if kind not in KINDS:
        raise ValueError(f"unknown checkpoint kind {kind!r}; known: {', '.join(KINDS)}")
    folder = Path(folder)
    meta: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "id": uuid.uuid4().hex,
        "kind": kind,
        "preset": preset,
        "config": config,
        "step": int(step),
        "data": data or {},
        "parents": parents or {},
        "metrics": metrics or {},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        **(extra or {}),
    }
    tensors = {MODEL_FILE: {k: v.detach().cpu().contiguous() for k, v in model_state.items()}}
    if optimizer_state is not None:
        opt_tensors, opt_meta = flatten_optimizer_state(optimizer_state)
        tensors[OPTIMIZER_FILE] = opt_tensors
        meta["optimizer"] = opt_meta
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        for stem, state in tensors.items():
            save_file(state, str(tmp / f"{stem}.safetensors"))
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1))
        for f in tmp.iterdir():
            fsync_path(f)
        fsync_path(tmp)
        if folder.exists():  # replacing a checkpoint: move the old one aside first, then drop it
            old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(folder)
        fsync_path(folder.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Checkpoint(folder, meta, tensors)


def load_checkpoint(path: Path | str, kind: str | tuple[str, ...] | None = None, tensors: bool = True) -> Checkpoint:
    """Read a checkpoint (folder, its checkpoint.json, or a run folder's latest); never runs code from the files."""
    path = resolve_checkpoint(Path(path).expanduser())
    meta_path = path / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(
            f"{meta_path} is not valid JSON (corrupt or truncated); retrain or restore the checkpoint from a backup."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path} is not an ARIA checkpoint (its {META_FILE} says nothing of '{FORMAT_NAME}').")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version}, but this ARIA reads version {FORMAT_VERSION}; "
            "retrain it with this version or use the ARIA that wrote it."
        )
    wanted = (kind,) if isinstance(kind, str) else kind
    if wanted and meta.get("kind") not in wanted:
        raise CheckpointError(
            f"{path} is a {meta.get('kind')} checkpoint, not {' or '.join(wanted)}; pass a {wanted[0]} checkpoint."
        )
    missing = [k for k in ("id", "kind", "config", "step") if k not in meta]
    if missing:
        raise CheckpointError(f"{meta_path} lacks {', '.join(missing)}; the checkpoint is damaged, retrain it.")
    ckpt = Checkpoint(path, meta)
    if tensors:
        stems = [MODEL_FILE] + ([OPTIMIZER_FILE] if "optimizer" in meta else [])
        for stem in stems:
            ckpt.tensors[stem] = _load_tensors(path / f"{stem}.safetensors")
    return ckpt


def resolve_checkpoint(path: Path) -> Path:
    """The checkpoint folder a path names: the folder itself, the folder of a checkpoint.json, or a run's latest."""
    if path.is_file():
        if path.name == META_FILE:
            return path.parent
        raise CheckpointError(
            f"{path} is a file, but a checkpoint is a folder holding {META_FILE} and model.safetensors; "
            "pass that folder (or the run folder)."
        )
    if not path.exists():
        raise CheckpointError(f"Checkpoint {path} does not exist; check the path or train one with `aria train`.")
    if (path / META_FILE).exists():
        return path
    latest = latest_checkpoint(path)
    if latest is None:
        raise CheckpointError(f"{path} holds no checkpoint ({META_FILE} is missing); pass a checkpoint or run folder.")
    return latest


def latest_checkpoint(run: Path) -> Path | None:
    """The newest complete checkpoint of a run folder (temporary folders are ignored), or None."""
    folder = run / RUN_CHECKPOINTS
    if not folder.is_dir():
        return None
    done = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / META_FILE).exists())
    return done[-1] if done else None


def steps_done(run: Path) -> int:
    """The step of a run's newest complete checkpoint (0: none yet)."""
    latest = latest_checkpoint(run)
    return load_checkpoint(latest, tensors=False).step if latest is not None else 0


def step_folder(run: Path, step: int) -> Path:
    return run / RUN_CHECKPOINTS / f"step-{step:09d}"


def prune_checkpoints(run: Path, keep: int = 2) -> None:
    """Keep the newest `keep` checkpoints of a run (and drop leftovers of interrupted writes)."""
    folder = run / RUN_CHECKPOINTS
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        if p.name.startswith("."):
            shutil.rmtree(p, ignore_errors=True)
    done = sorted(p for p in folder.iterdir() if p.is_dir() and (p / META_FILE).exists())
    for p in done[:-keep] if keep > 0 else done:
        shutil.rmtree(p, ignore_errors=True)


def check_parent(ckpt: Checkpoint, role: str, other: Checkpoint) -> None:
    """Refuse a parent checkpoint (e.g. the VQ-VAE) that is not the one `ckpt` was trained with."""
    parent = ckpt.parent(role)
    if parent is not None and parent.get("id") != other.id:
        raise CheckpointError(
            f"{other.path} is not the {role} that {ckpt.path} was trained with (its tokens came from "
            f"{parent.get('path')}, id {parent.get('id', '?')[:8]}); pass that {role} checkpoint."
        )


def flatten_optimizer_state(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """A torch optimizer state_dict as flat tensors (for safetensors) plus JSON (param groups, scalars)."""
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, per_param in state["state"].items():
        for name, value in per_param.items():
            if torch.is_tensor(value):
                tensors[f"{pid}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def unflatten_optimizer_state(ckpt: Checkpoint) -> dict[str, Any]:
    """The optimizer state_dict saved by save_checkpoint(optimizer_state=...)."""
    meta = ckpt.meta["optimizer"]
    state: dict[int, dict[str, Any]] = {}
    for key, value in ckpt.tensors.get(OPTIMIZER_FILE, {}).items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    for pid, values in meta["scalars"].items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def _load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise CheckpointError(f"{path} is missing; the checkpoint is incomplete, retrain it or restore it.")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({_first_line(e)}); it is corrupt or truncated, "
            "retrain the model or restore the file."
        ) from None


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:120]

