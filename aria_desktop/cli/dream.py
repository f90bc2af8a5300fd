"""`aria dream`: play Breakout inside its learned world model; `aria dream --setup` makes a first one from nothing.

The dream opens the world model given with --checkpoint, else the active one (`aria models use`; by default the
newest finished atari-wm checkpoint under the runs folder, aria_desktop.paths.DEFAULT_RUNS: a checkout's runs/, else
$XDG_DATA_HOME/aria/runs), else the newest world-model run there whose VQ-VAE is still there.
--setup: record scripted-agent Breakout (training and held-out episodes), train the tiny VQ-VAE and world model
on the CPU, evaluate both on the held-out episodes, print the figures, then open the dream. Everything goes to
<runs>/dream-setup/; a setup run again continues where it stopped (recordings kept, training resumed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aria_desktop.errors import AriaError, friendly_errors
from aria_desktop.paths import DEFAULT_RUNS


@dataclass
class SetupConfig:
    """The first dream's budget: about 11 minutes on a 2-core CPU (README has the figures)."""

    out: Path = DEFAULT_RUNS / "dream-setup"
    episodes: int = 6  # scripted play-throughs to train on
    heldout_episodes: int = 2  # and to evaluate on (other seeds)
    max_steps: int = 400  # steps per play-through
    vqvae_steps: int = 250  # 32 dB on held-out frames (README)
    wm_steps: int = 150  # beats copy-last-frame on the tokens that change (README)
    seed: int = 0


def setup_dream(cfg: SetupConfig, console: Console) -> Path:
    """Record, train, evaluate; returns the world-model run. Each stage is skipped when already complete."""
    from aria_desktop.cli.eval import wm_summary
    from aria_desktop.cli.record import RecordConfig, record_episodes
    from aria_desktop.cli.train import trainer_errors
    from trainers.atari_eval import HORIZONS, eval_atari_vqvae, eval_atari_wm
    from trainers.atari_vqvae_train import VQVAERun, train_atari_vqvae
    from trainers.atari_wm_train import WMRun, train_atari_wm
    from trainers.checkpoint import steps_done

    started = time.monotonic()
    data, heldout, vq_run, wm_run = (cfg.out / name for name in ("data", "heldout", "vqvae", "wm"))
    for folder, episodes, seed, what in ((data, cfg.episodes, cfg.seed, "training"),
                                        (heldout, cfg.heldout_episodes, cfg.seed + 10_000, "held-out")):
        if _recorded(folder) >= episodes:
            console.print(f"[dim]{what} recordings already in {folder}[/dim]")
            continue
        console.print(f"[bold]1. Recording {episodes} {what} Breakout episodes (scripted agent)[/bold]")
        _record(RecordConfig("breakout", "scripted", episodes, folder, seed, cfg.max_steps), record_episodes, console)
    with trainer_errors():
        done = steps_done(vq_run)
        if done < cfg.vqvae_steps:
            console.print(f"[bold]2. Training the tiny VQ-VAE ({cfg.vqvae_steps} steps)[/bold]")
            train_atari_vqvae(VQVAERun([data], vq_run, "tiny", "cpu", cfg.vqvae_steps, done > 0,
                                       args={"data": [str(data)], "preset": "tiny", "steps": cfg.vqvae_steps}))
        else:
            console.print(f"[dim]the VQ-VAE in {vq_run} is trained (step {done})[/dim]")
        done = steps_done(wm_run)
        if done < cfg.wm_steps:
            console.print(f"[bold]3. Training the tiny world model ({cfg.wm_steps} steps)[/bold]")
            train_atari_wm(WMRun([data], wm_run, "tiny", "cpu", cfg.wm_steps, done > 0, vqvae=vq_run,
                                 args={"data": [str(data)], "vqvae": str(vq_run), "preset": "tiny", "steps": cfg.wm_steps}))
        else:
            console.print(f"[dim]the world model in {wm_run} is trained (step {done})[/dim]")
        console.print("[bold]4. Evaluating both on the held-out episodes[/bold]")
        vq = eval_atari_vqvae(vq_run, [heldout])
        wm = eval_atari_wm(wm_run, [heldout])
    minutes = (time.monotonic() - started) / 60
    console.print(f"VQ-VAE: PSNR {vq['psnr']:.2f} dB on {vq['frames']:.0f} held-out frames "
                  f"({'meets' if vq['psnr'] >= 30 else 'below'} the 30 dB bar), codebook usage {vq['codebook_usage']:.0%}.")
    console.print("World model (token accuracy on held-out windows):")
    for line in wm_summary(wm, HORIZONS):
        console.print("  " + line)
    console.print(f"Setup took {minutes:.1f} minutes; the dream is in {cfg.out}.")
    return wm_run


def _record(cfg, record_episodes, console: Console) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        record_episodes(cfg, progress)


def _recorded(folder: Path) -> int:
    return len(list((folder / "breakout").glob("*.h5"))) if folder.is_dir() else 0


@friendly_errors
def dream_command(
    checkpoint: Annotated[Path | None, typer.Option("--checkpoint", help="World-model run or checkpoint folder (default: the active world model, `aria models use`).")] = None,
    setup: Annotated[bool, typer.Option("--setup", help="First record scripted Breakout, train the tiny VQ-VAE and world model on the CPU and evaluate them (about 11 minutes on 2 cores), then dream.")] = False,
    out: Annotated[Path, typer.Option("--out", help="--setup: where its recordings and runs go.")] = SetupConfig.out,
    vqvae_steps: Annotated[int, typer.Option("--vqvae-steps", min=1, help="--setup: VQ-VAE training steps.")] = SetupConfig.vqvae_steps,
    wm_steps: Annotated[int, typer.Option("--wm-steps", min=1, help="--setup: world-model training steps.")] = SetupConfig.wm_steps,
    episodes: Annotated[int, typer.Option("--episodes", min=1, help="--setup: scripted play-throughs to train on.")] = SetupConfig.episodes,
    max_steps: Annotated[int, typer.Option("--max-steps", min=5, help="--setup: steps per play-through.")] = SetupConfig.max_steps,
    no_open: Annotated[bool, typer.Option("--no-open", help="--setup: stop after the evaluation, without opening the window.")] = False,
    no_record: Annotated[bool, typer.Option("--no-record", help="Do not record the dream's episodes.")] = False,
    start: Annotated[Path | None, typer.Option("--start", help="A Breakout recording to start the dream from (default: a fresh real reset).")] = None,
) -> None:
    """Play Breakout inside its learned world model (the keys of Breakout; F1 lists the dream's own)."""
    from aria_desktop.app.app import check_display
    from aria_desktop.cli.play import launch_app

    if setup:
        if checkpoint is not None:
            raise AriaError("--setup trains its own dream; leave out --checkpoint (or drop --setup to open that one).")
        console = Console()
        checkpoint = setup_dream(SetupConfig(out.expanduser().resolve(), episodes, max(1, episodes // 3), max_steps,
                                             vqvae_steps, wm_steps), console)
        if no_open:
            return
        try:
            check_display()
        except AriaError as e:
            console.print(f"{e} Open the dream later with `aria dream --checkpoint {checkpoint}`.", soft_wrap=True)
            return
    launch_app("dream", "breakout", record=not no_record, checkpoint=checkpoint, start=start)
