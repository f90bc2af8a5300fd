"""`aria train ...`: train the models on recordings, with a progress bar and a run folder the app can follow.

Several GPUs or machines: the same command under Hugging Face accelerate, e.g.
    accelerate launch --multi_gpu --num_processes 4 "$(which aria)" train atari-wm --data DIR --vqvae RUN --out RUN2
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from aria_desktop.errors import AriaError, friendly_errors
from aria_desktop.paths import DEFAULT_RUNS

train_app = typer.Typer(help="Train the models on recordings (runs resume with --resume).", no_args_is_help=True)

Data = Annotated[list[Path], typer.Option("--data", help="Recordings folder (repeat for several).")]
Out = Annotated[Path, typer.Option("--out", help="Run folder: run.json, events.jsonl, checkpoints/.")]
Preset = Annotated[str, typer.Option("--preset", help="tiny (a CPU in minutes) or seed (the seed's size, for a GPU).")]
Device = Annotated[str, typer.Option("--device", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps.")]
Steps = Annotated[int | None, typer.Option("--steps", min=1, help="Total training steps (default: the preset's).")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint.")]
PRESETS = ("tiny", "seed")
ARCH_HELP = ("cached (the dream engine's layout; earlier frames seen at the same cell), cached-window (all of the "
             "earlier frames) or seed (the seed's sequence).")


@contextlib.contextmanager
def trainer_errors() -> Iterator[None]:
    """The trainers' and models' sentences (TrainerError, CheckpointError) as the CLI's AriaError."""
    from trainers.errors import TrainerError

    try:
        yield
    except TrainerError as e:
        raise AriaError(str(e)) from None


def _check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise AriaError(f"Unknown preset '{preset}'; use one of {', '.join(PRESETS)}.")


def _train(train: Callable[[Any], Any], run: type, *, out: Path, preset: str, resume: bool, **options: Any) -> None:
    """Run one trainer with the command's options; run.json keeps them (paths as text) as the run's args."""
    _check_preset(preset)
    args = {"preset": preset} | {k: [str(d) for d in v] if k == "data" else str(v) if isinstance(v, Path) else v
                                 for k, v in options.items()}
    with trainer_errors():
        ckpt = train(run(out=out, preset=preset, resume=resume, args=args, **options))
    if ckpt is not None:
        typer.echo(f"Checkpoint: {ckpt.path}  (evaluate it with `aria eval ... {out}`)")


@train_app.command("atari-vqvae")
@friendly_errors
def train_atari_vqvae_command(
    data: Data,
    out: Out = DEFAULT_RUNS / "atari-vqvae",
    preset: Preset = "tiny",
    device: Device = "auto",
    steps: Steps = None,
    resume: Resume = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Frames per step (default: the preset's).")] = None,
) -> None:
    """Train the Atari VQ-VAE v2.3 (84×64 frames -> 21×16 tokens) on Breakout recordings."""
    from trainers.atari_vqvae_train import VQVAERun, train_atari_vqvae

    _train(train_atari_vqvae, VQVAERun, data=data, out=out, preset=preset, device=device, steps=steps, resume=resume,
           batch_size=batch_size)


@train_app.command("atari-wm")
@friendly_errors
def train_atari_wm_command(
    data: Data,
    vqvae: Annotated[Path, typer.Option("--vqvae", help="The VQ-VAE checkpoint or run folder whose tokens to learn.")],
    out: Out = DEFAULT_RUNS / "atari-wm",
    preset: Preset = "tiny",
    arch: Annotated[str, typer.Option("--arch", help=ARCH_HELP)] = "cached",
    device: Device = "auto",
    steps: Steps = None,
    resume: Resume = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Windows per step (default: the preset's).")] = None,
) -> None:
    """Train the Breakout world model v2.1 on a VQ-VAE's tokens (cached once per VQ-VAE)."""
    from trainers.atari_wm_train import WMRun, train_atari_wm

    _train(train_atari_wm, WMRun, data=data, out=out, preset=preset, device=device, steps=steps, resume=resume,
           batch_size=batch_size, vqvae=vqvae, arch=arch)


@train_app.command("arc-vqvae")
@friendly_errors
def train_arc_vqvae_command(
    data: Data,
    out: Out = DEFAULT_RUNS / "arc-vqvae",
    preset: Preset = "tiny",
    device: Device = "auto",
    steps: Steps = None,
    resume: Resume = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Frames per step (default: the preset's).")] = None,
) -> None:
    """Train the ARC VQ-VAE (64×64 grids of 16 colours -> 8×8 tokens) on ARC recordings."""
    from trainers.arc_vqvae_train import ArcVQVAERun, train_arc_vqvae

    _train(train_arc_vqvae, ArcVQVAERun, data=data, out=out, preset=preset, device=device, steps=steps, resume=resume,
           batch_size=batch_size)


@train_app.command("arc-world-model")
@friendly_errors
def train_arc_world_model_command(
    data: Data,
    vqvae: Annotated[Path, typer.Option("--vqvae", help="The ARC VQ-VAE checkpoint or run folder whose tokens to learn.")],
    out: Out = DEFAULT_RUNS / "arc-world-model",
    preset: Preset = "tiny",
    base_model: Annotated[str | None, typer.Option("--base-model", help="tiny, smollm2-135m (packaged), a local folder or .gguf, or a cached Hugging Face id (default: the preset's).")] = None,
    device: Device = "auto",
    steps: Steps = None,
    resume: Resume = False,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Windows per step (default: the preset's).")] = None,
) -> None:
    """Train the ARC game transformer (a base LM + LoRA over frame, action and level tokens) on ARC recordings."""
    from trainers.arc_wm_train import ArcWMRun, train_arc_world_model

    _train(train_arc_world_model, ArcWMRun, data=data, out=out, preset=preset, device=device, steps=steps, resume=resume,
           batch_size=batch_size, vqvae=vqvae, base_model=base_model)


from aria_desktop.cli.arc_setup import arc_setup_command  # noqa: E402 - its own file, one of this group's commands

train_app.command("arc-setup")(arc_setup_command)
