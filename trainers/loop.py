"""The training loop every model kind shares: run folder, resume, device, accelerate, events, checkpoints.

A trainer module builds its model and a `step_fn(model, step) -> (loss, logs)` that samples its own batch
(on `trainer.device`, with `trainer.rng`), then calls `Trainer.fit`. The step goes through Hugging Face
`accelerate`, so `accelerate launch -m aria_desktop.cli train ...` runs the same code on several GPUs.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate import Accelerator

from trainers.checkpoint import (
    Checkpoint,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
    step_folder,
    unflatten_optimizer_state,
)
from trainers.errors import TrainerError
from trainers.progress import RunLog

DEVICES = ("auto", "cpu", "cuda", "mps")

StepFn = Callable[[torch.nn.Module, int], tuple[torch.Tensor, dict[str, float]]]
EvalFn = Callable[[torch.nn.Module], dict[str, float]]


@dataclass
class RunSpec:
    """What a training run is: its kind and preset, where it lives and how it steps."""

    kind: str  # a checkpoint kind: atari-vqvae, atari-wm, arc-vqvae, arc-world-model
    preset: str
    out: Path
    total_steps: int
    lr: float
    device: str = "auto"
    resume: bool = False
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    checkpoint_every: int = 500
    eval_every: int = 500
    log_every: int = 10
    keep_checkpoints: int = 2
    seed: int = 0
    show_progress: bool = True
    args: dict[str, Any] = field(default_factory=dict)  # the command's arguments, for run.json


@dataclass
class RunOptions:
    """What the `aria train ...` commands share; a trainer subclasses it for its own options (kw_only)."""

    data: Sequence[Path]
    out: Path
    preset: str = "tiny"
    device: str = "auto"
    steps: int | None = None  # None: the preset's
    resume: bool = False
    batch_size: int | None = None  # None: the preset's
    show_progress: bool = True
    args: dict[str, Any] = field(default_factory=dict)

    def spec(self, kind: str, steps: int, lr: float, checkpoint_every: int, eval_every: int) -> RunSpec:
        """The RunSpec of these options, with the preset's defaults for what the command left out."""
        return RunSpec(
            kind=kind, preset=self.preset, out=self.out, total_steps=self.steps or steps, lr=lr, device=self.device,
            resume=self.resume, checkpoint_every=checkpoint_every, eval_every=eval_every,
            show_progress=self.show_progress, args=self.args,
        )


def check_device(name: str) -> None:
    """Refuse a device this machine does not have, in one sentence."""
    if name not in DEVICES:
        raise TrainerError(f"Unknown device '{name}'; use one of {', '.join(DEVICES)}.")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainerError("--device cuda was asked for, but torch sees no CUDA GPU here; use --device auto or cpu.")
    if name == "mps" and not torch.backends.mps.is_available():
        raise TrainerError("--device mps was asked for, but Apple MPS is not available here; use --device auto or cpu.")


def make_accelerator(device: str) -> Accelerator:
    """auto: accelerate's choice (CUDA, then MPS, then CPU, or what `accelerate launch` set up); else forced."""
    check_device(device)
    if device in ("cpu", "auto") and not torch.cuda.is_available():
        torch.set_num_threads(min(2, torch.get_num_threads()))  # the CPU is shared with the app and the recorder
    return Accelerator(cpu=device == "cpu")


class Trainer:
    """Runs `step_fn` from the run's current step to `spec.total_steps`, logging and checkpointing on the way."""

    def __init__(
        self,
        spec: RunSpec,
        model: torch.nn.Module,
        config: dict[str, Any],
        data: dict[str, Any],
        parents: dict[str, dict[str, Any]] | None = None,
        optimizer: torch.optim.Optimizer | None = None,
    ) -> None:
        self.spec, self.config, self.data, self.parents = spec, config, data, parents or {}
        self.out = Path(spec.out)
        self.accelerator = make_accelerator(spec.device)
        self.start_step, resume_from = self._resume_point()
        if resume_from is not None:
            model.load_state_dict(resume_from.model_state)
        optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
        self.model, self.optimizer = self.accelerator.prepare(model, optimizer)
        if resume_from is not None and "optimizer" in resume_from.meta:
            self.optimizer.load_state_dict(unflatten_optimizer_state(resume_from))
        self.resumed_from = resume_from
        self.metrics: dict[str, float] = dict(resume_from.meta.get("metrics", {})) if resume_from else {}
        # Each process and each resume draws its own batches, reproducibly.
        self.rng = np.random.default_rng([spec.seed, self.accelerator.process_index, self.start_step])
        torch.manual_seed(spec.seed * 1000 + self.accelerator.process_index + self.start_step)

    @property
    def device(self) -> torch.device:
        return self.accelerator.device

    @property
    def main(self) -> bool:
        return self.accelerator.is_main_process

    def unwrapped(self) -> torch.nn.Module:
        return self.accelerator.unwrap_model(self.model)

    def _resume_point(self) -> tuple[int, Checkpoint | None]:
        latest = latest_checkpoint(self.out) if self.out.is_dir() else None
        if not self.spec.resume:
            if latest is not None:
                raise TrainerError(
                    f"{self.out} already holds a run (checkpoint {latest.name}); pass --resume to continue it "
                    "or choose another --out."
                )
            return 0, None
        if latest is None:
            raise TrainerError(f"There is no checkpoint to resume in {self.out}; start the run without --resume.")
        ckpt = load_checkpoint(latest, self.spec.kind)
        if ckpt.meta.get("preset") != self.spec.preset:
            raise TrainerError(
                f"{self.out} is a run of the '{ckpt.meta.get('preset')}' preset, not '{self.spec.preset}'; "
                f"resume it with --preset {ckpt.meta.get('preset')}."
            )
        if ckpt.step >= self.spec.total_steps:
            raise TrainerError(
                f"{self.out} already reached step {ckpt.step} of {self.spec.total_steps}; pass a larger --steps to go on."
            )
        return ckpt.step, ckpt

    def save(self, step: int) -> Checkpoint | None:
        """A checkpoint of the run at `step` (main process only), then old ones pruned."""
        if not self.main:
            return None
        ckpt = save_checkpoint(
            step_folder(self.out, step),
            self.spec.kind,
            self.spec.preset,
            self.config,
            self.unwrapped().state_dict(),
            step,
            optimizer_state=self.optimizer.state_dict(),
            data=self.data,
            parents=self.parents,
            metrics=self.metrics,
        )
        prune_checkpoints(self.out, self.spec.keep_checkpoints)
        return ckpt

    def fit(self, step_fn: StepFn, evaluate: EvalFn | None = None) -> Checkpoint | None:
        """Train to the last step; returns the final checkpoint (None on processes other than the main one)."""
        spec = self.spec
        log = RunLog(self.out, spec.kind, spec.preset, spec.total_steps, show=spec.show_progress and self.main)
        if self.main:
            log.write_run(spec.args, self.data, resumed=self.resumed_from is not None)
            log.event("start", self.start_step, message="resumed" if self.resumed_from else "started",
                      device=str(self.device), processes=self.accelerator.num_processes)
        log.start_bar(self.start_step)
        previous_handler = _stop_on_sigterm()
        step, last = self.start_step, None
        sums: dict[str, float] = {}
        counts: dict[str, int] = {}  # per key: a step_fn may log some losses only on some steps
        try:
            while step < spec.total_steps:
                self.model.train()
                loss, logs = step_fn(self.model, step)
                self.optimizer.zero_grad(set_to_none=True)
                self.accelerator.backward(loss)
                if spec.grad_clip:
                    self.accelerator.clip_grad_norm_(self.model.parameters(), spec.grad_clip)
                self.optimizer.step()
                step += 1
                for k, v in {"loss": float(loss.detach()), **logs}.items():
                    sums[k] = sums.get(k, 0.0) + float(v)
                    counts[k] = counts.get(k, 0) + 1
                final = step == spec.total_steps
                if step % spec.log_every == 0 or final:
                    losses = {k: v / counts[k] for k, v in sums.items()}
                    sums, counts = {}, {}
                    if self.main:
                        log.event("step", step, losses=losses)
                    log.advance(step, losses)
                else:
                    log.advance(step)
                if evaluate is not None and (step % spec.eval_every == 0 or final):
                    self.metrics = self._evaluate(evaluate)
                    if self.main:
                        log.event("eval", step, metrics=self.metrics)
                        log.print(f"step {step}: " + "  ".join(f"{k} {v:.4g}" for k, v in self.metrics.items()))
                if step % spec.checkpoint_every == 0 or final:
                    last = self.save(step)
                    if last is not None:
                        log.event("checkpoint", step, path=str(last.path))
            if self.main:
                log.event("done", step, path=str(last.path) if last else "", metrics=self.metrics)
            return last
        except KeyboardInterrupt:
            if step > self.start_step and self.main:
                saved = self.save(step)
                log.event("checkpoint", step, path=str(saved.path) if saved else "")
            if self.main:
                log.event("error", step, message="interrupted; continue with --resume")
            raise
        except Exception as e:
            if self.main:
                log.event("error", step, message=f"{type(e).__name__}: {e}")
            raise
        finally:
            log.close()
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)

    def _evaluate(self, evaluate: EvalFn) -> dict[str, float]:
        model = self.unwrapped()
        model.eval()
        with torch.no_grad():
            metrics = evaluate(model)
        model.train()
        return {k: float(v) for k, v in metrics.items()}


def _stop_on_sigterm() -> Any:
    """SIGTERM (the app cancelling a run, `kill PID`) stops like Ctrl-C: a checkpoint at the current step, then
    exit; `--resume` continues from it. Returns the previous handler (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)
